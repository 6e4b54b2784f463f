"""Training data for MEVA's motion VAE: augmented motion clips, random 90-frame crops, and the
camera-frame motion the VAE is evaluated on.

MEVA's augmentations (ZhengyiLuo/MEVA ``scripts/data_process/augment_amass.py``), built from
posebench's shared ones (:mod:`posebench.data.augment`), each switchable for the paper's Table 3
ablation:

- ``speed`` (FR): variants played at ``speed_factors`` (0.75x, 1x, 1.5x), resampled by slerp.
  MEVA skips frames of the 120 fps capture for the same speeds; posebench's clips are already
  at 30 fps, where skipping would give one variant only. Off: the clip at 1x.
- ``flip`` (LR): keep the clip and its left/right mirror.
- ``root_rotation`` (RR): each crop's first-frame root orientation is *set* to
  ``R_x(pitch) @ R_y(yaw)``, pitch ~ U[``root_pitch_deg``] (MEVA: [180, 240)), yaw ~ U[0, 360),
  and the same relative rotation goes to every frame of the crop. This puts the motion in camera
  axes (body up near -y), the frame the VAE's decoder is used in by the end-to-end model. Off:
  the clip in its own Y-up world frame (MEVA's "no augmentation").
- ``time_reverse``: each crop is played backwards with probability ``p_reverse`` (0.5),
  before the root is set.

Speed and flip variants are built once (:func:`build_variants`); time reversal and root
orientation are applied per crop (:func:`make_transform`) through the core's
:class:`~posebench.training.windows.MotionWindows` (per-item RNG from seed, epoch and index, so a
resumed run draws the same crops). Only variants of at least ``window`` frames give crops.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from posebench.config import check_keys
from posebench.data import augment
from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench.geometry.rotations import matrix_to_rot6d_meva
from posebench.training.data import clip_at_fps
from posebench.training.windows import MotionWindows


@dataclass
class AugmentConfig:
    speed: bool = True
    speed_factors: tuple[float, ...] = (0.75, 1.0, 1.5)
    flip: bool = True
    root_rotation: bool = True
    root_pitch_deg: tuple[float, float] = (180.0, 240.0)
    time_reverse: bool = True
    p_reverse: float = 0.5

    @classmethod
    def from_dict(cls, d: dict | None) -> "AugmentConfig":
        d = check_keys('vae.augment', d, cls)
        if "root_pitch_deg" in d and d["root_pitch_deg"][1] < d["root_pitch_deg"][0]:
            raise PosebenchError(f"vae.augment.root_pitch_deg: expected (low, high), got {d['root_pitch_deg']}")
        return cls(**d)

    @property
    def root_pitch_rad(self) -> tuple[float, float]:
        return (math.radians(self.root_pitch_deg[0]), math.radians(self.root_pitch_deg[1]))


def rotmat_to_meva6d(pose_rotmat: np.ndarray) -> np.ndarray:
    """(T, 24, 3, 3) local rotations -> (T, 144) float32 in the MEVA 6D layout, root first."""
    R = torch.as_tensor(np.ascontiguousarray(pose_rotmat), dtype=torch.float32)
    return matrix_to_rot6d_meva(R).reshape(R.shape[0], -1).numpy()


def at_playback_fps(clip: MotionClip) -> MotionClip:
    """The clip resampled (slerp) to MEVA's 30 fps playback rate; unchanged if already there."""
    return clip_at_fps(clip, augment.MEVA_PLAYBACK_FPS)


def build_variants(clips: list[MotionClip], aug: AugmentConfig, window: int) -> list[MotionClip]:
    """Speed and flip variants of every clip (at 30 fps), keeping those with at least ``window`` frames."""
    out = []
    for clip in clips:
        clip = at_playback_fps(clip)
        for v in augment.speed_variants(clip, aug.speed_factors if aug.speed else (1.0,)):
            if len(v) < window:
                continue
            out.append(v)
            if aug.flip:
                out.append(augment.flip_left_right(v))
    return out


def make_transform(aug: AugmentConfig):
    """The per-crop augmentation for :class:`posebench.training.windows.MotionWindows`: time
    reversal with probability ``p_reverse``, then MEVA's camera-convention root orientation."""

    def transform(clip: MotionClip, rng: np.random.Generator) -> MotionClip:
        if aug.time_reverse and rng.random() < aug.p_reverse:
            clip = augment.reverse_time(clip)
        if aug.root_rotation:
            clip = augment.camera_root_orientation(clip, rng, aug.root_pitch_rad)
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
            f"{source}: no motion clip has at least {window} frames (after speed variants); the MEVA VAE "
            f"trains on {window}-frame crops"
        )
    return windows


def crops_to_meva6d(crops: torch.Tensor) -> torch.Tensor:
    """(B, T, 24, 3, 3) rotations -> (B, T, 144) MEVA 6D."""
    B, T = crops.shape[:2]
    return matrix_to_rot6d_meva(crops).reshape(B, T, -1)


def meva6d_batch(crops: MotionWindows, idx) -> torch.Tensor:
    """The crops at indices ``idx`` (B,) of ``crops`` as one (B, T, 144) MEVA-6D batch."""
    return crops_to_meva6d(torch.stack([crops[int(i)] for i in idx]))


def camera_frame_motion(dataset, split: str, subjects: set[str] | None = None, seed: int = 0) -> list[MotionClip]:
    """The motion of ``split`` in camera axes at 30 fps, as the end-to-end model sees it: the
    ground-truth rotations of the split's tracks (root in the camera frame) when the dataset has
    tracks with ``pose_rotmat``; else its motion clips with MEVA's root sampling at a fixed seed
    (datasets of motion only, e.g. AMASS). ``subjects``: keep only these subjects."""
    if split not in dataset.splits():
        return []
    out = []
    for t in dataset.tracks(split):
        if t.pose_rotmat is None:
            continue
        subject = str(t.meta.get("subject", ""))
        if subjects is not None and subject not in subjects:
            continue
        out.append(at_playback_fps(MotionClip(t.name, t.fps, np.asarray(t.pose_rotmat),
                                              np.zeros((len(t), 3), np.float32), subject=subject)))
    if out:
        return out
    rng = np.random.default_rng(seed)
    for clip in dataset.motion(split):
        if subjects is not None and clip.subject not in subjects:
            continue
        out.append(augment.camera_root_orientation(at_playback_fps(clip), rng))
    return out


def eval_windows(clips: list[MotionClip], window: int) -> torch.Tensor:
    """Non-overlapping ``window``-frame windows of every clip at 30 fps, no augmentation,
    (N, window, 144); for a cheap validation loss each epoch."""
    out = []
    for clip in clips:
        x = rotmat_to_meva6d(at_playback_fps(clip).pose_rotmat)
        out.extend(x[s:s + window] for s in range(0, len(x) - window + 1, window))
    if not out:
        return torch.zeros(0, window, 144)
    return torch.from_numpy(np.stack(out))
