"""Rotation conversions in torch: axis-angle, matrix, quaternion, 6D (two layouts), Euler, slerp.

Every function works on any leading batch dims, on float32 and float64, on any device,
and is differentiable (small-angle branches use Taylor series so gradients stay finite at 0).

Conventions:
- Matrices are ``(..., 3, 3)`` and act on column vectors (``x' = R @ x``).
- Quaternions are ``(..., 4)`` in **wxyz** order (scipy uses xyzw: convert before comparing).
- Axis-angle ``aa`` is ``(..., 3)``: unit axis times angle in radians.
- Two 6D layouts exist and are NOT interchangeable (see ``docs/official_implementations.md`` §3.1, §3.3):
  ``rot6d_spin`` (SPIN/VIBE/HMR regressors) and ``rot6d_meva`` (MEVA's VAE).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from posebench.errors import ShapeError

# Below this squared angle the Taylor branches take over (float32-safe, far below any real pose).
_SMALL_ANGLE_SQ = 1e-8


def _check_last(x: torch.Tensor, shape: tuple[int, ...], name: str) -> None:
    if tuple(x.shape[len(x.shape) - len(shape):]) != shape or x.dim() < len(shape):
        raise ShapeError(f"{name}: expected shape (..., {', '.join(map(str, shape))}), got {tuple(x.shape)}")


def _skew(v: torch.Tensor) -> torch.Tensor:
    """(..., 3) -> (..., 3, 3) cross-product matrix [v]_x."""
    x, y, z = v.unbind(-1)
    zero = torch.zeros_like(x)
    return torch.stack(
        [torch.stack([zero, -z, y], -1), torch.stack([z, zero, -x], -1), torch.stack([-y, x, zero], -1)], -2
    )


# --------------------------------------------------------------------------------------------
# axis-angle <-> matrix
# --------------------------------------------------------------------------------------------
def axis_angle_to_matrix(aa: torch.Tensor) -> torch.Tensor:
    """Rodrigues: (..., 3) axis-angle -> (..., 3, 3). Exact and differentiable at angle 0."""
    _check_last(aa, (3,), "axis_angle_to_matrix(aa)")
    theta_sq = (aa * aa).sum(-1)
    small = theta_sq < _SMALL_ANGLE_SQ
    # Feed a safe value to sqrt/sin on the small branch so its (unused) gradient is not NaN.
    theta_sq_safe = torch.where(small, torch.ones_like(theta_sq), theta_sq)
    theta = torch.sqrt(theta_sq_safe)
    sin_over_theta = torch.where(small, 1.0 - theta_sq / 6.0, torch.sin(theta) / theta)
    one_minus_cos_over_theta_sq = torch.where(small, 0.5 - theta_sq / 24.0, (1.0 - torch.cos(theta)) / theta_sq_safe)
    K = _skew(aa)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand(K.shape)
    return eye + sin_over_theta[..., None, None] * K + one_minus_cos_over_theta_sq[..., None, None] * (K @ K)


def matrix_to_axis_angle(R: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 3) axis-angle with angle in [0, pi].

    Goes through the quaternion (Shepperd's method), which stays accurate at 0, at pi and near pi,
    where the trace/antisymmetric-part formula loses the axis.
    """
    return quaternion_to_axis_angle(matrix_to_quaternion(R))


