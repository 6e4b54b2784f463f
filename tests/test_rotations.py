"""posebench.geometry.rotations against scipy and on the edge cases (0, pi, near pi)."""
import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation as ScipyRotation

from posebench.errors import ShapeError
from posebench.geometry import rotations as rot

N = 200


@pytest.fixture(scope="module")
def scipy_rots():
    return ScipyRotation.random(N, random_state=1234)


def _t(a, dtype=torch.float64):
    return torch.as_tensor(np.asarray(a), dtype=dtype)


def _xyzw_to_wxyz(q):
    return np.concatenate([q[..., 3:], q[..., :3]], -1)


def _same_quat(q, ref):
    """Quaternions equal up to sign."""
    d = np.minimum(np.abs(q - ref).max(-1), np.abs(q + ref).max(-1))
    return d.max()


def _edge_axis_angles():
    rng = np.random.default_rng(0)
    axes = rng.normal(size=(6, 3))
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    axes = np.concatenate([axes, np.eye(3)], 0)
    out = [np.zeros(3)]
    for angle in (math.pi, math.pi - 1e-6, 1e-9, 1e-4):
        out.extend(axes * angle)
    return np.stack(out)


def test_axis_angle_to_matrix_matches_scipy(scipy_rots):
    R = rot.axis_angle_to_matrix(_t(scipy_rots.as_rotvec()))
    np.testing.assert_allclose(R.numpy(), scipy_rots.as_matrix(), atol=1e-12)


def test_matrix_to_axis_angle_matches_scipy(scipy_rots):
    aa = rot.matrix_to_axis_angle(_t(scipy_rots.as_matrix()))
    np.testing.assert_allclose(aa.numpy(), scipy_rots.as_rotvec(), atol=1e-10)


def test_quaternion_matches_scipy(scipy_rots):
    q_ref = _xyzw_to_wxyz(scipy_rots.as_quat())
    q = rot.matrix_to_quaternion(_t(scipy_rots.as_matrix())).numpy()
    assert (q[:, 0] >= 0).all()
    assert _same_quat(q, q_ref) < 1e-12
    np.testing.assert_allclose(rot.quaternion_to_matrix(_t(q_ref)).numpy(), scipy_rots.as_matrix(), atol=1e-12)
    assert _same_quat(rot.axis_angle_to_quaternion(_t(scipy_rots.as_rotvec())).numpy(), q_ref) < 1e-12
    np.testing.assert_allclose(rot.quaternion_to_axis_angle(_t(q_ref)).numpy(), scipy_rots.as_rotvec(), atol=1e-10)


def test_edge_angles_round_trip_through_matrix():
    aa = _edge_axis_angles()
    R_ref = ScipyRotation.from_rotvec(aa).as_matrix()
    R = rot.axis_angle_to_matrix(_t(aa))
    np.testing.assert_allclose(R.numpy(), R_ref, atol=1e-12)
    back = rot.matrix_to_axis_angle(R).numpy()
    # Compare as rotations (at exactly pi, aa and -aa are the same rotation).
    np.testing.assert_allclose(ScipyRotation.from_rotvec(back).as_matrix(), R_ref, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(back, axis=-1), np.linalg.norm(aa, axis=-1), atol=1e-9)
    # Away from exactly pi the axis-angle itself comes back (near pi included).
    not_pi = np.abs(np.linalg.norm(aa, axis=-1) - math.pi) > 1e-12
    np.testing.assert_allclose(back[not_pi], aa[not_pi], atol=1e-8)
    q = rot.matrix_to_quaternion(R).numpy()
    assert _same_quat(q, _xyzw_to_wxyz(ScipyRotation.from_rotvec(aa).as_quat())) < 1e-9


def test_near_pi_axis_is_accurate_in_float32():
    axis = np.array([0.2, -0.5, 0.84])
    axis /= np.linalg.norm(axis)
    aa = axis * (math.pi - 1e-3)
    R32 = torch.tensor(ScipyRotation.from_rotvec(aa).as_matrix(), dtype=torch.float32)
    back = rot.matrix_to_axis_angle(R32)
    assert back.dtype == torch.float32
    np.testing.assert_allclose(back.numpy(), aa, atol=1e-4)


def test_identity_is_zero_axis_angle():
    eye = torch.eye(3, dtype=torch.float64).expand(2, 5, 3, 3)
    aa = rot.matrix_to_axis_angle(eye)
    assert aa.shape == (2, 5, 3)
    assert aa.abs().max() == 0


