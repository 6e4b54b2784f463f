"""posebench.data.resample: fps changes with slerp (rotations) and linear translation."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation as ScipyRotation
from scipy.spatial.transform import Slerp

from posebench.data.resample import resample_motion, resampled_length
from posebench.errors import ShapeError


def _smooth_motion(T, J=3, seed=0):
    """Rotations with slowly varying axis-angle, translation on a curve."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None]
    aa = rng.normal(scale=0.5, size=(1, J, 3)) + 0.02 * t * rng.normal(size=(1, J, 3))
    R = ScipyRotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(T, J, 3, 3)
    transl = np.stack([np.sin(0.05 * t[:, 0, 0]), 0.9 + 0.01 * t[:, 0, 0], np.cos(0.03 * t[:, 0, 0])], -1)
    return R, transl


def test_length_rule():
    assert resampled_length(120, 120, 30) == 30  # floor(119/4)+1
    assert resampled_length(121, 120, 30) == 31
    assert resampled_length(10, 30, 60) == 19
    assert resampled_length(1, 30, 60) == 1
    assert resampled_length(91, 30, 30) == 91


def test_upsample_then_downsample_is_identity():
    R, transl = _smooth_motion(25)
    up_R, up_t = resample_motion(R, transl, 30, 90)
    assert up_R.shape == (73, 3, 3, 3) and up_t.shape == (73, 3)
    back_R, back_t = resample_motion(up_R, up_t, 90, 30)
    assert back_R.shape == R.shape
    np.testing.assert_allclose(back_R, R, atol=1e-10)
    np.testing.assert_allclose(back_t, transl, atol=1e-12)


def test_values_match_scipy_slerp_and_linear():
    R, transl = _smooth_motion(10, J=2, seed=1)
    out_R, out_t = resample_motion(R, transl, 25, 60)
    t_src, t_dst = np.arange(10) / 25, np.arange(out_R.shape[0]) / 60
    for j in range(2):
        ref = Slerp(t_src, ScipyRotation.from_matrix(R[:, j]))(t_dst).as_matrix()
        np.testing.assert_allclose(out_R[:, j], ref, atol=1e-10)
    np.testing.assert_allclose(out_t[:, 2], np.interp(t_dst, t_src, transl[:, 2]), atol=1e-12)


def test_constant_rotation_stays_constant_and_dtype_kept():
    R0 = ScipyRotation.random(4, random_state=2).as_matrix().astype(np.float32)
    R = np.broadcast_to(R0, (12, 4, 3, 3)).copy()
    transl = np.zeros((12, 3), dtype=np.float32)
    out_R, out_t = resample_motion(R, transl, 30, 47)
    assert out_R.dtype == np.float32 and out_t.dtype == np.float32
    np.testing.assert_allclose(out_R, np.broadcast_to(R0, out_R.shape), atol=1e-6)


def test_bad_input_names_sequence_and_field():
    R, transl = _smooth_motion(5)
    with pytest.raises(ShapeError, match="walk_01.*transl_m"):
        resample_motion(R, transl[:4], 30, 60, name="walk_01")
    with pytest.raises(ShapeError, match="fps"):
        resample_motion(R, transl, 0, 60)
