"""posebench.metrics.protocols: the built-ins encode each code base's documented choices."""
import json

import pytest

from posebench.errors import PosebenchError
from posebench.metrics.protocols import BUILTIN_PROTOCOLS, Protocol
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
