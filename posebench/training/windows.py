"""Fixed-length training windows over tracks (pose estimation) and motion clips (motion priors).

Windows come from :func:`posebench.windowing.training_windows` (exactly ``window`` frames every
``stride`` frames; tracks shorter than a window are not used for training, as in VIBE/MEVA).

Clean 2D supervision (the one place it is decided, for every model): a window's ``kp2d`` -- what
the 2D losses target -- is the noise-free projection of the scored joints where the track has one
(``track.meta["gt_kp2d"]``, normalised with the same box as the detections; the CMU benchmark and
aistpp provide it), not the noisy detections that the model reads through ``features``. A track
without it (the licensed datasets' real detections) falls back to its ``kp2d``.
:attr:`TrackWindows.supervision_2d` says which it was, for results.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from posebench.data.track import MotionClip, Track
from posebench.errors import PosebenchError, ShapeError
from posebench.models.base import WindowBatch
from posebench.windowing import training_windows

TARGET_FIELDS = ("joints3d_m", "pose_rotmat", "betas")
SUPERVISION_2D = ("gt_projection", "detections")


def target_kp2d(track: Track, supervision_2d: str = "gt_projection") -> np.ndarray | None:
    """The (T, 14, 3) 2D keypoints the losses target: the clean projection when asked for and present."""
    clean = track.meta.get("gt_kp2d") if supervision_2d == "gt_projection" else None
    if clean is not None and np.shape(clean) == np.shape(track.kp2d if track.kp2d is not None else clean):
        return clean
    return track.kp2d


def _check_track(track: Track, inputs: tuple[str, ...]) -> None:
    if track.features is None:
        raise PosebenchError(f"track {track.name!r}: field 'features' is missing; every model needs it")
    if "kp2d" in inputs and track.kp2d is None:
        raise PosebenchError(f"track {track.name!r}: field 'kp2d' is missing; the model lists it in its inputs")
    n = len(track.features)
    for name in ("kp2d", "joints3d_m", "pose_rotmat", "betas", "valid"):
        value = getattr(track, name)
        if value is not None and len(value) != n:
            raise ShapeError(f"track {track.name!r}: field {name!r} has {len(value)} frames, features have {n}")
    if track.kp2d is None and track.joints3d_m is None and track.pose_rotmat is None:
        raise PosebenchError(f"track {track.name!r}: no training target (kp2d, joints3d_m or pose_rotmat)")


class TrackWindows(Dataset):
    """Windows of ``window`` frames from ``tracks``, every ``stride`` frames.

    ``inputs`` are the model's inputs (``PoseModel.inputs``): a track lacking one is an error.
    2D keypoints are included whenever a track has them: the clean projection (module docstring)
    when ``supervision_2d="gt_projection"`` (default) and the track has one, else the detections.
    A model that lists ``kp2d`` among its inputs gets the detections (the input stays noisy).
    Each item is a dict of float32 arrays: ``features`` (T, F), ``mask`` (T,), and where the
    track has them ``kp2d`` (T, 14, 3), ``joints3d_m`` (T, 14, 3), ``pose_rotmat`` (T, 24, 3, 3),
    ``betas`` (T, 10), plus ``valid`` (T,) and ``fps``.
    """

    def __init__(self, tracks: list[Track], window: int, stride: int | None = None, inputs: tuple[str, ...] = ("features",),
                 supervision_2d: str = "gt_projection"):
        if supervision_2d not in SUPERVISION_2D:
            raise PosebenchError(f"supervision_2d must be one of {', '.join(SUPERVISION_2D)}, got {supervision_2d!r}")
        if "kp2d" in inputs:
            supervision_2d = "detections"  # the batch's kp2d is also the model's input: keep it the detections
        self.tracks = list(tracks)
        self.window = int(window)
        self.stride = int(stride or window)
        self.inputs = tuple(inputs)
        self.index: list[tuple[int, int, int]] = []  # (track, start, stop)
        for ti, track in enumerate(self.tracks):
            _check_track(track, self.inputs)
            for start, stop in training_windows(len(track.features), self.window, self.stride):
                self.index.append((ti, start, stop))
        fps = {float(t.fps) for t in self.tracks}
        if len(fps) > 1:
            raise PosebenchError(f"TrackWindows: tracks mix frame rates {sorted(fps)}; resample them first")
        self._kp2d_targets = [target_kp2d(t, supervision_2d) for t in self.tracks]
        kinds = {"gt_projection" if (k is not None and k is not t.kp2d) else "detections"
                 for k, t in zip(self._kp2d_targets, self.tracks) if k is not None}
        # what the 2D losses targeted, for results: gt_projection, detections, or mixed
        self.supervision_2d = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "none")

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        ti, start, stop = self.index[i]
        track = self.tracks[ti]
        item: dict = {"fps": float(track.fps), "name": track.name, "start": start}
        item["features"] = np.asarray(track.features[start:stop], dtype=np.float32)
        item["mask"] = np.ones(stop - start, dtype=np.float32)
        valid = np.ones(stop - start, bool) if track.valid is None else np.asarray(track.valid[start:stop], bool)
        item["valid"] = valid.astype(np.float32)
        if self._kp2d_targets[ti] is not None:
            item["kp2d"] = np.asarray(self._kp2d_targets[ti][start:stop], dtype=np.float32)
        for name in TARGET_FIELDS:
            value = getattr(track, name)
            if value is not None:
                item[name] = np.asarray(value[start:stop], dtype=np.float32)
        return item


def collate_windows(items: list[dict]) -> WindowBatch:
    """Stack window dicts into a :class:`WindowBatch`.

    A field missing from some windows is zero-filled there (kp2d with confidence 0); ``w_3d`` is
    1 where ``joints3d_m`` exists and the frame is valid, ``w_smpl`` likewise for ``pose_rotmat``
    and ``betas``. A field no window has stays None.
    """
    if not items:
        raise PosebenchError("collate_windows: empty batch")
    fps = {it["fps"] for it in items}
    if len(fps) > 1:
        raise PosebenchError(f"collate_windows: windows mix frame rates {sorted(fps)}")
    T = items[0]["features"].shape[0]

    def stack(name: str, tail: tuple[int, ...]) -> tuple[torch.Tensor | None, torch.Tensor]:
        have = torch.tensor([name in it for it in items], dtype=torch.float32)
        if not have.any():
            return None, have
        arrays = [it[name] if name in it else np.zeros((T, *tail), np.float32) for it in items]
        return torch.from_numpy(np.stack(arrays)), have

    features = torch.from_numpy(np.stack([it["features"] for it in items]))
    mask = torch.from_numpy(np.stack([it["mask"] for it in items]))
    valid = torch.from_numpy(np.stack([it["valid"] for it in items])) * mask
    kp2d, _ = stack("kp2d", (14, 3))
    joints3d, have_3d = stack("joints3d_m", (14, 3))
    pose, have_pose = stack("pose_rotmat", (24, 3, 3))
    betas, have_betas = stack("betas", (10,))
    w_3d = valid * have_3d[:, None] if joints3d is not None else None
    w_smpl = valid * (have_pose * have_betas)[:, None] if pose is not None and betas is not None else None
    if pose is not None and betas is None:  # rotations without shape still supervise the pose
        w_smpl = valid * have_pose[:, None]
        betas = None
    return WindowBatch(
        features=features, fps=fps.pop(), kp2d=kp2d, mask=mask, joints3d_m=joints3d,
        pose_rotmat=pose, betas=betas, w_3d=w_3d, w_smpl=w_smpl,
    )  # fmt: skip


class MotionWindows(Dataset):
    """Rotation windows (window, 24, 3, 3) float32 from motion clips, for motion priors.

    ``transform(clip_window: MotionClip, rng: np.random.Generator) -> MotionClip`` may augment
    a window (flip, root rotation, time reversal) and must keep its length. ``rng`` is seeded
    from ``(seed, epoch, index)`` so an item is a pure function of those (exact resume);
    call :meth:`set_epoch` to draw new augmentations.
    """

    def __init__(self, clips: list[MotionClip], window: int, stride: int | None = None,
                 transform: Callable[[MotionClip, np.random.Generator], MotionClip] | None = None, seed: int = 0):
        self.clips = list(clips)
        self.window = int(window)
        self.stride = int(stride or window)
        self.transform = transform
        self.seed = int(seed)
        self.epoch = 0
        self.index: list[tuple[int, int, int]] = []
        for ci, clip in enumerate(self.clips):
            if clip.pose_rotmat.ndim != 4 or clip.pose_rotmat.shape[1:] != (24, 3, 3):
                raise ShapeError(f"motion clip {clip.name!r}: field 'pose_rotmat' must be (T, 24, 3, 3), "
                                 f"got {clip.pose_rotmat.shape}")
            for start, stop in training_windows(len(clip), self.window, self.stride):
                self.index.append((ci, start, stop))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.index)

    def clip_window(self, i: int) -> MotionClip:
        ci, start, stop = self.index[i]
        clip = self.clips[ci]
        return MotionClip(
            name=f"{clip.name}[{start}:{stop}]", fps=clip.fps, pose_rotmat=clip.pose_rotmat[start:stop],
            transl_m=clip.transl_m[start:stop], betas=clip.betas, subject=clip.subject, meta=dict(clip.meta),
        )  # fmt: skip

    def __getitem__(self, i: int) -> torch.Tensor:
        win = self.clip_window(i)
        if self.transform is not None:
            rng = np.random.default_rng([self.seed, self.epoch, i])
            win = self.transform(win, rng)
            if len(win) != self.window:
                raise ShapeError(f"MotionWindows transform changed window {win.name!r} to {len(win)} frames "
                                 f"(expected {self.window})")
        return torch.as_tensor(np.asarray(win.pose_rotmat, dtype=np.float32))
