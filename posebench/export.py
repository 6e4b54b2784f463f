"""Export one person's predicted motion for 3D tools: a BVH file and an AMASS-style npz.

The model predicts SMPL-24 local rotations and joints in camera axes (x right, y down,
z forward), pelvis at the origin. :func:`motion_for_export` turns that into a motion a 3D tool
expects:

- axes: camera -> Y-up by a half turn about x (``diag(1, -1, -1)``): +Y up, a person facing
  the camera faces +Z (the SMPL rest convention);
- skeleton: one fixed set of bone offsets per track, the *predicted* bone lengths: the offset
  of joint j from its parent in the parent's rest frame, ``G_parent(t)^T (J_j(t) - J_parent(t))``,
  averaged over the track's frames (constant over frames for a body model that poses its joints
  by forward kinematics, so the mean changes nothing there);
- joints: forward kinematics (:func:`posebench.skeleton.forward_kinematics`) of the predicted
  local rotations on that skeleton, plus the pelvis translation. These are the joints the files
  hold; ``max_joint_change_m`` says how far they are from the model's own joints.

:func:`write_bvh`: ``ROOT pelvis`` with ``Xposition Yposition Zposition Zrotation Xrotation
Yrotation``, every other SMPL joint ``Zrotation Xrotation Yrotation`` (intrinsic, degrees, the
convention :mod:`posebench.data.mocap.bvh` reads), offsets and positions in metres (Blender's BVH
import at scale 1 gives a body of its real size), ``Frame Time`` = 1 / the video's frame rate.
Leaf joints (feet, head, hands) end in an ``End Site`` half as long as the bone into them.

:func:`write_amass_npz`: ``poses`` (T, 72) axis-angle (SMPL order, root first), ``trans`` (T, 3),
``betas`` (10,), ``mocap_framerate``, ``gender``, as AMASS stores them: Z-up world (the Y-up
motion turned +90 degrees about x) and ``trans`` such that ``pelvis = rest_pelvis(betas) + trans``
(SMPL rotates the root about its rest pelvis). The betas are the predicted ones, averaged over the
track; they mean SMPL shape only when the model was trained with the SMPL body model.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from posebench.errors import ShapeError
from posebench.geometry.rotations import matrix_to_axis_angle, matrix_to_euler
from posebench.io import atomic_path, write_text
from posebench.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS, forward_kinematics

CAMERA_TO_YUP = np.diag([1.0, -1.0, -1.0])
YUP_TO_ZUP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # +90 degrees about x
BVH_ROTATION_ORDER = "ZXY"
LEAF_END_FRACTION = 0.5


@dataclass
class ExportMotion:
    """A track's motion ready to write (Y-up world, metres).

    rotmat (T, 24, 3, 3) SMPL local rotations (joint 0: global pelvis orientation);
    offsets_m (24, 3) bone offsets (entry 0 is zero: the pelvis is placed by ``trans_m``);
    trans_m (T, 3) pelvis position; joints24_m (T, 24, 3) forward kinematics of the above;
    betas (10,); fps; max_joint_change_m: the largest distance between ``joints24_m`` and the
    model's joints (same pelvis), a check that the fixed skeleton fits the prediction.
    """

    rotmat: np.ndarray
    offsets_m: np.ndarray
    trans_m: np.ndarray
    joints24_m: np.ndarray
    betas: np.ndarray
    fps: float
    max_joint_change_m: float = 0.0

    def __len__(self) -> int:
        return int(self.rotmat.shape[0])


def bone_offsets(rotmat: np.ndarray, joints24_m: np.ndarray) -> np.ndarray:
    """(24, 3) offsets of each joint from its parent in the parent's rest frame, mean over frames.

    rotmat (T, 24, 3, 3) local rotations; joints24_m (T, 24, 3) the posed joints.
    """
    rotmat = np.asarray(rotmat, np.float64)
    joints = np.asarray(joints24_m, np.float64)
    if rotmat.ndim != 4 or rotmat.shape[1:] != (24, 3, 3) or joints.shape != (rotmat.shape[0], 24, 3):
        raise ShapeError(f"bone_offsets: expected rotmat (T, 24, 3, 3) and joints24_m (T, 24, 3), got "
                         f"{rotmat.shape} and {joints.shape}")
    _, global_rot = forward_kinematics(rotmat, np.zeros((24, 3)))
    offsets = np.zeros((24, 3))
    for j in range(1, 24):
        p = SMPL_PARENTS[j]
        local = np.einsum("tba,tb->ta", global_rot[:, p], joints[:, j] - joints[:, p])  # G_p^T (J_j - J_p)
        offsets[j] = local.mean(axis=0)
    return offsets


def motion_for_export(rotmat_cam: np.ndarray, joints24_cam_m: np.ndarray, pelvis_cam_m: np.ndarray, betas: np.ndarray,
                      fps: float) -> ExportMotion:
    """Camera-axes prediction -> :class:`ExportMotion` (module docstring).

    rotmat_cam (T, 24, 3, 3); joints24_cam_m (T, 24, 3) pelvis-relative joints; pelvis_cam_m
    (T, 3) where the pelvis is in the camera frame (zeros when unknown); betas (T, 10) or (10,).
    """
    rotmat_cam = np.asarray(rotmat_cam, np.float64)
    joints = np.asarray(joints24_cam_m, np.float64)
    T = rotmat_cam.shape[0]
    pelvis = np.asarray(pelvis_cam_m, np.float64)
    if pelvis.shape != (T, 3):
        raise ShapeError(f"motion_for_export: pelvis_cam_m must be ({T}, 3), got {pelvis.shape}")
    if not (np.isfinite(rotmat_cam).all() and np.isfinite(joints).all()):
        raise ShapeError("motion_for_export: the prediction has non-finite values")
    rotmat = rotmat_cam.copy()
    rotmat[:, 0] = CAMERA_TO_YUP @ rotmat_cam[:, 0]
    joints_yup = joints @ CAMERA_TO_YUP.T
    offsets = bone_offsets(rotmat, joints_yup - joints_yup[:, :1])
    trans = pelvis @ CAMERA_TO_YUP.T
    fk_joints, _ = forward_kinematics(rotmat, offsets, trans)
    change = float(np.linalg.norm(fk_joints - trans[:, None] - (joints_yup - joints_yup[:, :1]), axis=-1).max())
    betas = np.asarray(betas, np.float64)
    return ExportMotion(rotmat=rotmat, offsets_m=offsets, trans_m=trans, joints24_m=fk_joints,
                        betas=betas.reshape(-1, betas.shape[-1]).mean(axis=0), fps=float(fps),
                        max_joint_change_m=change)


def _children(j: int) -> list[int]:
    return [c for c, p in enumerate(SMPL_PARENTS) if p == j]


def bvh_text(motion: ExportMotion) -> str:
    """The BVH file's text for ``motion`` (module docstring)."""
    lines = ["HIERARCHY"]
    order: list[int] = []
    rot_channels = " ".join(f"{a}rotation" for a in BVH_ROTATION_ORDER)

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        head = "ROOT" if j == 0 else "JOINT"
        off = motion.offsets_m[j]
        lines.append(f"{pad}{head} {SMPL_JOINT_NAMES[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {off[0]:.8f} {off[1]:.8f} {off[2]:.8f}")
        if j == 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {rot_channels}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {rot_channels}")
        order.append(j)
        kids = _children(j)
        for c in kids:
            emit(c, depth + 1)
        if not kids:
            end = LEAF_END_FRACTION * motion.offsets_m[j]
            lines.extend([f"{pad}  End Site", f"{pad}  {{",
                          f"{pad}    OFFSET {end[0]:.8f} {end[1]:.8f} {end[2]:.8f}", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(0, 0)
    euler_deg = np.rad2deg(matrix_to_euler(torch.from_numpy(motion.rotmat), BVH_ROTATION_ORDER).numpy())  # (T, 24, 3)
    lines += ["MOTION", f"Frames: {len(motion)}", f"Frame Time: {1.0 / motion.fps:.8f}"]
    for t in range(len(motion)):
        values = list(motion.trans_m[t]) + [v for j in order for v in euler_deg[t, j]]
        lines.append(" ".join(f"{v:.6f}" for v in values))
    return "\n".join(lines) + "\n"


def write_bvh(path: str | os.PathLike, motion: ExportMotion) -> Path:
    """Write ``motion`` as a BVH file (atomic)."""
    write_text(path, bvh_text(motion))
    return Path(path)


def amass_arrays(motion: ExportMotion, rest_pelvis_m: np.ndarray | None = None, gender: str = "neutral") -> dict:
    """The AMASS-style arrays of ``motion`` (module docstring); ``rest_pelvis_m`` (3,) the body model's
    pelvis at rest for these betas (zeros when unknown)."""
    rot = motion.rotmat.copy()
    rot[:, 0] = YUP_TO_ZUP @ rot[:, 0]
    poses = matrix_to_axis_angle(torch.from_numpy(rot)).numpy().reshape(len(motion), 72)
    rest = np.zeros(3) if rest_pelvis_m is None else np.asarray(rest_pelvis_m, np.float64)
    trans = motion.trans_m @ YUP_TO_ZUP.T - rest
    return {"poses": poses.astype(np.float64), "trans": trans.astype(np.float64),
            "betas": motion.betas.astype(np.float64), "mocap_framerate": np.float64(motion.fps),
            "gender": np.asarray(gender)}


def write_amass_npz(path: str | os.PathLike, motion: ExportMotion, rest_pelvis_m: np.ndarray | None = None,
                    gender: str = "neutral") -> Path:
    """Write the AMASS-style npz of ``motion`` (atomic)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **amass_arrays(motion, rest_pelvis_m, gender))
    return Path(path)
