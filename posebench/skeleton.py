"""SMPL-24 and LSP-14 joint orders, left/right flip rules, and forward kinematics.

Facts from ``docs/official_implementations.md`` §4.4 (flip rule) and §7.1-7.2 (names, parents, LSP-14).
SMPL convention: T-pose rest, +Y up, the body faces +Z; a left/right flip is a mirror across x = 0.

The flip helpers work on numpy arrays and torch tensors alike; forward kinematics is torch
(numpy in gives numpy out).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from posebench.errors import ShapeError

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee",
    "spine2", "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot",
    "neck", "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand",
)  # fmt: skip

SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

LSP14_JOINT_NAMES: tuple[str, ...] = (
    "rankle", "rknee", "rhip", "lhip", "lknee", "lankle", "rwrist", "relbow",
    "rshoulder", "lshoulder", "lelbow", "lwrist", "neck", "headtop",
)  # fmt: skip

# SMPL joint index for LSP-14 joints 0..12. Joint 13 (headtop) is not an SMPL joint: body
# models supply it as an extra (vertex-based) point.
SMPL_TO_LSP14: tuple[int, ...] = (8, 5, 2, 1, 4, 7, 21, 19, 17, 16, 18, 20, 12)

# Left/right swap (SPIN SMPL_JOINTS_FLIP_PERM == MEVA left_right_idx).
SMPL_FLIP_PERM: tuple[int, ...] = (0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18, 21, 20, 23, 22)
LSP14_FLIP_PERM: tuple[int, ...] = (5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13)
# Bones of the LSP-14 skeleton (pairs of LSP-14 indices), for drawing.
LSP14_BONES = ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (6, 7), (7, 8), (8, 9), (9, 10), (10, 11), (8, 12), (9, 12),
               (12, 13), (2, 8), (3, 9))

# Mirror across x = 0: M = diag(-1, 1, 1). A rotation R mirrors to M R M; an axis-angle
# (x, y, z) mirrors to (x, -y, -z) (axis-angle is a pseudo-vector: det(M) M aa).
_AA_MIRROR_SIGN = (1.0, -1.0, -1.0)
_POINT_MIRROR_SIGN = (-1.0, 1.0, 1.0)


def _sign_like(x, values):
    if isinstance(x, torch.Tensor):
        return torch.tensor(values, dtype=x.dtype, device=x.device)
    return np.asarray(values, dtype=np.asarray(x).dtype)


def _check(x, tail: tuple[int, ...], name: str) -> None:
    shape = tuple(x.shape)
    if len(shape) < len(tail) or shape[len(shape) - len(tail):] != tail:
        raise ShapeError(f"{name}: expected shape (..., {', '.join(map(str, tail))}), got {shape}")


def flip_pose_axis_angle(aa):
    """Mirror an SMPL pose: (..., 24, 3) axis-angle -> (..., 24, 3). Swap left/right joints,
    then negate the y and z components of every joint, root included (SPIN ``flip_pose``)."""
    _check(aa, (24, 3), "flip_pose_axis_angle(aa)")
    return aa[..., list(SMPL_FLIP_PERM), :] * _sign_like(aa, _AA_MIRROR_SIGN)


def flip_pose_rotmat(R):
    """Mirror an SMPL pose: (..., 24, 3, 3) -> (..., 24, 3, 3). Swap left/right joints, then
    conjugate each rotation by M = diag(-1, 1, 1) (same rule as :func:`flip_pose_axis_angle`)."""
    _check(R, (24, 3, 3), "flip_pose_rotmat(R)")
    R = R[..., list(SMPL_FLIP_PERM), :, :]
    s = _sign_like(R, _POINT_MIRROR_SIGN)
    # (M R M)_ab = s_a R_ab s_b
    return R * s[:, None] * s[None, :]


def flip_joints(x, perm: Sequence[int]):
    """Mirror 3D joints: (..., J, 3) -> (..., J, 3). Reorder with ``perm`` (e.g. SMPL_FLIP_PERM,
    LSP14_FLIP_PERM), then negate x."""
    _check(x, (3,), "flip_joints(x)")
    if x.shape[-2] != len(perm):
        raise ShapeError(f"flip_joints: {x.shape[-2]} joints but a permutation of length {len(perm)}")
    return x[..., list(perm), :] * _sign_like(x, _POINT_MIRROR_SIGN)


def forward_kinematics(local_rotmat, rest_offsets_m, root_transl_m=None, parents: Sequence[int] = SMPL_PARENTS):
    """Pose a skeleton from local joint rotations.

    Args:
        local_rotmat: (..., J, 3, 3) rotation of each joint relative to its parent (root: global).
        rest_offsets_m: (..., J, 3) joint j's offset from its parent in the rest (T-pose) frame;
            entry 0 is the pelvis position at rest. Broadcasts against the leading dims.
        root_transl_m: (..., 3) or None; added to the pelvis after its rest position.
        parents: parent index per joint, ``-1`` for the root, each parent before its children.

    Returns:
        joints_m (..., J, 3) and global_rotmat (..., J, 3, 3). numpy in gives numpy out.

    The root rotates about the pelvis: joints_j = joints_parent + G_parent @ offset_j.
    """
    as_numpy = isinstance(local_rotmat, np.ndarray)
    R = torch.as_tensor(local_rotmat)
    if not R.is_floating_point():
        R = R.double()
    offsets = torch.as_tensor(rest_offsets_m, dtype=R.dtype, device=R.device)
    J = len(parents)
    _check(R, (J, 3, 3), "forward_kinematics(local_rotmat)")
    _check(offsets, (J, 3), "forward_kinematics(rest_offsets_m)")
    if parents[0] != -1 or any(not (0 <= p < j) for j, p in enumerate(parents) if j > 0):
        raise ShapeError(
            f"forward_kinematics: parents must start with -1 and list each parent before its child: {parents}"
        )
    transl = None
    if root_transl_m is not None:
        transl = torch.as_tensor(root_transl_m, dtype=R.dtype, device=R.device)
        _check(transl, (3,), "forward_kinematics(root_transl_m)")
    transl_lead = [transl.shape[:-1]] if transl is not None else []
    lead = torch.broadcast_shapes(R.shape[:-3], offsets.shape[:-2], *transl_lead)
    R = R.expand(*lead, J, 3, 3)
    offsets = offsets.expand(*lead, J, 3)

    root = offsets[..., 0, :]
    if transl is not None:
        root = root + transl
    globals_ = [R[..., 0, :, :]]
    joints = [root.expand(*lead, 3)]
    for j in range(1, J):
        p = parents[j]
        globals_.append(globals_[p] @ R[..., j, :, :])
        joints.append(joints[p] + (globals_[p] @ offsets[..., j, :, None])[..., 0])
    joints_m = torch.stack(joints, -2)
    global_rotmat = torch.stack(globals_, -3)
    if as_numpy:
        return joints_m.cpu().numpy(), global_rotmat.cpu().numpy()
    return joints_m, global_rotmat
