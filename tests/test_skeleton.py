"""posebench.skeleton: joint orders, flip rules, forward kinematics."""
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation as ScipyRotation

from posebench import skeleton as sk
from posebench.errors import ShapeError
from posebench.geometry.rotations import axis_angle_to_matrix


def _random_offsets(rng, batch=()):
    return rng.normal(scale=0.1, size=(*batch, 24, 3))


def _random_pose_aa(rng, batch):
    return rng.normal(scale=0.6, size=(*batch, 24, 3))


def _fk_reference(R, offsets, transl, parents):
    """Slow per-frame, per-joint numpy FK."""
    T = R.shape[0]
    joints = np.zeros((T, 24, 3))
    G = np.zeros((T, 24, 3, 3))
    for t in range(T):
        for j in range(24):
            p = parents[j]
            if p < 0:
                G[t, j] = R[t, j]
                joints[t, j] = offsets[t, j] + transl[t]
            else:
                G[t, j] = G[t, p] @ R[t, j]
                joints[t, j] = joints[t, p] + G[t, p] @ offsets[t, j]
    return joints, G


def _mirror_name(name):
    if name.startswith(("left", "right")):
        return name.replace("left", "#").replace("right", "left").replace("#", "right")
    if name in ("pelvis", "spine1", "spine2", "spine3", "neck", "head", "headtop"):
        return name  # on the mid-line
    return {"l": "r", "r": "l"}[name[0]] + name[1:]  # LSP names: rankle <-> lankle


def test_tables_are_consistent():
    assert len(sk.SMPL_JOINT_NAMES) == 24 and len(sk.SMPL_PARENTS) == 24
    assert len(sk.LSP14_JOINT_NAMES) == 14 and len(sk.SMPL_TO_LSP14) == 13
    names = sk.SMPL_JOINT_NAMES
    assert names[sk.SMPL_PARENTS[names.index("left_knee")]] == "left_hip"
    assert names[sk.SMPL_PARENTS[names.index("head")]] == "neck"
    # LSP joint names agree with the SMPL names they map to.
    lsp_to_smpl_name = {"rankle": "right_ankle", "rknee": "right_knee", "rhip": "right_hip", "lhip": "left_hip",
                        "lknee": "left_knee", "lankle": "left_ankle", "rwrist": "right_wrist", "relbow": "right_elbow",
                        "rshoulder": "right_shoulder", "lshoulder": "left_shoulder", "lelbow": "left_elbow",
                        "lwrist": "left_wrist", "neck": "neck"}  # fmt: skip
    for lsp_name, smpl_idx in zip(sk.LSP14_JOINT_NAMES, sk.SMPL_TO_LSP14):
        assert names[smpl_idx] == lsp_to_smpl_name[lsp_name]
    # Flip permutations swap left and right names and are involutions.
    for perm, nm in ((sk.SMPL_FLIP_PERM, names), (sk.LSP14_FLIP_PERM, sk.LSP14_JOINT_NAMES)):
        assert sorted(perm) == list(range(len(perm)))
        assert [perm[p] for p in perm] == list(range(len(perm)))
        for i, p in enumerate(perm):
            swapped = _mirror_name(nm[i])
            assert nm[p] == swapped, (nm[i], nm[p])


def test_flip_twice_is_identity():
    rng = np.random.default_rng(0)
    aa = _random_pose_aa(rng, (3, 5))
    np.testing.assert_allclose(sk.flip_pose_axis_angle(sk.flip_pose_axis_angle(aa)), aa)
    R = axis_angle_to_matrix(torch.tensor(aa))
    torch.testing.assert_close(sk.flip_pose_rotmat(sk.flip_pose_rotmat(R)), R)
    x = rng.normal(size=(4, 14, 3))
    np.testing.assert_allclose(sk.flip_joints(sk.flip_joints(x, sk.LSP14_FLIP_PERM), sk.LSP14_FLIP_PERM), x)


