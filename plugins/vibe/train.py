"""VIBE training: the core's one-stage supervised trainer (:mod:`posebench.training.supervised`)
plus the real motion its motion discriminator needs.

Config sections (mmengine ``configs/vibe/*.py``): ``model`` (:class:`~posebench_vibe.model.VibeConfig`),
``train`` (:class:`posebench.training.loop.TrainConfig`: the generator's Adam, the step budget,
validation), ``motion`` (where the discriminator's real motion comes from: ``dataset`` — None
means the training dataset, "amass" in the paper config —, ``split``, ``stride``, ``batch_size``
— None means ``train.batch_size``) and ``dataset_options`` (``{dataset name: keyword arguments of
its factory}``, e.g. ``cmu=dict(subset="quick")``).

Output folder: ``{best,last}.pt`` and ``metrics.csv`` (``best.pt`` chosen on the VAL split's
``train.select_metric``). Real motion windows are drawn as a pure function of ``(seed, draw)``
and the draw counter is saved in the checkpoint, so ``resume`` continues exactly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from posebench_vibe.model import MODEL_CLASSES
from posebench_vibe.real_motion import RealMotionSampler

from posebench.api import open_dataset, validation_protocol
from posebench.errors import PosebenchError
from posebench.training import MotionWindows
from posebench.training.data import clip_at_fps
from posebench.training.supervised import SupervisedRun, train_supervised

MOTION_DEFAULTS = {"dataset": None, "split": "train", "stride": None, "batch_size": None}


def real_motion_sampler(cfg: dict, dataset, dataset_name: str, window: int, fps: float, batch_size: int,
                        seed: int) -> RealMotionSampler:
    """The discriminator's real motion: ``cfg["motion"]`` windows of ``window`` frames at ``fps``."""
    opts = {**MOTION_DEFAULTS, **dict(cfg.get("motion") or {})}
    unknown = sorted(set(opts) - set(MOTION_DEFAULTS))
    if unknown:
        raise PosebenchError(f"VIBE config section 'motion': unknown keys {unknown}; known: {sorted(MOTION_DEFAULTS)}")
    source_name = opts["dataset"] or dataset_name
    source = dataset if opts["dataset"] in (None, dataset_name) else open_dataset(source_name, cfg)
    split = opts["split"]
    clips = list(source.motion(split)) if split in source.splits() else []
    if not clips:
        raise PosebenchError(f"dataset {source_name!r}, split {split!r}: no motion clips for VIBE's motion "
                             f"discriminator (set model.adv_weight=0 to train without it)")
    clips = [clip_at_fps(c, fps) for c in clips]
    windows = MotionWindows(clips, window, opts["stride"] or window, seed=seed)
    return RealMotionSampler(windows, opts["batch_size"] or batch_size, seed=seed)


def train_vibe(cfg: dict, dataset_name: str, out_dir: str | Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0, model_name: str = "vibe") -> Path:
    """The ``train`` entry registered for "vibe" (and, with ``model_name``, "vibe-test"): the core's
    one-stage supervised trainer, with the motion discriminator's real motion attached."""
    cfg = dict(cfg or {})
    return train_supervised(MODEL_CLASSES[model_name], "VIBE", cfg, open_dataset(dataset_name, cfg), dataset_name,
                            out_dir, protocol=validation_protocol(cfg), device=device, resume=resume, stage=stage,
                            seed=seed, prepare=_attach_real_motion)


def _attach_real_motion(model, run: SupervisedRun) -> dict:
    """Give the discriminator its real motion (none without an adversarial loss); the sampler's
    draw counter is saved with the checkpoints, so a resumed run draws the same windows."""
    if not model.cfg.adv_weight:
        return {}
    fps = float(np.median([t.fps for t in run.train_tracks]))
    sampler = real_motion_sampler(run.cfg, run.dataset, run.dataset_name, run.window, fps,
                                  run.train_config.batch_size, run.seed)
    model.attach_real_motion(sampler)
    return {"real_motion": sampler}
