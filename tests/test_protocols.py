"""posebench.metrics.protocols: the built-ins encode each code base's documented choices."""
import dataclasses
import json

import numpy as np
import pytest
import torch

from posebench.data.track import Track
from posebench.errors import PosebenchError
from posebench.evaluation import evaluate, predict
from posebench.metrics.compare import compare_models
from posebench.metrics.protocols import BUILTIN_PROTOCOLS, Protocol
from posebench.metrics.scoring import SequencePrediction, SequenceTarget, score
from posebench.models.base import OUTPUTS_JOINTS, PoseModel, PoseOutput
from posebench.registry import PluginSystem, get_protocol, reset_plugin_system


@pytest.fixture
def core_only():
    reset_plugin_system(PluginSystem(load_entry_points=False))
    yield
    reset_plugin_system(None)


def by_id(pid):
    return next(p for p in BUILTIN_PROTOCOLS if p.id == pid)


def test_builtin_ids_registered_and_family_resolves(core_only):
    assert [p.id for p in BUILTIN_PROTOCOLS] == ["posebench-v1", "vibe-v1", "meva-v1", "hmmr-v1",
                                                 "vibe-v2", "meva-v2", "hmmr-v2"]
    assert get_protocol("posebench").id == "posebench-v1"
    assert [get_protocol(f).id for f in ("vibe", "meva", "hmmr")] == ["vibe-v2", "meva-v2", "hmmr-v2"]
    assert get_protocol("meva-v1") is by_id("meva-v1")


def test_documented_choices():
    pb, vibe, meva, hmmr = (by_id(i) for i in ("posebench-v1", "vibe-v1", "meva-v1", "hmmr-v1"))
    assert (pb.windowing, pb.window, pb.frame_filter, pb.aggregation, pb.accel_across_sequences) == \
        ("full", None, "valid", "frames", False)
    assert (vibe.windowing, vibe.window, vibe.frame_filter, vibe.accel_across_sequences) == \
        ("vibe", 16, "visible>6", True)
    assert (meva.windowing, meva.window, dict(meva.window_params), meva.frame_filter, meva.aggregation) == \
        ("meva", 90, {"overlap": 10}, "valid", "frames")
    assert (hmmr.windowing, hmmr.window, hmmr.aggregation, hmmr.accel_visibility_mask) == \
        ("hmmr", 20, "sequences", True)
    assert all(p.pelvis_joints == (2, 3) for p in BUILTIN_PROTOCOLS)


def test_v2_declares_each_official_rule():
    vibe, meva, hmmr = (by_id(i) for i in ("vibe-v2", "meva-v2", "hmmr-v2"))
    assert (vibe.frame_filter, vibe.visibility_threshold, vibe.min_visible_joints, vibe.filter_before_windowing,
            vibe.windowing, vibe.window, vibe.accel_across_gaps, vibe.accel_across_sequences, vibe.aggregation) == \
        ("visible", 0.3, 6, True, "vibe", 16, True, True, "frames")
    assert (meva.frame_filter, meva.filter_before_windowing, dict(meva.window_params), meva.pa_direction,
            meva.accel_across_gaps, meva.accel_across_sequences, meva.metrics) == \
        ("valid&visible", True, {"overlap": 10, "short": "skip"}, "gt_to_pred", True, False,
         ("mpjpe", "pa_mpjpe", "acc_err", "vel_err"))
    assert (hmmr.frame_filter, hmmr.visibility_threshold, hmmr.filter_before_windowing, hmmr.accel_centering,
            hmmr.temporal_frame_filter, hmmr.accel_visibility_mask, hmmr.aggregation, hmmr.aggregation_unit) == \
        ("visible", 0.1, False, "none", False, ("acc_err",), "sequences", "video")
    assert hmmr.masks_visibility("acc_err") and not hmmr.masks_visibility("accel")
    assert by_id("hmmr-v1").masks_visibility("accel")  # v1: both masked
    assert hmmr.visible(np.array([[0.2] * 7 + [0.0] * 7])).tolist() == [True]  # 7 joints at 0.2 > 0.1
    assert vibe.visible(np.array([[0.2] * 7 + [0.0] * 7, [0.9] * 7 + [0.0] * 7])).tolist() == [False, True]
    assert not vibe.visible(np.array([[0.9] * 6 + [0.0] * 8])).any()  # exactly 6 visible is not > 6


