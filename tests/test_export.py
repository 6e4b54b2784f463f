"""BVH and AMASS-style export of a predicted motion (posebench.export), no mediapipe needed."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.data.mocap.bvh import bvh_global_positions, read_bvh
from posebench.errors import ShapeError
from posebench.export import (
    CAMERA_TO_YUP,
    YUP_TO_ZUP,
    amass_arrays,
    bone_offsets,
    motion_for_export,
    write_amass_npz,
    write_bvh,
)
from posebench.geometry.rotations import axis_angle_to_matrix
from posebench.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS, forward_kinematics


def synthetic_prediction(T: int = 12, seed: int = 0):
    """A model-like prediction in camera axes: random local rotations (large ones, so Euler angles
    cover their whole range), a random skeleton, joints by FK, pelvis at the origin."""
    rng = np.random.default_rng(seed)
    aa = rng.normal(scale=1.2, size=(T, 24, 3))
    rotmat = axis_angle_to_matrix(torch.from_numpy(aa)).numpy()
    offsets = rng.normal(scale=0.15, size=(24, 3))
    offsets[0] = 0
    joints, _ = forward_kinematics(rotmat, offsets)
    pelvis = np.stack([np.linspace(-0.5, 0.5, T), 0.1 * np.sin(np.arange(T)), np.full(T, 4.0)], -1)
    betas = rng.normal(size=(T, 10))
    return rotmat, joints, pelvis, betas, offsets


def test_bone_offsets_recover_the_skeleton():
    rotmat, joints, _, _, offsets = synthetic_prediction()
    np.testing.assert_allclose(bone_offsets(rotmat, joints), offsets, atol=1e-10)
    with pytest.raises(ShapeError, match="bone_offsets"):
        bone_offsets(rotmat[:, :14], joints)


def test_motion_for_export_is_the_prediction_turned_y_up():
    rotmat, joints, pelvis, betas, offsets = synthetic_prediction()
    m = motion_for_export(rotmat, joints, pelvis, betas, fps=10.0)
    assert m.max_joint_change_m < 1e-9 and m.fps == 10.0 and m.betas.shape == (10,)
    np.testing.assert_allclose(m.betas, betas.mean(axis=0))
    # The same body, moved to Y-up and placed at the pelvis.
    np.testing.assert_allclose(m.joints24_m, (joints + pelvis[:, None]) @ CAMERA_TO_YUP.T, atol=1e-9)
    np.testing.assert_allclose(m.trans_m, pelvis @ CAMERA_TO_YUP.T)
    np.testing.assert_allclose(m.rotmat[:, 1:], rotmat[:, 1:])


def test_bvh_round_trip_through_posebench_reader(tmp_path):
    rotmat, joints, pelvis, betas, _ = synthetic_prediction(T=15, seed=3)
    m = motion_for_export(rotmat, joints, pelvis, betas, fps=25.0)
    path = write_bvh(tmp_path / "person1.bvh", m)
    bvh = read_bvh(path)
    assert bvh.num_frames == 15 and bvh.fps == pytest.approx(25.0)
    joint_rows = [bvh.index(name) for name in SMPL_JOINT_NAMES]
    assert [bvh.names[bvh.parents[r]] if bvh.parents[r] >= 0 else None for r in joint_rows] == \
        [SMPL_JOINT_NAMES[p] if p >= 0 else None for p in SMPL_PARENTS]
    assert sum(bvh.is_end_site) == 5  # feet, head, hands
    positions = bvh_global_positions(bvh)[:, joint_rows]
    assert np.abs(positions - m.joints24_m).max() < 1e-4
    # A wrong frame-time would fail: the reader's fps is the video's.
    assert not (tmp_path / ".person1.bvh.tmp").exists()


def test_amass_npz_layout(tmp_path):
    rotmat, joints, pelvis, betas, _ = synthetic_prediction()
    m = motion_for_export(rotmat, joints, pelvis, betas, fps=30.0)
    rest = np.array([0.0, -0.2, 0.01])
    path = write_amass_npz(tmp_path / "person1_amass.npz", m, rest_pelvis_m=rest)
    z = np.load(path)
    assert z["poses"].shape == (len(m), 72) and z["trans"].shape == (len(m), 3) and z["betas"].shape == (10,)
    assert float(z["mocap_framerate"]) == 30.0 and str(z["gender"]) == "neutral"
    # Re-posing from the file: Z-up root, same body; pelvis = rest pelvis + trans.
    R = axis_angle_to_matrix(torch.from_numpy(z["poses"].reshape(-1, 24, 3))).numpy()
    posed, _ = forward_kinematics(R, m.offsets_m, z["trans"] + rest)
    np.testing.assert_allclose(posed, m.joints24_m @ YUP_TO_ZUP.T, atol=1e-6)
    assert amass_arrays(m)["trans"] == pytest.approx(m.trans_m @ YUP_TO_ZUP.T)