@pytest.mark.parametrize("layout", ["spin", "meva"])
def test_rot6d_round_trip(scipy_rots, layout):
    to6 = getattr(rot, f"matrix_to_rot6d_{layout}")
    from6 = getattr(rot, f"rot6d_{layout}_to_matrix")
    R = _t(scipy_rots.as_matrix()).reshape(10, 20, 3, 3)
    x = to6(R)
    assert x.shape == (10, 20, 6)
    np.testing.assert_allclose(from6(x).numpy(), R.numpy(), atol=1e-12)
    # A scaled, slightly noisy 6D decodes to a proper rotation.
    noisy = 3.0 * x + 0.05 * torch.randn(x.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(0))
    Rn = from6(noisy)
    eye = torch.eye(3, dtype=Rn.dtype)
    np.testing.assert_allclose((Rn.transpose(-1, -2) @ Rn).numpy(), eye.expand_as(Rn).numpy(), atol=1e-12)
    np.testing.assert_allclose(torch.linalg.det(Rn).numpy(), 1.0, atol=1e-12)


def test_rot6d_layouts_are_explicit_and_differ():
    R = torch.arange(9, dtype=torch.float64).reshape(3, 3)  # entries R_ab = 3a + b
    assert rot.matrix_to_rot6d_spin(R).tolist() == [0, 1, 3, 4, 6, 7]  # R00 R01 R10 R11 R20 R21
    assert rot.matrix_to_rot6d_meva(R).tolist() == [0, 3, 6, 1, 4, 7]  # R00 R10 R20 R01 R11 R21
    Rr = _t(ScipyRotation.random(5, random_state=3).as_matrix())
    x = rot.matrix_to_rot6d_spin(Rr)
    assert not torch.allclose(x, rot.matrix_to_rot6d_meva(Rr))
    # Decoding one layout's vector with the other decoder gives a different rotation.
    assert (rot.rot6d_meva_to_matrix(x) - Rr).abs().max() > 0.1


def test_rot6d_meva_decoder_is_its_own_gram_schmidt():
    # The MEVA decoder keeps the first column direction and the plane of the two columns.
    v = torch.tensor([[2.0, 0.0, 0.0, 1.0, 3.0, 0.0]], dtype=torch.float64)
    R = rot.rot6d_meva_to_matrix(v)[0]
    np.testing.assert_allclose(R.numpy(), np.eye(3), atol=1e-12)


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "ZYX", "YXZ", "XZY", "YZX"])
def test_euler_matches_scipy_intrinsic(scipy_rots, order):
    angles = scipy_rots.as_euler(order)  # upper case: intrinsic
    R = rot.euler_to_matrix(_t(angles), order)
    np.testing.assert_allclose(R.numpy(), scipy_rots.as_matrix(), atol=1e-12)
    back = rot.matrix_to_euler(R, order)
    np.testing.assert_allclose(back.numpy(), angles, atol=1e-9)


def test_euler_zxy_is_product_in_channel_order():
    a = torch.tensor([0.3, -0.7, 1.1], dtype=torch.float64)
    Rz = rot.euler_to_matrix(torch.tensor([0.3, 0.0, 0.0], dtype=torch.float64), "ZXY")
    Rx = rot.euler_to_matrix(torch.tensor([-0.7, 0.0, 0.0], dtype=torch.float64), "XYZ")
    Ry = rot.euler_to_matrix(torch.tensor([1.1, 0.0, 0.0], dtype=torch.float64), "YXZ")
    np.testing.assert_allclose(rot.euler_to_matrix(a, "ZXY").numpy(), (Rz @ Rx @ Ry).numpy(), atol=1e-14)
    np.testing.assert_allclose(Rz.numpy(), ScipyRotation.from_euler("z", 0.3).as_matrix(), atol=1e-14)


def test_euler_gimbal_lock_still_reconstructs():
    for order in ("ZXY", "XYZ", "YXZ"):
        angles = _t([[0.4, math.pi / 2, -0.9], [1.2, -math.pi / 2, 0.3]])
        R = rot.euler_to_matrix(angles, order)
        back = rot.matrix_to_euler(R, order)
        np.testing.assert_allclose(rot.euler_to_matrix(back, order).numpy(), R.numpy(), atol=1e-7)


def test_bad_euler_order_raises():
    with pytest.raises(ShapeError, match="zxy"):
        rot.euler_to_matrix(torch.zeros(3), "zxy")
    with pytest.raises(ShapeError):
        rot.matrix_to_euler(torch.eye(3), "ZYZ")


def test_bad_shape_raises():
    with pytest.raises(ShapeError, match="axis_angle_to_matrix"):
        rot.axis_angle_to_matrix(torch.zeros(4, 4))