def test_coverage_follows_the_filter_first_windowing():
    keep = np.ones(40, bool)
    keep[[3, 4, 20]] = False  # 37 kept frames -> two VIBE windows (32 frames), tail of 5 dropped
    covered = by_id("vibe-v2").coverage(keep)
    assert covered.sum() == 32 and not covered[[3, 4, 20]].any() and not covered[np.flatnonzero(keep)[32:]].any()
    assert by_id("vibe-v1").coverage(keep).sum() == 32 and by_id("vibe-v1").coverage(keep)[3]  # raw track
    assert by_id("meva-v2").coverage(np.ones(89, bool)).sum() == 0  # < 90 kept frames: skipped
    assert by_id("meva-v1").coverage(np.ones(89, bool)).all()  # v1: edge-padded
    assert by_id("hmmr-v2").coverage(keep).all() and by_id("posebench-v1").coverage(keep).all()


def test_plan_uses_protocol_window_or_model_window():
    assert len(by_id("posebench-v1").plan(100, model_window=16)) > 1
    assert all(w.length == 16 for w in by_id("posebench-v1").plan(100, model_window=16))
    assert all(w.length == 90 for w in by_id("meva-v1").plan(100, model_window=16))


def test_definition_is_json():
    d = by_id("hmmr-v1").definition()
    text = json.dumps(d)
    assert '"id": "hmmr-v1"' in text
    assert d["window_params"] == {"margin": 6}
    assert d["units"]["acc_err"] == "mm/frame^2"
    assert set(d["metric_definitions"]) == set(d["metrics"])


def test_invalid_protocols_rejected():
    with pytest.raises(PosebenchError, match="version"):
        Protocol(id="noversion", description="")
    with pytest.raises(PosebenchError, match="frame_filter"):
        Protocol(id="x-v1", description="", frame_filter="some")
    with pytest.raises(PosebenchError, match="unknown metrics"):
        Protocol(id="x-v1", description="", metrics=("mpjpe", "jitter"))


# ---- the Protocol object drives evaluation: windows, filtering, skipping, comparison ----

class EchoModel(PoseModel):
    """Outputs its input features as joints and records the windows it was fed."""

    name = "echo"
    window = 16
    outputs = OUTPUTS_JOINTS

    def __init__(self):
        super().__init__({})
        self.seen = []
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, batch):
        self.seen.extend(batch.features.detach().cpu().numpy())
        b, t, _ = batch.features.shape
        return PoseOutput(joints_lsp14_m=batch.features.reshape(b, t, 14, 3))


def echo_track(name, n, seed=0, hidden=()):
    rng = np.random.default_rng(seed)
    joints = rng.normal(scale=0.3, size=(n, 14, 3))
    kp2d = np.ones((n, 14, 3), np.float32)
    kp2d[list(hidden), :, 2] = 0.0
    return Track(name=name, fps=30.0, features=joints.reshape(n, 42).astype(np.float32), kp2d=kp2d,
                 joints3d_m=joints.astype(np.float32), valid=np.ones(n, bool))


def test_plugin_protocol_window_and_window_params_are_honoured():
    track = echo_track("t", 44)
    own = Protocol(id="plugin-v1", description="", windowing="vibe", window=8)
    model = EchoModel()
    covered = predict(model, [track], own, device="cpu")["t"].covered
    assert {len(w) for w in model.seen} == {8} and covered.sum() == 40  # 5 windows of 8
    model = EchoModel()
    assert predict(model, [track], Protocol(id="plugin-v2", description="", windowing="vibe"),
                   device="cpu")["t"].covered.sum() == 32  # the model's own 16
    assert {len(w) for w in model.seen} == {16}
    for overlap, n_windows in ((4, 4), (12, 8)):  # window_params reach the planner
        model = EchoModel()
        proto = Protocol(id="plugin-v3", description="", windowing="full", window_params=(("overlap", overlap),))
        result = evaluate(model, [track], protocol=proto, device="cpu")
        assert len(model.seen) == n_windows and result.summary["mpjpe"] < 1e-3


