"""VIBE training through the core loop (:func:`posebench.training.loop.fit`), driven like MEVA.

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

from posebench.errors import PosebenchError
from posebench.training import MotionWindows
from posebench.training.data import clip_at_fps, open_dataset, supervised_splits, train_config
from posebench.training.loop import fit
from posebench.training.seeding import seed_everything

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
    """The ``train`` entry registered for "vibe": trains on ``dataset_name``'s train split with
    its val split for model selection; returns the best checkpoint (the last one when the
    dataset has no val split). VIBE has one stage: ``stage`` must be "all" (or "e2e")."""
    if stage not in ("all", "e2e"):
        raise PosebenchError(f"VIBE trains in one stage; --stage must be 'all' (got {stage!r})")
    cfg = dict(cfg or {})
    out_dir = Path(out_dir)
    model_cls = MODEL_CLASSES[model_name]
    window = model_cls.window
    dataset = open_dataset(dataset_name, cfg)
    train_tracks, val_tracks = supervised_splits(dataset, dataset_name, window, "VIBE")
    seed_everything(seed)  # before the model exists: the seed fixes the initial weights
    model = model_cls({**dict(cfg.get("model") or {}), "input_dim": int(train_tracks[0].features.shape[1])})
    tcfg = train_config(cfg, seed=seed, device=device)
    extra_state = {}
    if model.cfg.adv_weight:
        fps = float(np.median([t.fps for t in train_tracks]))
        sampler = real_motion_sampler(cfg, dataset, dataset_name, window, fps, tcfg.batch_size, seed)
        model.attach_real_motion(sampler)
        extra_state["real_motion"] = sampler
    result = fit(model, train_tracks, val_tracks, tcfg, out_dir, resume=resume, progress=True,
                 extra_state=extra_state)
    return result.best_path or result.last_path
