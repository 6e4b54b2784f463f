"""TCN training: the core's one-stage supervised trainer (:mod:`posebench.training.supervised`).

Config sections (``configs/tcn/*.py``): ``model`` (:class:`~posebench_tcn.model.TcnConfig`; ``model.window``
sets the training window), ``train`` (:class:`posebench.training.loop.TrainConfig`) and ``dataset_options``.
"""
from __future__ import annotations

from pathlib import Path

from posebench_tcn.model import TemporalConvLifter

from posebench.training.supervised import train_supervised


def train_tcn(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
              stage: str = "all", seed: int = 0) -> Path:
    """The ``train`` entry registered for "tcn"."""
    return train_supervised(TemporalConvLifter, "the TCN", cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage,
                            seed=seed)
