"""MLP training: the core's one-stage supervised trainer (:mod:`posebench.training.supervised`).

Config sections (``configs/mlp/*.py``): ``model`` (:class:`~posebench_mlp.model.MlpConfig`; ``model.window``
sets the training window), ``train`` (:class:`posebench.training.loop.TrainConfig`) and ``dataset_options``.
"""
from __future__ import annotations

from pathlib import Path

from posebench_mlp.model import MlpLifter

from posebench.training.supervised import train_supervised


def train_mlp(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
              stage: str = "all", seed: int = 0) -> Path:
    """The ``train`` entry registered for "mlp"."""
    return train_supervised(MlpLifter, "the MLP", cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage,
                            seed=seed)
