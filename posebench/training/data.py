"""Getting a dataset's tracks and motion ready for training, the same way for every model (the dataset
object comes from the caller: :func:`posebench.api.open_dataset` opens one by name)."""
from __future__ import annotations

from posebench.data.resample import resample_motion
from posebench.data.track import MotionClip, Track
from posebench.errors import PosebenchError


def dataset_options(name: str, cfg: dict) -> dict:
    """The keyword arguments of dataset ``name``'s factory in config ``cfg`` (its ``dataset_options[name]``)."""
    return dict((cfg.get("dataset_options") or {}).get(name) or {})



def training_tracks(dataset, split: str, min_len: int = 1) -> list[Track]:
    """Tracks of ``split`` that have features and at least ``min_len`` frames ([] if no such split)."""
    if split not in dataset.splits():
        return []
    return [t for t in dataset.tracks(split) if t.features is not None and len(t) >= min_len]


def clip_at_fps(clip: MotionClip, fps: float) -> MotionClip:
    """``clip`` resampled to ``fps`` (slerp for rotations) when its rate differs."""
    if abs(float(clip.fps) - fps) < 1e-6:
        return clip
    rot, transl = resample_motion(clip.pose_rotmat, clip.transl_m, clip.fps, fps, name=clip.name)
    return MotionClip(name=clip.name, fps=fps, pose_rotmat=rot, transl_m=transl, betas=clip.betas,
                      subject=clip.subject, meta={**clip.meta, "resampled_from_fps": float(clip.fps)})


def supervised_splits(dataset, dataset_name: str, window: int, model_label: str) -> tuple[list[Track], list[Track]]:
    """(train tracks of at least ``window`` frames, val tracks) for supervised training.

    Raises a PosebenchError naming the dataset and split when no train track is long enough.
    """
    train = training_tracks(dataset, "train", window)
    if not train:
        raise PosebenchError(f"dataset {dataset_name!r}, split 'train': no track with features has at least "
                             f"{window} frames; {model_label} trains on {window}-frame windows")
    return train, training_tracks(dataset, "val", 1)


def frames_seen(steps: int, batch_size: int, window: int) -> int:
    """Training frames a run sees: optimiser steps x windows per step x frames per window."""
    return int(steps) * int(batch_size) * int(window)


def steps_for_frames(budget_frames: int, batch_size: int, window: int) -> int:
    """Optimiser steps that see at least ``budget_frames`` frames (at least one step)."""
    per_step = int(batch_size) * int(window)
    if per_step <= 0 or int(budget_frames) <= 0:
        raise PosebenchError(f"budget_frames needs a positive budget, batch size and window; got {budget_frames}, "
                             f"{batch_size}, {window}")
    return max(1, -(-int(budget_frames) // per_step))


def budget_report(steps: int, batch_size: int, window: int) -> dict:
    """What a comparison should print and store about a model's training budget."""
    return {"optimiser_steps": int(steps), "batch_size": int(batch_size), "window": int(window),
            "frames_seen": frames_seen(steps, batch_size, window)}


def train_config(cfg: dict, *, seed: int, device: str, model_window: int | None = None, **defaults):
    """The ``train`` section of a config as a TrainConfig, with this run's seed and device.

    The budget is declared one of two ways: ``budget_frames`` (frames seen = optimiser steps x
    windows per step x ``model_window``; the shipped comparison tiers use it, so models with
    different windows see the same number of frames) or ``steps``. A ``steps`` that is set wins
    (``--cfg-options train.steps=N`` budgets a run in steps); the checkpoint records both the
    steps run and the frames seen either way.
    """
    from posebench.training.loop import TrainConfig

    options = {**defaults, **dict(cfg.get("train") or {}), "seed": seed, "device": device}
    budget = options.pop("budget_frames", None)
    if options.get("steps") is None:
        options.pop("steps", None)
        if budget is not None:
            if model_window is None:
                raise PosebenchError("train.budget_frames: this model's trainer does not pass its window length, so "
                                     "a frame budget cannot be turned into steps; set train.steps instead")
            batch_size = options.get("batch_size", TrainConfig.batch_size)
            options["steps"] = steps_for_frames(budget, batch_size, model_window)
    if options.get("window_stride") is None and "window_stride" in defaults:
        options["window_stride"] = defaults["window_stride"]
    return TrainConfig.from_dict(options)
