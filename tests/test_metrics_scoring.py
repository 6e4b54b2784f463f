"""posebench.metrics.scoring and compare: frame filters, aggregation, accel scope, errors."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from posebench.errors import PosebenchError, ShapeError
from posebench.metrics.compare import compare_models, paired_bootstrap, seed_summary
from posebench.metrics.protocols import BUILTIN_PROTOCOLS
from posebench.metrics.scoring import SequencePrediction, SequenceTarget, score

P = {p.id: p for p in BUILTIN_PROTOCOLS}
BASE = np.random.default_rng(0).normal(scale=0.3, size=(14, 3))


def static_track(n):
    return np.repeat(BASE[None], n, axis=0)


def shifted(gt, mm, joint=7):
    p = gt.copy()
    p[:, joint, 1] += mm / 1000
    return p


def two_sequences():
    """A: 2 frames, joint 7 off by 14 mm (MPJPE 1 mm); B: 6 frames, off by 28 mm (2 mm)."""
    ga, gb = static_track(2), static_track(6)
    vis = lambda n: np.ones((n, 14))
    gts = {"A": SequenceTarget(ga, vis2d=vis(2)), "B": SequenceTarget(gb, vis2d=vis(6))}
    preds = {"A": SequencePrediction(shifted(ga, 14)), "B": SequencePrediction(shifted(gb, 28))}
    return preds, gts


def test_frame_pooled_vs_sequence_mean():
    preds, gts = two_sequences()
    pooled = score(preds, gts, P["posebench-v1"])
    seqmean = score(preds, gts, P["hmmr-v1"])
    assert pooled.summary["mpjpe"] == pytest.approx((2 * 1 + 6 * 2) / 8)  # 1.75
    assert seqmean.summary["mpjpe"] == pytest.approx((1 + 2) / 2)  # 1.5
    assert pooled.per_sequence.set_index("sequence")["mpjpe"].to_dict() == pytest.approx({"A": 1.0, "B": 2.0})
    assert pooled.summary["n_frames"] == 8 and pooled.summary["n_sequences"] == 2


def test_accel_across_sequences_only_in_vibe():
    preds, gts = two_sequences()
    clean = score(preds, gts, P["posebench-v1"])
    # vibe-v1's stacking rule on tracks shorter than its 16-frame windows (which would leave
    # them uncovered): the same protocol with whole-track coverage
    vibe = score(preds, gts, dataclasses.replace(P["vibe-v1"], id="vibe-stack-v1", windowing="full", window=None))
    # each sequence alone has a constant error: no acceleration error, no velocity error
    assert clean.summary["acc_err"] == pytest.approx(0, abs=1e-9)
    assert clean.summary["vel_err"] == pytest.approx(0, abs=1e-9)
    # VIBE's single stack A+B (8 frames, 6 terms): the two terms spanning the boundary see a
    # 14 mm jump of joint 7's error -> 14/14 = 1 mm/frame^2 each
    assert vibe.summary["acc_err"] == pytest.approx(2 / 6)
    assert vibe.summary["vel_err"] == pytest.approx(1 / 7)
    # the per-sequence table stays per sequence under every protocol
    acc = vibe.per_sequence["acc_err"].to_numpy()
    assert np.isnan(acc[0]) and acc[1] == pytest.approx(0, abs=1e-9)  # A (2 frames) has no term


def test_uncovered_tail_is_excluded_and_counted():
    n = 20
    gt = static_track(n)
    pred = shifted(gt, 14)
    pred[16:] = np.nan  # the model did not produce these (VIBE tail)
    covered = np.arange(n) < 16
    r = score({"s": SequencePrediction(pred, covered=covered)}, {"s": SequenceTarget(gt)}, P["posebench-v1"])
    assert r.summary["n_frames_total"] == 20 and r.summary["n_frames_scored"] == 16
    assert r.summary["mpjpe"] == pytest.approx(1.0)
    assert np.isnan(r.per_frame["s"]["mpjpe"][16:]).all()
    assert np.isfinite(r.per_frame["s"]["acc_err"]).sum() == 14  # terms fully inside frames 0..15


def test_valid_filter_and_gap_terms():
    n = 10
    gt = static_track(n)
    pred = shifted(gt, 14)
    pred[5] = shifted(gt[5:6], 140)[0]  # a bad frame that is marked invalid
    valid = np.ones(n, bool)
    valid[5] = False
    r = score({"s": SequencePrediction(pred)}, {"s": SequenceTarget(gt, valid=valid)}, P["posebench-v1"])
    assert r.summary["mpjpe"] == pytest.approx(1.0)
    assert r.summary["acc_err"] == pytest.approx(0, abs=1e-9)  # no term spans the invalid frame
    assert np.isnan(r.per_frame["s"]["acc_err"][3:6]).all()
    all_frames = dataclasses.replace(P["posebench-v1"], id="all-frames-v1", frame_filter="all")
    all_frames = score({"s": SequencePrediction(pred)}, {"s": SequenceTarget(gt, valid=valid)}, all_frames)
    assert all_frames.summary["mpjpe"] == pytest.approx((9 * 1 + 10) / 10)


def test_hmmr_visibility_mask_drops_accel_terms_only():
    n = 8
    gt = static_track(n)
    pred = shifted(gt, 14)
    pred[4] = shifted(gt[4:5], 28)[0]
    vis2d = np.ones((n, 14))
    vis2d[4, :10] = 0  # 4 visible joints on frame 4
    r = score({"s": SequencePrediction(pred)}, {"s": SequenceTarget(gt, vis2d=vis2d)}, P["hmmr-v1"])
    assert r.summary["mpjpe"] == pytest.approx((7 * 1 + 2) / 8)  # frame 4 still scored
    assert r.summary["acc_err"] == pytest.approx(0, abs=1e-9)  # terms through frame 4 dropped
    assert np.isfinite(r.per_frame["s"]["acc_err"]).sum() == 6 - 3


def test_pve_when_vertices_present():
    gt = static_track(3)
    verts = np.zeros((3, 10, 3))
    r = score({"s": SequencePrediction(gt, vertices_m=verts + [0, 0, 0.004])},
              {"s": SequenceTarget(gt, vertices_m=verts)}, P["posebench-v1"])
    assert r.summary["pve"] == pytest.approx(4.0)
    assert "pve" not in score({"s": SequencePrediction(gt)}, {"s": SequenceTarget(gt)}, P["posebench-v1"]).summary


def test_accepts_file_layout_dicts():
    gt = static_track(4)
    r = score({"s": {"joints3d_m": shifted(gt, 14)}}, {"s": {"joints3d_m": gt, "valid": np.ones(4, bool)}},
              P["meva-v1"])
    assert r.summary["mpjpe"] == pytest.approx(1.0)


@pytest.mark.parametrize("case, match", [
    ("missing", r"missing 1 sequence.*'b'"),
    ("extra", r"not in the ground truth.*'c'"),
    ("frames", r"sequence 'a': prediction field 'joints3d_m' has 4 frames, ground truth has 5"),
    ("shape", r"sequence 'a': prediction field 'joints3d_m' has shape \(5, 17, 3\)"),
    ("nan", r"sequence 'a': prediction field 'joints3d_m' has NaN/inf at frame 2"),
    ("empty", r"sequence 'a': ground truth field 'joints3d_m' is empty"),
    ("vis", r"sequence 'a'.*needs the ground truth field 'vis2d'"),
])
def test_errors_name_sequence_and_field(case, match):
    gt = static_track(5)
    preds = {"a": SequencePrediction(gt.copy()), "b": SequencePrediction(gt.copy())}
    gts = {"a": SequenceTarget(gt), "b": SequenceTarget(gt)}
    protocol = P["posebench-v1"]
    if case == "missing":
        del preds["b"]
    elif case == "extra":
        preds["c"] = preds["a"]
    elif case == "frames":
        preds["a"] = SequencePrediction(gt[:4])
    elif case == "shape":
        preds["a"] = SequencePrediction(np.zeros((5, 17, 3)))
    elif case == "nan":
        bad = gt.copy()
        bad[2, 0, 0] = np.nan
        preds["a"] = SequencePrediction(bad)
    elif case == "empty":
        gts["a"] = SequenceTarget(np.zeros((0, 14, 3)))
    elif case == "vis":
        protocol = P["vibe-v1"]
    with pytest.raises((ShapeError, PosebenchError), match=match):
        score(preds, gts, protocol)


# ---- compare ----

def test_paired_bootstrap_hand_values():
    a = pd.Series([3.0, 5.0, 7.0], index=["x", "y", "z"])
    b = pd.Series([6.0, 2.0, 4.0], index=["z", "x", "y"])  # aligned by index: diffs 1, 1, 1
    r = paired_bootstrap(a, b)
    assert r == {"diff": pytest.approx(1.0), "lo": pytest.approx(1.0), "hi": pytest.approx(1.0), "n": 3}
    # frame weighting: diffs 1 (10 frames) and 4 (30 frames) -> 3.25; unweighted 2.5
    w = paired_bootstrap(np.array([1.0, 4.0]), np.zeros(2), weights=np.array([10, 30]))
    assert w["diff"] == pytest.approx(3.25) and 1.0 <= w["lo"] <= w["hi"] <= 4.0
    assert paired_bootstrap(np.array([1.0, 4.0]), np.zeros(2))["diff"] == pytest.approx(2.5)


def test_paired_bootstrap_interval_and_determinism():
    rng = np.random.default_rng(1)
    a = rng.normal(60, 5, size=40)
    b = a + rng.normal(2, 1, size=40)
    r1 = paired_bootstrap(a, b, n_boot=500, seed=3)
    assert r1 == paired_bootstrap(a, b, n_boot=500, seed=3)
    assert r1["lo"] < r1["diff"] < r1["hi"] < 0  # A clearly better than B


def test_compare_models_table():
    seqs = ["s1", "s2", "s3"]
    mk = lambda v: pd.DataFrame({"sequence": seqs, "n_frames_scored": [10, 10, 20], "mpjpe": v})
    tables = {"meva": mk([50.0, 52.0, 54.0]), "vibe": mk([55.0, 57.0, 59.0]), "hmmr": mk([60.0, 60.0, 60.0])}
    df = compare_models(tables, ["mpjpe"], baseline="vibe", n_boot=200)
    assert list(df.columns) == ["model_a", "model_b", "metric", "diff", "ci_lo", "ci_hi", "n"]
    row = df.set_index("model_a").loc["meva"]
    assert row["diff"] == pytest.approx(-5.0) and row["ci_lo"] == pytest.approx(-5.0)
    assert len(compare_models(tables, ["mpjpe"], n_boot=50)) == 3
    tables["hmmr"] = mk([1.0, 2.0, 3.0]).iloc[:2]
    with pytest.raises(PosebenchError, match="different sequences"):
        compare_models(tables, ["mpjpe"], n_boot=50)


def test_seed_summary():
    mean, std = seed_summary([1.0, 2.0, 3.0])
    assert (mean, std) == (pytest.approx(2.0), pytest.approx(1.0))
    assert np.isnan(seed_summary([4.0])[1])


def test_sequences_with_nothing_to_score_are_skipped_and_reported():
    gt = static_track(6)
    gts = {"ok": SequenceTarget(gt), "invalid": SequenceTarget(gt, valid=np.zeros(6, bool)),
           "uncovered": SequenceTarget(gt)}
    preds = {"ok": SequencePrediction(shifted(gt, 14)), "invalid": SequencePrediction(shifted(gt, 14)),
             "uncovered": SequencePrediction(np.full_like(gt, np.nan), covered=np.zeros(6, bool))}
    r = score(preds, gts, P["posebench-v1"])
    assert set(r.skipped) == {"invalid", "uncovered"} and list(r.per_sequence["sequence"]) == ["ok"]
    assert r.summary["mpjpe"] == pytest.approx(1.0) and r.summary["n_sequences_skipped"] == 2
    assert any("skipped 2 sequence(s)" in line for line in r.notes())
    with pytest.raises(PosebenchError, match="nothing to score.*all 2 sequence"):
        score({k: preds[k] for k in ("invalid", "uncovered")}, {k: gts[k] for k in ("invalid", "uncovered")},
              P["posebench-v1"])


def test_scored_joints_subset():
    """A protocol scoring LSP-14 joints 0-11 only (e.g. no neck/head top in the GT): the other
    joints may be NaN, and every metric uses the subset, centred on the same mid-hip."""
    rng = np.random.default_rng(5)
    gt = rng.normal(scale=0.3, size=(20, 14, 3))
    pred = gt + rng.normal(scale=0.02, size=gt.shape)
    gt_nan = gt.copy()
    gt_nan[:, 12:] = np.nan
    limbs = dataclasses.replace(P["posebench-v1"], id="limbs-v1", scored_joints=tuple(range(12)))
    r = score({"s": SequencePrediction(pred)}, {"s": SequenceTarget(gt_nan)}, limbs)
    from posebench.metrics import functional as F
    assert r.summary["mpjpe"] == pytest.approx(F.mpjpe(pred[:, :12], gt[:, :12]).mean(), rel=1e-12)
    assert r.summary["pa_mpjpe"] == pytest.approx(F.pa_mpjpe(pred[:, :12], gt[:, :12]).mean(), rel=1e-12)
    assert r.summary["acc_err"] == pytest.approx(F.acc_err(pred[:, :12], gt[:, :12]).mean(), rel=1e-12)
    with pytest.raises(PosebenchError, match="scored_joints"):
        dataclasses.replace(limbs, scored_joints=(0, 1, 4))  # without the pelvis joints
    with pytest.raises(ShapeError, match="NaN"):
        score({"s": SequencePrediction(pred)}, {"s": SequenceTarget(gt_nan)}, P["posebench-v1"])
