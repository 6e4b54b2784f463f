"""Training data for MEVA's motion VAE: augmented motion clips and random 90-frame crops.

Follows official_implementations.md §4.2 with posebench's shared augmentations
(:mod:`posebench.data.augment`), each switchable for the paper's Table 3 ablation:

- ``speed``: MEVA frame-rate variants (skip = int(fps / f), f in 20/30/40, played at 30 fps).
  Off: one variant at 30 fps (so the VAE always sees ~30 fps motion).
- ``flip``: keep the clip and its left/right mirror.
- ``root_rotation``: a random yaw of the whole crop about +Y (SMPL up axis), drawn per
  crop (MEVA stored 3 rotated copies per clip; drawing per crop covers the same
  distribution without storing copies). ``max_tilt_rad`` adds a random tilt.
- ``time_reverse``: each crop is played backwards with probability ``p_reverse`` (0.5).

Speed and flip variants are built once (:func:`build_variants`); root rotation and time
reversal are applied per crop (:func:`make_transform`) through the core's
:class:`~posebench.training.windows.MotionWindows` (per-item RNG from seed, epoch and index,
so a resumed run draws the same crops). Only variants of at least ``window`` frames give crops.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posebench.config import check_keys
from posebench.data import augment
from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench.geometry.rotations import matrix_to_rot6d_meva
from posebench.training.windows import MotionWindows


@dataclass
class AugmentConfig:
    speed: bool = True
    speed_targets_fps: tuple[float, ...] = (20.0, 30.0, 40.0)
    flip: bool = True
    root_rotation: bool = True
    max_tilt_rad: float = 0.0
    time_reverse: bool = True
    p_reverse: float = 0.5

    @classmethod
    def from_dict(cls, d: dict | None) -> "AugmentConfig":
        d = check_keys('vae.augment', d, cls)
        if "speed_targets_fps" in d:
            d["speed_targets_fps"] = tuple(float(f) for f in d["speed_targets_fps"])
        return cls(**d)


def rotmat_to_meva6d(pose_rotmat: np.ndarray) -> np.ndarray:
    """(T, 24, 3, 3) local rotations -> (T, 144) float32 in the MEVA 6D layout, root first."""
    R = torch.as_tensor(np.ascontiguousarray(pose_rotmat), dtype=torch.float32)
    return matrix_to_rot6d_meva(R).reshape(R.shape[0], -1).numpy()


def build_variants(clips: list[MotionClip], aug: AugmentConfig, window: int) -> list[MotionClip]:
    """Speed and flip variants of every clip, keeping those with at least ``window`` frames."""
    out = []
    for clip in clips:
        targets = aug.speed_targets_fps if aug.speed else (augment.MEVA_PLAYBACK_FPS,)
        for v in augment.meva_speed_variants(clip, targets=targets):
            if len(v) < window:
                continue
            out.append(v)
            if aug.flip:
                out.append(augment.flip_left_right(v))
    return out


def make_transform(aug: AugmentConfig):
    """The per-crop augmentation for :class:`posebench.training.windows.MotionWindows`:
    random root yaw (and tilt), then time reversal with probability ``p_reverse``."""

    def transform(clip: MotionClip, rng: np.random.Generator) -> MotionClip:
        if aug.root_rotation:
            clip = augment.random_root_rotation(clip, rng, max_tilt_rad=aug.max_tilt_rad)
        if aug.time_reverse and rng.random() < aug.p_reverse:
            clip = augment.reverse_time(clip)
        return clip

    return transform


def crop_dataset(clips: list[MotionClip], aug: AugmentConfig, window: int, stride: int, seed: int,
                 source: str) -> MotionWindows:
    """Every ``window``-frame crop (every ``stride`` frames) of the speed/flip variants of
    ``clips``, augmented per item. Drawing items uniformly with replacement gives MEVA's
    random crops (stride 1: exactly; MEVA draws a sequence with weight T // 90, then a crop)."""
    windows = MotionWindows(build_variants(clips, aug, window), window, stride, make_transform(aug), seed=seed)
    if len(windows) == 0:
        raise PosebenchError(
            f"{source}: no motion clip has at least {window} frames (after frame-rate variants); the MEVA VAE "
            f"trains on {window}-frame crops (official_implementations.md §4.2)"
        )
    return windows


def crops_to_meva6d(crops: torch.Tensor) -> torch.Tensor:
    """(B, T, 24, 3, 3) rotations -> (B, T, 144) MEVA 6D."""
    B, T = crops.shape[:2]
    return matrix_to_rot6d_meva(crops).reshape(B, T, -1)


def eval_windows(clips: list[MotionClip], window: int) -> torch.Tensor:
    """Non-overlapping ``window``-frame windows of every clip at 30 fps, no augmentation,
    (N, window, 144); for a cheap validation loss each epoch."""
    out = []
    for clip in clips:
        v = augment.meva_speed_variants(clip, targets=(augment.MEVA_PLAYBACK_FPS,))[0]
        x = rotmat_to_meva6d(v.pose_rotmat)
        out.extend(x[s:s + window] for s in range(0, len(x) - window + 1, window))
    if not out:
        return torch.zeros(0, window, 144)
    return torch.from_numpy(np.stack(out))