# --------------------------------------------------------------------------------------------
# quaternions (wxyz)
# --------------------------------------------------------------------------------------------
def quaternion_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """(..., 4) wxyz quaternion (need not be unit; it is normalised) -> (..., 3, 3)."""
    _check_last(q, (4,), "quaternion_to_matrix(q)")
    w, x, y, z = q.unbind(-1)
    two_s = 2.0 / (q * q).sum(-1)
    rows = [
        [1 - two_s * (y * y + z * z), two_s * (x * y - z * w), two_s * (x * z + y * w)],
        [two_s * (x * y + z * w), 1 - two_s * (x * x + z * z), two_s * (y * z - x * w)],
        [two_s * (x * z - y * w), two_s * (y * z + x * w), 1 - two_s * (x * x + y * y)],
    ]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def matrix_to_quaternion(R: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 4) unit wxyz quaternion with w >= 0 (Shepperd's method)."""
    _check_last(R, (3, 3), "matrix_to_quaternion(R)")
    m00, m01, m02 = R[..., 0, 0], R[..., 0, 1], R[..., 0, 2]
    m10, m11, m12 = R[..., 1, 0], R[..., 1, 1], R[..., 1, 2]
    m20, m21, m22 = R[..., 2, 0], R[..., 2, 1], R[..., 2, 2]
    # four_sq[i] = 4 * q_i^2 for q = (w, x, y, z).
    four_sq = torch.stack(
        [1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1
    )
    # Candidate i is (4 q_i * q) computed from off-diagonal sums/differences; dividing by 4 q_i
    # is accurate for the largest |q_i| (its four_sq >= 1), which is the one we keep.
    cand = torch.stack(
        [
            torch.stack([four_sq[..., 0], m21 - m12, m02 - m20, m10 - m01], -1),
            torch.stack([m21 - m12, four_sq[..., 1], m10 + m01, m02 + m20], -1),
            torch.stack([m02 - m20, m10 + m01, four_sq[..., 2], m12 + m21], -1),
            torch.stack([m10 - m01, m20 + m02, m21 + m12, four_sq[..., 3]], -1),
        ],
        -2,
    )
    # The clamp only touches candidates that are never selected (keeps their gradients finite).
    denom = 2.0 * torch.sqrt(four_sq.clamp(min=1e-2))
    cand = cand / denom[..., None]
    best = four_sq.detach().argmax(-1)
    idx = best[..., None, None].expand(*best.shape, 1, 4)
    q = torch.gather(cand, -2, idx).squeeze(-2)
    q = F.normalize(q, dim=-1)
    return torch.where(q[..., :1] < 0, -q, q)


def axis_angle_to_quaternion(aa: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle -> (..., 4) unit wxyz quaternion (w >= 0 for angles in [0, pi])."""
    _check_last(aa, (3,), "axis_angle_to_quaternion(aa)")
    theta_sq = (aa * aa).sum(-1)
    small = theta_sq < _SMALL_ANGLE_SQ
    theta = torch.sqrt(torch.where(small, torch.ones_like(theta_sq), theta_sq))
    half_sin_over_theta = torch.where(small, 0.5 - theta_sq / 48.0, torch.sin(theta / 2) / theta)
    w = torch.where(small, 1.0 - theta_sq / 8.0, torch.cos(theta / 2))
    return torch.cat([w[..., None], aa * half_sin_over_theta[..., None]], -1)


def quaternion_to_axis_angle(q: torch.Tensor) -> torch.Tensor:
    """(..., 4) wxyz quaternion -> (..., 3) axis-angle with angle in [0, pi]."""
    _check_last(q, (4,), "quaternion_to_axis_angle(q)")
    q = F.normalize(q, dim=-1)
    q = torch.where(q[..., :1] < 0, -q, q)  # q and -q are the same rotation; pick angle <= pi
    w, xyz = q[..., 0], q[..., 1:]
    n_sq = (xyz * xyz).sum(-1)
    small = n_sq < _SMALL_ANGLE_SQ
    n = torch.sqrt(torch.where(small, torch.ones_like(n_sq), n_sq))
    # angle = 2 atan2(n, w); angle / n -> 2/w - 2 n^2 / (3 w^3) as n -> 0 (then w ~ 1).
    w_safe = torch.where(small, w, torch.ones_like(w))
    factor = torch.where(small, 2.0 / w_safe - 2.0 * n_sq / (3.0 * w_safe**3), 2.0 * torch.atan2(n, w) / n)
    return xyz * factor[..., None]


# --------------------------------------------------------------------------------------------
# 6D representations
# --------------------------------------------------------------------------------------------
def matrix_to_rot6d_spin(R: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 6) SPIN/VIBE layout: first two columns stored row-major,
    ``[R00, R01, R10, R11, R20, R21]``."""
    _check_last(R, (3, 3), "matrix_to_rot6d_spin(R)")
    return R[..., :, :2].reshape(*R.shape[:-2], 6)


def rot6d_spin_to_matrix(x: torch.Tensor) -> torch.Tensor:
    """(..., 6) SPIN layout -> (..., 3, 3) by Gram-Schmidt on a1 = x[0,2,4], a2 = x[1,3,5]."""
    _check_last(x, (6,), "rot6d_spin_to_matrix(x)")
    a1, a2 = x[..., 0::2], x[..., 1::2]
    b1 = F.normalize(a1, dim=-1)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], -1)


def matrix_to_rot6d_meva(R: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 6) MEVA layout: first two columns concatenated,
    ``[R00, R10, R20, R01, R11, R21]``."""
    _check_last(R, (3, 3), "matrix_to_rot6d_meva(R)")
    return R[..., :, :2].transpose(-1, -2).reshape(*R.shape[:-2], 6)


def rot6d_meva_to_matrix(v: torch.Tensor) -> torch.Tensor:
    """(..., 6) MEVA layout -> (..., 3, 3): x = normalize(v[0:3]), z = normalize(x cross v[3:6]),
    y = z cross x, R = [x y z] (columns)."""
    _check_last(v, (6,), "rot6d_meva_to_matrix(v)")
    x = F.normalize(v[..., 0:3], dim=-1)
    z = F.normalize(torch.linalg.cross(x, v[..., 3:6], dim=-1), dim=-1)
    y = torch.linalg.cross(z, x, dim=-1)
    return torch.stack([x, y, z], -1)


# --------------------------------------------------------------------------------------------
# Euler angles (intrinsic, BVH/ASF channel order)
# --------------------------------------------------------------------------------------------
_AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}


def _parse_order(order: str) -> tuple[int, int, int]:
    if not isinstance(order, str) or len(order) != 3 or any(c not in _AXIS_INDEX for c in order):
        raise ShapeError(
            f"euler order {order!r}: expected three upper-case letters from X, Y, Z (intrinsic, e.g. 'ZXY')"
        )
    return tuple(_AXIS_INDEX[c] for c in order)  # type: ignore[return-value]


def _axis_rotation(axis: int, angle: torch.Tensor) -> torch.Tensor:
    """(...,) angle in radians -> (..., 3, 3) rotation about the basis axis ``axis``."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    if axis == 0:
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == 1:
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def euler_to_matrix(angles_rad: torch.Tensor, order: str) -> torch.Tensor:
    """(..., 3) angles in radians -> (..., 3, 3), **intrinsic** rotations in the order written.

    ``order="ZXY"`` means ``R = R_Z(a[0]) @ R_X(a[1]) @ R_Y(a[2])``: the channel order of a BVH
    file (``Zrotation Xrotation Yrotation``) with the angles in that channel order. This equals
    scipy's ``Rotation.from_euler("ZXY", a)`` (upper case = intrinsic). Repeated axes
    (e.g. ``"ZYZ"``) are allowed here; :func:`matrix_to_euler` needs three distinct axes.
    """
    _check_last(angles_rad, (3,), "euler_to_matrix(angles_rad)")
    axes = _parse_order(order)
    R = _axis_rotation(axes[0], angles_rad[..., 0])
    R = R @ _axis_rotation(axes[1], angles_rad[..., 1])
    return R @ _axis_rotation(axes[2], angles_rad[..., 2])


def matrix_to_euler(R: torch.Tensor, order: str) -> torch.Tensor:
    """(..., 3, 3) -> (..., 3) intrinsic angles (radians) with ``euler_to_matrix(a, order) == R``.

    ``order`` must name three distinct axes (Tait-Bryan, all BVH orders). The middle angle lies in
    [-pi/2, pi/2]. At gimbal lock (middle angle = +-pi/2) the last angle is set to 0.
    """
    _check_last(R, (3, 3), "matrix_to_euler(R)")
    i, j, k = _parse_order(order)
    if len({i, j, k}) != 3:
        raise ShapeError(f"matrix_to_euler order {order!r}: needs three distinct axes")
    sign = 1.0 if (j - i) % 3 == 1 else -1.0  # +1 for cyclic orders XYZ, YZX, ZXY
    cos_b = torch.sqrt((R[..., i, i] ** 2 + R[..., i, j] ** 2).clamp(min=1e-30))
    b = torch.atan2(sign * R[..., i, k], cos_b)
    locked = cos_b < 1e-6
    a_free = torch.atan2(-sign * R[..., j, k], R[..., k, k])
    c_free = torch.atan2(-sign * R[..., i, j], R[..., i, i])
    # Gimbal lock: R = R_i(a) R_j(b) with c = 0, so column j is R_i(a) e_j.
    a_locked = torch.atan2(sign * R[..., k, j], R[..., j, j])
    a = torch.where(locked, a_locked, a_free)
    c = torch.where(locked, torch.zeros_like(c_free), c_free)
    return torch.stack([a, b, c], -1)


# --------------------------------------------------------------------------------------------
# interpolation
# --------------------------------------------------------------------------------------------
def quaternion_slerp(q0: torch.Tensor, q1: torch.Tensor, t) -> torch.Tensor:
    """Shortest-path spherical interpolation of wxyz quaternions.

    q0, q1: (..., 4), broadcastable. t: float or tensor broadcastable to the leading dims
    (0 gives q0, 1 gives q1). Returns unit quaternions (..., 4).
    """
    _check_last(q0, (4,), "quaternion_slerp(q0)")
    _check_last(q1, (4,), "quaternion_slerp(q1)")
    t = torch.as_tensor(t, dtype=q0.dtype, device=q0.device)[..., None]
    q0 = F.normalize(q0, dim=-1)
    q1 = F.normalize(q1, dim=-1)
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)  # q and -q are the same rotation: take the short arc
    dot = dot.abs().clamp(max=1.0)
    close = dot > 1.0 - 1e-6
    omega = torch.acos(torch.where(close, torch.zeros_like(dot), dot))
    sin_omega = torch.where(close, torch.ones_like(omega), torch.sin(omega))
    w0 = torch.where(close, 1.0 - t, torch.sin((1.0 - t) * omega) / sin_omega)
    w1 = torch.where(close, t, torch.sin(t * omega) / sin_omega)
    return F.normalize(w0 * q0 + w1 * q1, dim=-1)