def test_float32_and_batch_shapes(scipy_rots):
    aa = _t(scipy_rots.as_rotvec(), torch.float32).reshape(4, 5, 10, 3)
    R = rot.axis_angle_to_matrix(aa)
    assert R.shape == (4, 5, 10, 3, 3) and R.dtype == torch.float32
    np.testing.assert_allclose(R.reshape(-1, 3, 3).numpy(), scipy_rots.as_matrix(), atol=1e-5)
    assert rot.matrix_to_quaternion(R).shape == (4, 5, 10, 4)
    assert rot.matrix_to_euler(R, "ZXY").dtype == torch.float32


def test_gradients_finite_at_zero_and_gradcheck():
    zero = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    for fn in (rot.axis_angle_to_matrix, rot.axis_angle_to_quaternion):
        fn(zero).sum().backward()
        assert torch.isfinite(zero.grad).all()
        zero.grad = None
    eye = torch.eye(3, dtype=torch.float64).repeat(2, 1, 1).requires_grad_(True)
    rot.matrix_to_axis_angle(eye).sum().backward()
    assert torch.isfinite(eye.grad).all()

    samples = torch.tensor(
        [[0.0, 0.0, 0.0], [1e-6, -2e-6, 0.5e-6], [0.3, -0.2, 0.9], [2.0, 1.0, -0.5]], dtype=torch.float64
    )
    torch.autograd.gradcheck(rot.axis_angle_to_matrix, (samples.clone().requires_grad_(True),))
    torch.autograd.gradcheck(rot.axis_angle_to_quaternion, (samples.clone().requires_grad_(True),))
    q = rot.axis_angle_to_quaternion(samples[2:]).detach().requires_grad_(True)
    torch.autograd.gradcheck(rot.quaternion_to_axis_angle, (q,))
    x6 = rot.matrix_to_rot6d_spin(rot.axis_angle_to_matrix(samples)).detach()
    torch.autograd.gradcheck(rot.rot6d_spin_to_matrix, (x6.clone().requires_grad_(True),))
    x6m = rot.matrix_to_rot6d_meva(rot.axis_angle_to_matrix(samples)).detach()
    torch.autograd.gradcheck(rot.rot6d_meva_to_matrix, (x6m.requires_grad_(True),))
    Rs = rot.axis_angle_to_matrix(samples[2:]).detach().requires_grad_(True)
    torch.autograd.gradcheck(rot.matrix_to_axis_angle, (Rs,))


def test_quaternion_slerp_matches_scipy():
    from scipy.spatial.transform import Slerp

    key = ScipyRotation.random(2, random_state=7)
    ts = np.linspace(0, 1, 11)
    ref = Slerp([0, 1], key)(ts).as_matrix()
    q = _t(_xyzw_to_wxyz(key.as_quat()))
    out = rot.quaternion_to_matrix(rot.quaternion_slerp(q[0].expand(11, 4), q[1].expand(11, 4), _t(ts)))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


def test_quaternion_slerp_takes_shortest_path():
    q0 = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    q1 = -rot.axis_angle_to_quaternion(torch.tensor([0.0, 0.2, 0.0], dtype=torch.float64))  # same rotation, far sign
    mid = rot.quaternion_to_axis_angle(rot.quaternion_slerp(q0, q1, 0.5))
    np.testing.assert_allclose(mid.numpy(), [0.0, 0.1, 0.0], atol=1e-12)
    same = rot.quaternion_slerp(q0, q0, 0.3)
    np.testing.assert_allclose(same.numpy(), q0.numpy(), atol=1e-12)


def test_slerp_matrices_resamples_sequence():
    from scipy.spatial.transform import Slerp

    key = ScipyRotation.random(5 * 3, random_state=11)
    R = _t(key.as_matrix()).reshape(5, 3, 3, 3)
    t_src = np.array([0.0, 0.1, 0.25, 0.3, 0.5])
    t_dst = np.array([-0.1, 0.0, 0.05, 0.2, 0.3, 0.42, 0.5, 0.9])
    out = rot.slerp_matrices(R, t_src, t_dst)
    assert out.shape == (8, 3, 3, 3)
    for j in range(3):
        per_joint = ScipyRotation.from_matrix(R[:, j].numpy())
        ref = Slerp(t_src, per_joint)(np.clip(t_dst, 0.0, 0.5)).as_matrix()
        np.testing.assert_allclose(out[:, j].numpy(), ref, atol=1e-10)
    with pytest.raises(ShapeError, match="increasing"):
        rot.slerp_matrices(R, t_src[::-1].copy(), t_dst)