def test_filter_before_windowing_feeds_the_model_only_kept_frames():
    hidden = (3, 4, 20)
    track = echo_track("t", 40, hidden=hidden)
    model = EchoModel()
    pred = predict(model, [track], get_protocol("vibe-v2"), device="cpu")["t"]
    seen = np.concatenate(model.seen)
    assert seen.shape[0] == 32  # 37 kept frames -> two windows of 16, tail of 5 dropped
    kept = np.delete(np.arange(40), hidden)
    np.testing.assert_array_equal(seen, track.features[kept[:32]])
    assert pred.covered.sum() == 32 and not pred.covered[list(hidden)].any()
    assert np.isnan(pred.joints_lsp14_m[~pred.covered]).all()


def test_sequence_with_no_scored_frame_is_skipped_not_a_crash():
    good, empty = echo_track("good", 30), echo_track("empty", 30, seed=1)
    empty.valid = np.zeros(30, bool)  # every frame invalid
    result = evaluate(EchoModel(), [good, empty], protocol=get_protocol("posebench"), device="cpu")
    assert list(result.skipped) == ["empty"] and result.summary["n_sequences_skipped"] == 1
    assert list(result.per_sequence["sequence"]) == ["good"]
    short = echo_track("short", 10)  # under vibe-v2's 16 frames: nothing covered
    result = evaluate(EchoModel(), [good, short], protocol=get_protocol("vibe-v2"), device="cpu")
    assert list(result.skipped) == ["short"] and result.summary["n_frames_scored"] == 16
    with pytest.raises(PosebenchError, match="expected a Protocol"):
        evaluate(EchoModel(), [good], protocol="posebench")


def _two_models(protocol):
    rng = np.random.default_rng(3)
    gts, a, b = {}, {}, {}
    for i, (video, n) in enumerate([("v0", 40), ("v0", 200), ("v1", 120), ("v2", 30)]):
        g = rng.normal(scale=0.3, size=(n, 14, 3))
        conf = rng.uniform(0.0, 1.0, size=(n, 14))
        gts[f"s{i}"] = SequenceTarget(g, valid=rng.random(n) > 0.1, vis2d=conf, video=video)
        a[f"s{i}"] = SequencePrediction(g + rng.normal(scale=0.01 * (i + 1), size=g.shape))
        b[f"s{i}"] = SequencePrediction(g + rng.normal(scale=0.03, size=g.shape))
    return score(a, gts, protocol), score(b, gts, protocol)


@pytest.mark.parametrize("pid", ["posebench-v1", "vibe-v2", "meva-v2", "hmmr-v2", "hmmr-v1"])
def test_compare_weights_as_the_protocol_aggregates(pid):
    protocol = dataclasses.replace(get_protocol(pid), window=None, windowing="full",
                                   window_params=())  # cover these short tracks whole
    ra, rb = _two_models(protocol)
    metrics = [m for m in ("mpjpe", "pa_mpjpe", "acc_err", "accel") if m in ra.summary and
               not (protocol.accel_across_sequences and m in ("acc_err", "accel"))]
    df = compare_models({"A": ra.per_sequence, "B": rb.per_sequence}, metrics, n_boot=50, protocol=protocol)
    for row in df.itertuples():
        assert row.diff == pytest.approx(ra.summary[row.metric] - rb.summary[row.metric], abs=1e-9), row.metric
    if protocol.aggregation_unit == "video":
        assert set(df["n"]) == {3}  # three videos, not four tracks