def slerp_matrices(R: torch.Tensor, times_src, times_dst) -> torch.Tensor:
    """Resample a rotation sequence at new times by slerp between neighbouring samples.

    R: (T, ..., 3, 3) rotations sampled at ``times_src`` (T,), strictly increasing.
    times_dst: (T2,) query times; queries outside [times_src[0], times_src[-1]] are clamped
    to the end samples. Returns (T2, ..., 3, 3).
    """
    _check_last(R, (3, 3), "slerp_matrices(R)")
    ts = torch.as_tensor(times_src, dtype=R.dtype, device=R.device)
    td = torch.as_tensor(times_dst, dtype=R.dtype, device=R.device)
    if ts.dim() != 1 or ts.shape[0] != R.shape[0] or R.dim() < 3:
        raise ShapeError(
            f"slerp_matrices: times_src {tuple(ts.shape)} must be (T,) with T = R.shape[0] of {tuple(R.shape)}"
        )
    if td.dim() != 1:
        raise ShapeError(f"slerp_matrices: times_dst must be 1-D, got {tuple(td.shape)}")
    if ts.shape[0] == 0:
        raise ShapeError("slerp_matrices: empty rotation sequence")
    if ts.shape[0] > 1 and not bool((ts[1:] > ts[:-1]).all()):
        raise ShapeError("slerp_matrices: times_src must be strictly increasing")
    if ts.shape[0] == 1:
        return R[:1].expand(td.shape[0], *R.shape[1:]).clone()
    td = td.clamp(ts[0], ts[-1])
    # Interval index i with ts[i] <= t <= ts[i+1].
    hi = torch.searchsorted(ts, td, right=False).clamp(1, ts.shape[0] - 1)
    lo = hi - 1
    alpha = (td - ts[lo]) / (ts[hi] - ts[lo])
    q = matrix_to_quaternion(R)  # (T, ..., 4)
    alpha = alpha.reshape(-1, *([1] * (q.dim() - 2)))  # broadcast over the (...) dims
    return quaternion_to_matrix(quaternion_slerp(q[lo], q[hi], alpha))
