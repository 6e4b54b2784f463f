"""Post-hoc filters (posebench.filters): what they keep, how much white-noise acceleration they
remove (against factors derived from each filter's impulse response, computed here independently
of the implementation), rotations stay rotations, MODEL+FILTER names and parameters."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from posebench.errors import PosebenchError, UnknownNameError
from posebench.evaluation import TrackPrediction
from posebench import filters
from posebench.filters import filter_options_from, merge_filter_options, split_model_name
from posebench.geometry.rotations import axis_angle_to_matrix
from posebench.metrics import functional as F

FPS = 30.0


def get_filter(name, options=None):
    from posebench.registry import get_plugin_system

    return filters.get_filter(name, options, registry=get_plugin_system().filters)


def resolve_model_name(name, options=None):
    from posebench.registry import get_plugin_system

    return filters.resolve_model_name(name, options, registry=get_plugin_system().filters)
SECOND_DIFF = np.array([1.0, -2.0, 1.0])


def prediction(joints: np.ndarray, rotmat: np.ndarray | None = None, covered: np.ndarray | None = None):
    n = joints.shape[0]
    return TrackPrediction("seq", joints_lsp14_m=joints, joints24_m=None, rotmat=rotmat, betas=None,
                           covered=np.ones(n, bool) if covered is None else covered)


def accel_factor(impulse_response: np.ndarray) -> float:
    """ACCEL(filtered white noise) / ACCEL(white noise) for a linear filter with this impulse response.

    A second difference of i.i.d. noise (variance s^2 per coordinate) is Gaussian with variance
    s^2 * sum(c^2), c = [1, -2, 1] (sum 6); after the filter h it is c * h. ACCEL is the mean norm
    of isotropic 3D Gaussian vectors, proportional to their standard deviation, and pelvis
    centring is linear in the joints and commutes with filtering over time, so the ratio is
    sqrt(sum((c * h)^2) / 6)."""
    ch = np.convolve(impulse_response, SECOND_DIFF)
    return math.sqrt(float(np.sum(ch**2)) / 6.0)


def gaussian_impulse_response(sigma: float) -> np.ndarray:
    radius = int(4.0 * sigma + 0.5)  # truncated at 4 sigma, as documented
    k = np.arange(-radius, radius + 1)
    g = np.exp(-(k**2) / (2 * sigma**2))
    return g / g.sum()


def savgol_impulse_response(window: int, order: int) -> np.ndarray:
    """The centre row of the least-squares polynomial smoother: fit a degree-``order`` polynomial
    over ``window`` samples and evaluate it at the centre."""
    half = window // 2
    t = np.arange(-half, half + 1, dtype=float)
    vander = np.vander(t, order + 1, increasing=True)  # (window, order + 1)
    return np.linalg.pinv(vander)[0]  # value at t = 0 = constant coefficient


def ema_impulse_response(alpha: float, length: int = 400) -> np.ndarray:
    return alpha * (1 - alpha) ** np.arange(length)


def one_euro_alpha(cutoff_hz: float, fps: float) -> float:
    tau = 1.0 / (2 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau * fps)


def test_cli_lists_the_builtin_filters():
    from posebench.cli.main import cli

    result = CliRunner().invoke(cli, ["filters"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for name in ("savgol", "one-euro", "gaussian"):
        assert f"| {name} " in result.output
    assert "MODEL+FILTER" in result.output


@pytest.mark.parametrize("name,params", [("savgol", {"window": 9, "order": 2}), ("gaussian", {"sigma": 3.0}),
                                         ("one-euro", {"min_cutoff": 0.5, "beta": 0.7, "d_cutoff": 1.0})])
def test_a_constant_signal_passes_unchanged(name, params):
    joints = np.broadcast_to(np.random.default_rng(0).normal(size=(1, 14, 3)), (50, 14, 3)).copy()
    rot = axis_angle_to_matrix(torch.from_numpy(np.random.default_rng(1).normal(size=(24, 3)))).numpy()
    rotmat = np.broadcast_to(rot, (50, 24, 3, 3)).copy()
    out = get_filter(name, params)(prediction(joints, rotmat), FPS)
    np.testing.assert_allclose(out.joints_lsp14_m, joints, atol=1e-9)
    np.testing.assert_allclose(out.rotmat, rotmat, atol=1e-6)


@pytest.mark.parametrize("name,params,impulse_response", [
    ("gaussian", {"sigma": 2.0}, gaussian_impulse_response(2.0)),
    ("gaussian", {"sigma": 0.7}, gaussian_impulse_response(0.7)),
    ("savgol", {"window": 9, "order": 2}, savgol_impulse_response(9, 2)),
    ("savgol", {"window": 15, "order": 3}, savgol_impulse_response(15, 3)),
    # beta = 0: the 1€ filter is an exponential moving average at min_cutoff.
    ("one-euro", {"min_cutoff": 2.0, "beta": 0.0, "d_cutoff": 1.0}, ema_impulse_response(one_euro_alpha(2.0, FPS))),
])
def test_white_noise_accel_drops_by_the_factor_of_the_impulse_response(name, params, impulse_response):
    noise = np.random.default_rng(5).normal(scale=0.01, size=(20000, 14, 3))
    out = get_filter(name, params)(prediction(noise), FPS)
    measured = F.accel(out.joints_lsp14_m).mean() / F.accel(noise).mean()
    expected = accel_factor(impulse_response)
    assert expected < 0.6  # a real reduction, so the check has teeth
    assert measured == pytest.approx(expected, rel=0.03)


def test_the_gaussian_factor_matches_its_continuum_limit():
    # For a wide Gaussian the filtered second difference approaches sigma^-2 times the kernel's
    # second derivative: sum(h^2) -> 3 / (8 sqrt(pi) sigma^5) (the integral of g''^2).
    sigma = 6.0
    expected = math.sqrt(3.0 / (8.0 * math.sqrt(math.pi) * sigma**5) / 6.0)
    assert accel_factor(gaussian_impulse_response(sigma)) == pytest.approx(expected, rel=0.02)


def test_one_euro_with_beta_follows_fast_motion_more_closely_than_without():
    t = np.arange(300) / FPS
    step = np.where(t > 5, 1.0, 0.0)[:, None, None] * np.ones((1, 14, 3))
    slow = get_filter("one-euro", {"min_cutoff": 0.5, "beta": 0.0})(prediction(step), FPS).joints_lsp14_m
    fast = get_filter("one-euro", {"min_cutoff": 0.5, "beta": 5.0})(prediction(step), FPS).joints_lsp14_m
    lag_slow, lag_fast = np.abs(slow - step).sum(), np.abs(fast - step).sum()
    assert lag_fast < 0.5 * lag_slow


def test_one_euro_is_causal():
    x = np.random.default_rng(0).normal(size=(60, 14, 3))
    y = x.copy()
    y[40:] += 5.0
    f = get_filter("one-euro", {"min_cutoff": 1.0, "beta": 0.3})
    a, b = f(prediction(x), FPS).joints_lsp14_m, f(prediction(y), FPS).joints_lsp14_m
    np.testing.assert_array_equal(a[:40], b[:40])
    assert not np.allclose(a[40:], b[40:])


@pytest.mark.parametrize("name,params", [("savgol", {"window": 11, "order": 2}), ("gaussian", {"sigma": 2.0}),
                                         ("one-euro", {"min_cutoff": 1.0, "beta": 0.5})])
def test_a_filtered_rotation_is_still_a_rotation_and_stays_near_the_motion(name, params):
    rng = np.random.default_rng(2)
    n = 120
    t = np.arange(n)[:, None, None] / FPS
    smooth_aa = 0.8 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 6, size=(1, 24, 3)))
    # Joint 0 turns through 180 degrees about z, where the w >= 0 quaternion flips sign.
    smooth_aa[:, 0] = 0.0
    smooth_aa[:, 0, 2] = np.linspace(np.pi - 0.4, np.pi + 0.4, n)
    noisy_aa = smooth_aa + rng.normal(scale=0.05, size=smooth_aa.shape)
    smooth = axis_angle_to_matrix(torch.from_numpy(smooth_aa)).numpy()
    noisy = axis_angle_to_matrix(torch.from_numpy(noisy_aa)).numpy()
    out = get_filter(name, params)(prediction(np.zeros((n, 14, 3)), noisy), FPS).rotmat
    eye = np.broadcast_to(np.eye(3), out.shape)
    np.testing.assert_allclose(out @ np.swapaxes(out, -1, -2), eye, atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(out), 1.0, atol=1e-6)
    # Frobenius distance to the clean motion shrinks (the sign flip at 180 degrees did no harm).
    inner = slice(10, n - 10)  # away from the ends, where a causal filter lags
    err_in = np.linalg.norm(noisy - smooth, axis=(-1, -2))[inner, 0].mean()
    err_out = np.linalg.norm(out - smooth, axis=(-1, -2))[inner, 0].mean()
    assert err_out < 0.8 * err_in if name != "one-euro" else err_out < 1.2 * err_in
    assert np.linalg.norm(out - smooth, axis=(-1, -2))[inner, 0].max() < 0.5


def test_uncovered_frames_are_never_filtered_across():
    x = np.random.default_rng(0).normal(size=(40, 14, 3))
    covered = np.ones(40, bool)
    covered[18:22] = False
    x[18:22] = np.nan
    y = x.copy()
    y[25:] += 10.0  # a change after the gap must not reach the frames before it
    f = get_filter("gaussian", {"sigma": 3.0})
    a = f(prediction(x, covered=covered), FPS).joints_lsp14_m
    b = f(prediction(y, covered=covered), FPS).joints_lsp14_m
    np.testing.assert_array_equal(a[:18], b[:18])
    assert np.isnan(a[18:22]).all() and np.isfinite(a[:18]).all() and np.isfinite(a[22:]).all()


def test_model_plus_filter_names_and_parameter_layers():
    assert split_model_name("vibe+one-euro") == ("vibe", ["one-euro"])
    assert split_model_name("mlp") == ("mlp", [])
    with pytest.raises(PosebenchError, match="MODEL\\+FILTER"):
        split_model_name("vibe+")
    options = merge_filter_options({"savgol": {"window": 7, "order": 3}},
                                   filter_options_from(["filters.savgol.window=11"]))
    spec = resolve_model_name("mlp+savgol", options)
    assert spec.model == "mlp" and spec.label == "mlp+savgol"
    assert spec.track_filter.describe() == [{"filter": "savgol", "params": {"window": 11, "order": 3},
                                             "plugin": "posebench"}]
    assert resolve_model_name("mlp").track_filter is None
    with pytest.raises(UnknownNameError, match="savgol"):
        resolve_model_name("mlp+savgoll")
    with pytest.raises(PosebenchError, match="unknown parameters \\['windw'\\]"):
        resolve_model_name("mlp+savgol", {"savgol": {"windw": 3}})
    with pytest.raises(PosebenchError, match="filters.NAME.PARAM"):
        filter_options_from(["train.lr=1"])


def test_bad_parameters_name_the_filter():
    with pytest.raises(PosebenchError, match="'savgol'.*odd"):
        get_filter("savgol", {"window": 8})(prediction(np.zeros((20, 14, 3))), FPS)
    with pytest.raises(PosebenchError, match="'one-euro'.*frame rate"):
        get_filter("one-euro")(prediction(np.zeros((20, 14, 3))), 0.0)


def test_a_third_party_filter_registers_through_the_hook(monkeypatch):
    from posebench import registry
    from posebench.hookspecs import hookimpl

    class HoldFirst:
        """Replaces every frame by the run's first frame (a silly but recognisable filter)."""

        @staticmethod
        @hookimpl
        def posebench_register_filters(register):
            register("hold-first", lambda x, fps, scale=1.0: np.broadcast_to(x[:1] * scale, x.shape).copy(),
                     defaults={"scale": 1.0}, description="test filter")

    system = registry.PluginSystem(extra_plugins=[("holdfirst", HoldFirst)], load_entry_points=False)
    monkeypatch.setattr(registry, "_SYSTEM", system)
    x = np.random.default_rng(0).normal(size=(10, 14, 3))
    out = get_filter("hold-first", {"scale": 2.0})(prediction(x), FPS).joints_lsp14_m
    np.testing.assert_allclose(out, np.broadcast_to(2.0 * x[:1], x.shape))
    assert system.filters.get("hold-first").plugin == "holdfirst"
    with pytest.raises(PosebenchError, match="reserved"):
        system.filters.add("a+b", None, plugin="p", package="p", version="0")
