"""HMMR training: the core's one-stage supervised trainer (:mod:`posebench.training.supervised`).

Config sections (mmengine ``configs/hmmr/*.py``): ``model`` (:class:`~posebench_hmmr.model.HmmrConfig`),
``train`` (:class:`posebench.training.loop.TrainConfig`) and ``dataset_options``. Training windows
are 20 frames (HMMR's T).
"""
from __future__ import annotations

from pathlib import Path

from posebench_hmmr.model import MODEL_CLASSES

from posebench.api import open_dataset, validation_protocol
from posebench.training.supervised import train_supervised


def train_hmmr(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0, model_name: str = "hmmr") -> Path:
    """The ``train`` entry registered for "hmmr" (and, with ``model_name``, "hmmr-test")."""
    cfg = dict(cfg or {})
    return train_supervised(MODEL_CLASSES[model_name], "HMMR", cfg, open_dataset(dataset_name, cfg), dataset_name,
                            out_dir, protocol=validation_protocol(cfg), device=device, resume=resume, stage=stage,
                            seed=seed)
