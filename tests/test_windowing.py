"""posebench.windowing: coverage of every policy, padding, stitching, training crops."""
import numpy as np
import pytest
import torch

from posebench.errors import PosebenchError, ShapeError
from posebench.windowing import Window, pad_and_slice, plan_windows, stitch, training_windows

LENGTHS = [1, 5, 89, 90, 91, 100, 170, 171, 250, 939]
POLICY_WINDOWS = [("full", 16), ("full", 90), ("meva", 90), ("hmmr", 20)]


def coverage(plan, n):
    count = np.zeros(n, int)
    for w in plan:
        a, b = w.kept_source
        count[a:b] += 1
    return count


@pytest.mark.parametrize("policy, window", POLICY_WINDOWS)
@pytest.mark.parametrize("n", LENGTHS)
def test_every_frame_kept_exactly_once(policy, window, n):
    plan = plan_windows(n, window, policy)
    assert (coverage(plan, n) == 1).all()
    for w in plan:
        assert w.length == window  # the model always sees its own window
        assert 0 <= w.start < w.stop <= n


@pytest.mark.parametrize("n", LENGTHS)
def test_vibe_drops_exactly_the_tail(n):
    plan = plan_windows(n, 16, "vibe")
    count = coverage(plan, n)
    n_covered = (n // 16) * 16
    assert count[:n_covered].tolist() == [1] * n_covered
    assert count[n_covered:].sum() == 0
    assert all(w.pad_before == w.pad_after == 0 for w in plan)


def test_meva_windows_match_reference_description():
    # N = 250: regular starts 0, 80, 160 plus an extra window on the last 90 frames
    plan = plan_windows(250, 90, "meva")
    assert [(w.start, w.stop) for w in plan] == [(0, 90), (80, 170), (160, 250), (160, 250)]
    assert [w.keep for w in plan] == [(0, 85), (5, 85), (5, 85), (85, 90)]
    # N = 90: the same window runs twice (ZhengyiLuo/MEVA#6)
    plan = plan_windows(90, 90, "meva")
    assert [(w.start, w.stop, w.keep) for w in plan] == [(0, 90, (0, 85)), (0, 90, (85, 90))]
    # N = 171: last regular window starts at 80, extra keeps its final 171-90-80+5 = 6 frames
    plan = plan_windows(171, 90, "meva")
    assert plan[-1].start == 81 and plan[-1].keep == (84, 90)


def test_hmmr_windows_keep_the_middle_eight():
    plan = plan_windows(30, 20, "hmmr")
    assert [w.kept_source for w in plan] == [(0, 8), (8, 16), (16, 24), (24, 30)]
    assert (plan[0].pad_before, plan[0].keep) == (6, (6, 14))
    assert (plan[1].start, plan[1].stop, plan[1].pad_before) == (2, 22, 0)
    assert plan[-1].pad_after == 24 + 14 - 30


def test_full_short_track_is_edge_padded_and_padding_dropped():
    (w,) = plan_windows(5, 16, "full")
    assert (w.start, w.stop, w.pad_after, w.keep) == (0, 5, 11, (0, 5))
    x = np.arange(5.0)
    window = pad_and_slice(x, w)
    assert window.tolist() == [0, 1, 2, 3, 4] + [4.0] * 11
    assert w.mask().sum() == 5


def test_full_overlap_cut_in_the_middle():
    plan = plan_windows(40, 16, "full", overlap=4)  # stride 12: starts 0, 12, 24 (end-aligned)
    assert [w.start for w in plan] == [0, 12, 24]
    assert [w.kept_source for w in plan] == [(0, 14), (14, 26), (26, 40)]


def test_pad_modes():
    w = Window(0, 2, 3, 1, (3, 5))
    x = np.array([[1.0], [2.0]])
    assert pad_and_slice(x, w)[:, 0].tolist() == [1, 1, 1, 1, 2, 2]
    assert pad_and_slice(x, w, mode="zeros")[:, 0].tolist() == [0, 0, 0, 1, 2, 0]


@pytest.mark.parametrize("policy, window", POLICY_WINDOWS + [("vibe", 16)])
@pytest.mark.parametrize("n", [1, 89, 171])
def test_stitch_identity_reproduces_input(policy, window, n):
    x = np.random.default_rng(n).normal(size=(n, 14, 3))
    plan = plan_windows(n, window, policy)
    outputs = [torch.from_numpy(pad_and_slice(x, w)) for w in plan]  # identity "model", torch outputs
    out, covered = stitch(outputs, plan, n, trailing_shape=(14, 3))
    assert out.shape == x.shape
    assert covered.tolist() == (coverage(plan, n) == 1).tolist()
    np.testing.assert_array_equal(out[covered], x[covered])
    assert np.isnan(out[~covered]).all()


def test_stitch_checks_lengths_and_double_keeps():
    plan = plan_windows(20, 16, "full")
    with pytest.raises(ShapeError, match="window 0"):
        stitch([np.zeros(15), np.zeros(16)], plan, 20)
    with pytest.raises(ShapeError, match="already kept"):
        stitch([np.zeros(16), np.zeros(16)], [plan[0], plan[0]], 20)


def test_training_windows():
    assert training_windows(10, 16, 4) == []
    assert training_windows(16, 16, 4) == [(0, 16)]
    assert training_windows(25, 16, 4) == [(0, 16), (4, 20), (8, 24)]


def test_bad_policy_and_params():
    with pytest.raises(PosebenchError, match="unknown windowing policy"):
        plan_windows(10, 16, "nope")
    with pytest.raises(PosebenchError, match="overlap"):
        plan_windows(100, 90, "meva", overlap=7)
    with pytest.raises(PosebenchError, match="'vibe'"):
        plan_windows(100, 16, "vibe", overlap=2)
    assert plan_windows(0, 16) == []
