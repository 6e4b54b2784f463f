"""posebench.metrics.functional: hand-computed values, a slow per-frame reference, properties."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from posebench.errors import ShapeError
from posebench.metrics import functional as F
from metric_references import procrustes_error


def random_pose(rng, n=7, j=14):
    return rng.normal(scale=0.3, size=(n, j, 3))


# ---- slow, independent per-frame reference (python loops, one SVD per frame) ----

def ref_mpjpe(p, g):
    out = []
    for t in range(p.shape[0]):
        pc = p[t] - (p[t, 2] + p[t, 3]) / 2
        gc = g[t] - (g[t, 2] + g[t, 3]) / 2
        out.append(np.mean([np.linalg.norm(pc[j] - gc[j]) for j in range(p.shape[1])]) * 1000)
    return np.array(out)


def ref_pa(p, g):
    return np.array([procrustes_error(p[t], g[t]) * 1000 for t in range(p.shape[0])])


def ref_acc_err(p, g, vis=None):
    out = []
    for t in range(1, p.shape[0] - 1):
        if vis is not None and not (vis[t - 1] and vis[t] and vis[t + 1]):
            continue
        errs = []
        for j in range(p.shape[1]):
            c = lambda x, k: x[k, j] - (x[k, 2] + x[k, 3]) / 2
            ap = c(p, t - 1) - 2 * c(p, t) + c(p, t + 1)
            ag = c(g, t - 1) - 2 * c(g, t) + c(g, t + 1)
            errs.append(np.linalg.norm(ap - ag))
        out.append(np.mean(errs) * 1000)
    return np.array(out)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 40])
def test_batched_matches_slow_reference(n):
    rng = np.random.default_rng(n)
    g = random_pose(rng, n)
    p = g + rng.normal(scale=0.05, size=g.shape)
    np.testing.assert_allclose(F.mpjpe(p, g), ref_mpjpe(p, g), atol=1e-9)
    np.testing.assert_allclose(F.pa_mpjpe(p, g), ref_pa(p, g), atol=1e-8)
    np.testing.assert_allclose(F.acc_err(p, g), ref_acc_err(p, g), atol=1e-9)
    vis = rng.random(n) > 0.3
    np.testing.assert_allclose(F.acc_err(p, g, vis=vis), ref_acc_err(p, g, vis), atol=1e-9)


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_small_batches_not_shape_sniffed(batch):
    """The VIBE/TRACE bug transposed inputs when the batch size was 2 or 3 (= the xyz axis)."""
    rng = np.random.default_rng(10 + batch)
    g = random_pose(rng, batch)
    p = g + rng.normal(scale=0.05, size=g.shape)
    np.testing.assert_allclose(F.pa_mpjpe(p, g), ref_pa(p, g), atol=1e-8)
    # each frame's result is independent of which batch it sits in
    singles = np.concatenate([F.pa_mpjpe(p[i:i + 1], g[i:i + 1]) for i in range(batch)])
    np.testing.assert_allclose(F.pa_mpjpe(p, g), singles, atol=1e-10)


def test_hand_computed_values():
    g = np.zeros((1, 14, 3))
    g[0, :, 0] = np.arange(14) * 0.1
    # a translation of the whole body: MPJPE 0 after pelvis centring
    assert F.mpjpe(g + [1.0, -2.0, 0.5], g)[0] == pytest.approx(0, abs=1e-9)
    # 10 mm shift of one non-pelvis joint: 10/14 mm
    p = g.copy()
    p[0, 7, 1] += 0.010
    assert F.mpjpe(p, g)[0] == pytest.approx(10 / 14)
    # without centring, a 3 cm translation is 30 mm everywhere
    assert F.mpjpe(g + [0.03, 0, 0], g, pelvis=None)[0] == pytest.approx(30.0)
    # shifting a hip by 14 mm moves the pelvis 7 mm: 12 joints off by 7, the moved hip by 7
    p = g.copy()
    p[0, 2, 2] += 0.014
    assert F.mpjpe(p, g)[0] == pytest.approx(7.0)
    # PVE: no alignment at all
    assert F.pve(g + [0, 0.002, 0], g)[0] == pytest.approx(2.0)


def test_pa_rejects_reflection():
    rng = np.random.default_rng(3)
    g = random_pose(rng, 4)
    mirrored = g * np.array([-1.0, 1.0, 1.0])
    # a mirror image cannot be aligned by a rotation: the error stays well above zero
    assert (F.pa_mpjpe(mirrored, g) > 10).all()
    # while a proper rotation is undone exactly
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    np.testing.assert_allclose(F.pa_mpjpe(g @ rot.T, g), 0, atol=1e-9)


def test_pa_degenerate_prediction_is_finite():
    g = random_pose(np.random.default_rng(4), 2)
    p = np.zeros_like(g)  # every joint at one point: scale 0, joints land on the GT mean
    expected = np.linalg.norm(g - g.mean(axis=1, keepdims=True), axis=2).mean(axis=1) * 1000
    np.testing.assert_allclose(F.pa_mpjpe(p, g), expected, atol=1e-9)


def test_acceleration_hand_values():
    n = 6
    t = np.arange(n, dtype=float)
    g = np.zeros((n, 14, 3))
    p = g.copy()
    # joint 0 of the prediction follows x = 0.001 t^2 / 2 ... second difference 1 mm per frame^2
    p[:, 0, 0] = 0.0005 * t ** 2 * 2  # 0.001 t^2 -> second difference 0.002 m = 2 mm
    np.testing.assert_allclose(F.accel(p), 2 / 14)
    np.testing.assert_allclose(F.acc_err(p, g), 2 / 14)
    assert F.accel(p).shape == (n - 2,)
    # velocity error of joint 0: 0.001 (2t+1) m per frame
    np.testing.assert_allclose(F.vel_err(p, g), (2 * t[:-1] + 1) / 14)
    # vis mask: term t uses frames t..t+2, dropped if any is invisible
    vis = np.array([1, 1, 1, 0, 1, 1], bool)
    assert F.acc_term_mask(vis).tolist() == [True, False, False, False]
    assert F.acc_err(p, g, vis=vis).shape == (1,)
    assert F.acc_err(p[:2], g[:2]).shape == (0,)


def test_accepts_torch_and_returns_mm():
    rng = np.random.default_rng(5)
    g = random_pose(rng, 3)
    p = g + 0.01
    tp = torch.tensor(p, dtype=torch.float32, requires_grad=True)
    np.testing.assert_allclose(F.pa_mpjpe(tp, torch.tensor(g)), F.pa_mpjpe(p, g), atol=1e-3)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((5, 14)), "pred_m: expected shape"),
    (np.zeros((2, 5, 14, 3)), "pred_m: expected shape"),
    (np.zeros((5, 14, 2)), "pred_m: expected shape"),
    (np.full((5, 14, 3), np.nan), "pred_m: contains NaN"),
    (np.zeros((4, 14, 3)), "shape"),
])
def test_bad_input_names_the_argument(bad, match):
    with pytest.raises(ShapeError, match=match):
        F.mpjpe(bad, np.zeros((5, 14, 3)))


def test_vis_length_checked():
    with pytest.raises(ShapeError, match="vis"):
        F.acc_err(np.zeros((5, 14, 3)), np.zeros((5, 14, 3)), vis=np.ones(4, bool))


def test_registered_metrics_and_units():
    names = [n for n, _, _ in F.REGISTERED_METRICS]
    assert names == ["mpjpe", "pa_mpjpe", "acc_err", "accel", "vel_err", "pve"]
    assert F.UNITS["acc_err"] == "mm/frame^2"


# ---- properties ----

def _rotation(a, b, c):
    def rx(t): return np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    def rz(t): return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    return rz(a) @ rx(b) @ rz(c)


angles = st.floats(-np.pi, np.pi)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), a=angles, b=angles, c=angles,
       scale=st.floats(0.2, 5.0), shift=st.tuples(*[st.floats(-3, 3)] * 3))
def test_pa_invariant_to_similarity_of_prediction(seed, a, b, c, scale, shift):
    rng = np.random.default_rng(seed)
    g = random_pose(rng, 3)
    p = g + rng.normal(scale=0.05, size=g.shape)
    moved = scale * p @ _rotation(a, b, c).T + np.array(shift)
    np.testing.assert_allclose(F.pa_mpjpe(moved, g), F.pa_mpjpe(p, g), atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.tuples(*[st.floats(-5, 5)] * 3))
def test_mpjpe_invariant_to_global_translation(seed, shift):
    rng = np.random.default_rng(seed)
    g = random_pose(rng, 4)
    p = g + rng.normal(scale=0.05, size=g.shape)
    per_frame_shift = np.array(shift) * np.arange(4)[:, None, None]  # a different shift per frame
    np.testing.assert_allclose(F.mpjpe(p + per_frame_shift, g), F.mpjpe(p, g), atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 12))
def test_constant_velocity_gives_zero_acceleration(seed, n):
    rng = np.random.default_rng(seed)
    base = random_pose(rng, 1)
    vel = rng.normal(scale=0.02, size=(1, 14, 3))
    t = np.arange(n)[:, None, None]
    moving = base + vel * t  # every joint at constant velocity
    np.testing.assert_allclose(F.accel(moving), 0, atol=1e-9)
    gt = random_pose(rng, n)
    # a prediction whose error grows linearly in time has zero acceleration error
    np.testing.assert_allclose(F.acc_err(gt + vel * t + base, gt), 0, atol=1e-9)


def test_newton_and_svd_paths_agree_with_reference():
    """Good predictions take the closed-form Newton path, mirrored/degenerate ones the SVD
    path; both must equal the per-frame SVD reference."""
    rng = np.random.default_rng(11)
    g = random_pose(rng, 60)
    p = g + rng.normal(scale=0.05, size=g.shape)
    p[::3] = p[::3] * np.array([-1.0, 1.0, 1.0])  # det K < 0: reflection fix
    p[1::7] = rng.normal(scale=0.3, size=p[1::7].shape)  # unrelated poses
    p[2, :, 2] = 0.0  # a flat (planar) prediction: singular K
    np.testing.assert_allclose(F.pa_mpjpe(p, g), ref_pa(p, g), atol=1e-8)


def test_best_rotation_is_a_rotation_on_exactly_coplanar_points():
    """Coplanar points make K singular; the SVD's arbitrary null vectors must not turn R into a
    reflection (det R = -1): Z comes from det U · det Vᵀ, as in the official code."""
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(300, 14, 3))
    gt = rng.normal(size=(300, 14, 3))
    pred[..., 2] = 0.0  # every joint in the plane z = 0, exactly
    gt[..., 2] = 0.0
    x1 = pred - pred.mean(axis=1, keepdims=True)
    x2 = gt - gt.mean(axis=1, keepdims=True)
    rot = F._best_rotation(x1.transpose(0, 2, 1) @ x2)
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-12)
    np.testing.assert_allclose(rot @ rot.transpose(0, 2, 1), np.broadcast_to(np.eye(3), rot.shape), atol=1e-12)
