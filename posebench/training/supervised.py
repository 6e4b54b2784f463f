"""Supervised training of a model class: the ``train`` entry shared by VIBE, HMMR, the TCN and the
MLP lifters (a model plugin's ``train`` is this with its class and label), and MEVA's end-to-end
stage (its ``prepare`` hook loads the pretrained VAE).

Config sections: ``model`` (the model's own config; ``model.window``, when the model has one,
sets the training window, else the class's ``window``), ``train``
(:class:`posebench.training.loop.TrainConfig`) and ``dataset_options`` (``{dataset name: keyword
arguments of its factory}``). Tracks shorter than the window never enter training.

Output folder: ``{best,last}.pt`` and ``metrics.csv``; ``best.pt`` is chosen on the VAL split's
``train.select_metric`` (without a val split the last checkpoint is returned).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from posebench.errors import PosebenchError
from posebench.training.data import supervised_splits, train_config
from posebench.training.loop import TrainConfig, fit
from posebench.training.seeding import seed_everything

ONE_STAGE = ("all", "e2e")


@dataclass
class SupervisedRun:
    """What a model's ``prepare`` hook sees once the model is built, before the loop starts."""

    cfg: dict
    dataset: object
    dataset_name: str
    train_tracks: list
    window: int
    train_config: TrainConfig
    seed: int


def train_supervised(model_cls: type, label: str, cfg: dict | None, dataset, dataset_name: str, out_dir: str | Path, *,
                     protocol, device: str = "cpu", resume: bool = False, stage: str = "all", seed: int = 0,
                     prepare: Callable[[object, SupervisedRun], dict] | None = None,
                     default_stride: int | None = None) -> Path:
    """Train ``model_cls`` on ``dataset``'s train split, selecting on its val split under ``protocol``
    (objects: :func:`posebench.api.open_dataset` and :func:`posebench.api.validation_protocol` resolve
    the names; ``dataset_name`` names the dataset in messages); returns the best checkpoint.
    ``label`` names the model in messages ("VIBE"). ``prepare(model, run)``
    may attach extra parts to the model and returns extra state for the checkpoints (``fit``'s
    ``extra_state``, e.g. VIBE's real-motion sampler). ``default_stride``: the training-window stride
    when the config sets none (else the loop's default, half a window)."""
    if stage not in ONE_STAGE:
        raise PosebenchError(f"{label} trains in one stage; --stage must be 'all' (got {stage!r})")
    cfg = dict(cfg or {})
    model_cfg = dict(cfg.get("model") or {})
    window = int(model_cfg.get("window", model_cls.window))
    train_tracks, val_tracks = supervised_splits(dataset, dataset_name, window, label)
    seed_everything(seed)  # before the model exists: the seed fixes the initial weights
    model = model_cls({**model_cfg, "input_dim": int(train_tracks[0].features.shape[1])})
    defaults = {"window_stride": default_stride} if default_stride is not None else {}
    tcfg = train_config(cfg, seed=seed, device=device, model_window=window, **defaults)
    extra_state = {}
    if prepare is not None:
        extra_state = prepare(model, SupervisedRun(cfg, dataset, dataset_name, train_tracks, window, tcfg, seed))
    result = fit(model, train_tracks, val_tracks, tcfg, Path(out_dir), resume=resume, progress=True,
                 extra_state=extra_state, protocol=protocol)
    return result.best_path or result.last_path