def test_axis_angle_and_rotmat_flip_agree():
    rng = np.random.default_rng(1)
    aa = torch.tensor(_random_pose_aa(rng, (6,)))
    flipped_then_matrix = axis_angle_to_matrix(sk.flip_pose_axis_angle(aa))
    torch.testing.assert_close(sk.flip_pose_rotmat(axis_angle_to_matrix(aa)), flipped_then_matrix)
    # Root: (x, y, z) -> (x, -y, -z); left hip takes the right hip's value.
    out = sk.flip_pose_axis_angle(aa)
    torch.testing.assert_close(out[:, 0], aa[:, 0] * torch.tensor([1.0, -1.0, -1.0], dtype=aa.dtype))
    torch.testing.assert_close(out[:, 1], aa[:, 2] * torch.tensor([1.0, -1.0, -1.0], dtype=aa.dtype))


def test_fk_of_identity_is_cumulative_offsets():
    rng = np.random.default_rng(2)
    offsets = _random_offsets(rng)
    R = np.broadcast_to(np.eye(3), (24, 3, 3)).copy()
    joints, G = sk.forward_kinematics(R, offsets, np.array([1.0, 2.0, 3.0]))
    expected = np.zeros((24, 3))
    for j in range(24):
        p = sk.SMPL_PARENTS[j]
        expected[j] = offsets[j] + (expected[p] if p >= 0 else np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(joints, expected, atol=1e-12)
    np.testing.assert_allclose(G, R)


def test_fk_matches_numpy_reference():
    rng = np.random.default_rng(3)
    T = 7
    R = ScipyRotation.from_rotvec(_random_pose_aa(rng, (T,)).reshape(-1, 3)).as_matrix().reshape(T, 24, 3, 3)
    offsets = _random_offsets(rng, (T,))
    transl = rng.normal(size=(T, 3))
    ref_joints, ref_G = _fk_reference(R, offsets, transl, sk.SMPL_PARENTS)
    joints, G = sk.forward_kinematics(torch.tensor(R), torch.tensor(offsets), torch.tensor(transl))
    assert isinstance(joints, torch.Tensor)
    np.testing.assert_allclose(joints.numpy(), ref_joints, atol=1e-12)
    np.testing.assert_allclose(G.numpy(), ref_G, atol=1e-12)
    # Offsets shared by all frames broadcast; float32 works.
    j32, _ = sk.forward_kinematics(torch.tensor(R, dtype=torch.float32).reshape(1, T, 24, 3, 3),
                                   torch.tensor(offsets[0], dtype=torch.float32))
    ref0, _ = _fk_reference(R, np.broadcast_to(offsets[0], offsets.shape), np.zeros((T, 3)), sk.SMPL_PARENTS)
    assert j32.shape == (1, T, 24, 3) and j32.dtype == torch.float32
    np.testing.assert_allclose(j32[0].numpy(), ref0, atol=1e-5)


def test_flip_commutes_with_fk():
    rng = np.random.default_rng(4)
    T = 5
    aa = _random_pose_aa(rng, (T,))
    R = axis_angle_to_matrix(torch.tensor(aa))
    offsets = torch.tensor(_random_offsets(rng))
    transl = torch.tensor(rng.normal(size=(T, 3)))
    joints, _ = sk.forward_kinematics(R, offsets, transl)
    mirror_transl = transl * torch.tensor([-1.0, 1.0, 1.0], dtype=transl.dtype)
    joints_of_flip, _ = sk.forward_kinematics(
        sk.flip_pose_rotmat(R), sk.flip_joints(offsets, sk.SMPL_FLIP_PERM), mirror_transl
    )
    torch.testing.assert_close(sk.flip_joints(joints, sk.SMPL_FLIP_PERM), joints_of_flip)


def test_fk_gradients_flow():
    R = axis_angle_to_matrix(torch.full((2, 24, 3), 0.1, dtype=torch.float64, requires_grad=True))
    offsets = torch.ones(24, 3, dtype=torch.float64, requires_grad=True)
    joints, _ = sk.forward_kinematics(R, offsets)
    joints.sum().backward()
    assert torch.isfinite(offsets.grad).all() and offsets.grad.abs().sum() > 0


def test_bad_shapes_raise():
    with pytest.raises(ShapeError, match="local_rotmat"):
        sk.forward_kinematics(torch.zeros(23, 3, 3), torch.zeros(24, 3))
    with pytest.raises(ShapeError, match="flip_pose_axis_angle"):
        sk.flip_pose_axis_angle(np.zeros((22, 3)))
    with pytest.raises(ShapeError, match="permutation"):
        sk.flip_joints(np.zeros((13, 3)), sk.LSP14_FLIP_PERM)
