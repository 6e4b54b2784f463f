"""What a dataset hands to the harness: tracks (one person, one camera) and motion clips.

Shapes use T frames, K 2D keypoints (LSP-14 order unless ``kp2d_joint_set`` says
otherwise), F feature channels. Units are in the names: ``_m`` metres.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass
class Track:
    """One person seen by one camera, at a fixed frame rate.

    Fields that a dataset does not have are ``None``. Ground truth is in the camera frame.

    - ``features`` (T, F) float32: per-frame model input (image features or the
      CMU benchmark's observation features).
    - ``kp2d`` (T, 14, 3) float32: LSP-14 keypoints normalised to the crop, x and y in
      [-1, 1] as VIBE does, plus confidence (0 = missing).
    - ``joints3d_m`` (T, 14, 3): LSP-14 joints, metres, camera frame.
    - ``joints24_m`` (T, 24, 3): SMPL-24 joints, metres, camera frame.
    - ``pose_rotmat`` (T, 24, 3, 3): SMPL local rotations, root in camera frame.
    - ``betas`` (T, 10).
    - ``vertices_m`` (T, V, 3) or None.
    - ``valid`` (T,) bool: frames that count for evaluation.
    """

    name: str
    fps: float
    features: np.ndarray | None = None
    kp2d: np.ndarray | None = None
    joints3d_m: np.ndarray | None = None
    joints24_m: np.ndarray | None = None
    pose_rotmat: np.ndarray | None = None
    betas: np.ndarray | None = None
    vertices_m: np.ndarray | None = None
    valid: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        for a in (self.features, self.kp2d, self.joints3d_m, self.pose_rotmat):
            if a is not None:
                return int(a.shape[0])
        raise ValueError(f"track {self.name!r} has no per-frame array")


@dataclass
class MotionClip:
    """Motion without observations, for motion priors (MEVA's VAE, VIBE's discriminator).

    - ``pose_rotmat`` (T, 24, 3, 3) SMPL-convention local rotations (T-pose rest, +Y up).
    - ``transl_m`` (T, 3) root translation in metres.
    - ``betas`` (10,) of the subject under the body model in use.
    """

    name: str
    fps: float
    pose_rotmat: np.ndarray
    transl_m: np.ndarray
    betas: np.ndarray | None = None
    subject: str = ""
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.pose_rotmat.shape[0])


@dataclass
class DatasetStatus:
    """What ``posebench datasets`` prints for one dataset."""

    root: Path | None
    found: list[str]
    missing: list[str]
    licence: str
    note: str = ""

    @property
    def ready(self) -> bool:
        return not self.missing


@runtime_checkable
class PoseDataset(Protocol):
    """The contract every dataset plugin fulfils.

    ``splits`` names what exists (e.g. ``("train", "val", "test")``). ``tracks`` yields
    :class:`Track` objects; ``motion`` yields :class:`MotionClip` objects (an empty
    iterable when the dataset has no rotations).
    """

    name: str
    fps: float
    kp2d_joint_set: str

    def splits(self) -> tuple[str, ...]: ...

    def tracks(self, split: str) -> list[Track]: ...

    def motion(self, split: str) -> list[MotionClip]: ...

    def status(self) -> DatasetStatus: ...
