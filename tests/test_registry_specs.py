"""Typed registration specs (posebench.specs): what a registry entry holds, the deprecated
``register(name, obj, **metadata)`` form, and the model + ``-test`` twin helper."""
from __future__ import annotations

import types
import warnings

import pytest

from posebench.errors import PosebenchError
from posebench.hookspecs import hookimpl
from posebench.registry import PluginSystem
from posebench.specs import DatasetSpec, FilterSpec, MetricSpec, ModelSpec, lazy, register_with_test_twin


def _system(**hooks) -> PluginSystem:
    module = types.ModuleType("spec_plugin")
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return PluginSystem(extra_plugins=[("spec_plugin", module)], load_entry_points=False)


def test_a_model_spec_becomes_an_entry_with_its_fields_as_metadata():
    def train(cfg, dataset_name, out_dir, device="cpu", resume=False, stage="all", seed=0):
        return out_dir

    spec = ModelSpec("toy", lambda cfg: "built", train=train, window=8, outputs="joints", description="a toy")
    system = _system(posebench_register_models=lambda register: register(spec))
    entry = system.models.get("toy")
    assert entry.spec is spec and entry.obj(None) == "built"
    assert entry.metadata["train"] is train and entry.metadata["window"] == 8
    assert entry.metadata["outputs"] == "joints" and entry.metadata["inputs"] == ("features",)
    assert "build" not in entry.metadata and "name" not in entry.metadata


def test_a_spec_of_the_wrong_kind_is_refused_naming_the_plugin():
    with pytest.raises(PosebenchError, match="spec_plugin.*MetricSpec.*ModelSpec"):
        _system(posebench_register_models=lambda register: register(MetricSpec("m", lambda p, g: p)))


def test_the_legacy_form_still_registers_with_a_deprecation_warning_at_the_caller():
    def datasets(register):
        register("toy-data", lambda root=None: "data", licence="free", homepage="https://example.org")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        system = _system(posebench_register_datasets=datasets)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1 and "DatasetSpec" in str(deprecations[0].message)
    assert deprecations[0].filename == __file__  # points at the plugin's register call
    entry = system.datasets.get("toy-data")
    assert isinstance(entry.spec, DatasetSpec) and entry.obj() == "data"
    assert entry.metadata["licence"] == "free"
    assert entry.metadata["homepage"] == "https://example.org"  # unknown keywords are kept


def test_filter_names_are_still_checked_for_the_reserved_plus():
    with pytest.raises(PosebenchError, match="reserved"):
        _system(posebench_register_filters=lambda register: register(FilterSpec("a+b", lambda x, fps: x)))


def test_a_model_and_its_test_twin_share_every_field_but_sizes_config_and_training_model():
    calls = []

    def train(cfg, dataset_name, out_dir, device="cpu", resume=False, stage="all", seed=0, model_name="toy"):
        calls.append((cfg, model_name, seed))
        return out_dir

    built = []
    spec = ModelSpec("toy", lambda cfg: "full", train=train, window=16, config="vibe/cpu", paper="P", licence="L")
    system = _system(posebench_register_models=lambda register: register_with_test_twin(
        register, spec, test_model=lambda cfg: built.append(cfg) or "tiny", test_config="vibe/test", label="Toy"))
    twin = system.models.get("toy-test")
    assert twin.metadata["config"] == "vibe/test" and twin.metadata["window"] == 16
    assert twin.metadata["paper"] == "P" and "Toy at tiny sizes" in twin.metadata["description"]

    from posebench.config import load_config

    test_model_cfg = load_config("vibe/test")["model"]
    assert twin.obj({"model": {"hidden": 7}, "input_dim": 11}) == "tiny"
    assert built[-1] == {**test_model_cfg, "hidden": 7, "input_dim": 11}

    twin.metadata["train"]({}, "cmu", "out", seed=3)
    assert calls[-1][1:] == ("toy-test", 3) and calls[-1][0]["model"] == test_model_cfg  # empty cfg: the test config
    twin.metadata["train"]({"model": {}}, "cmu", "out")
    assert calls[-1][0] == {"model": {}}


def test_builtin_models_register_typed_specs_and_their_twins():
    system = PluginSystem()
    for name in ("vibe", "hmmr", "tcn", "mlp"):
        assert isinstance(system.models.get(name).spec, ModelSpec), name
    for name in ("vibe", "hmmr"):
        assert system.models.get(f"{name}-test").metadata["config"] == f"{name}/test"
        assert system.models.get(f"{name}-test").metadata["window"] == system.models.get(name).metadata["window"]


def test_lazy_imports_on_call_only():
    join = lazy("os.path:join")
    assert join("a", "b").endswith("b") and join.__name__ == "os.path:join"
    with pytest.raises(ValueError):
        lazy("no_colon")


def test_a_plugin_metric_is_scored_aggregated_and_reported():
    import numpy as np

    from posebench import results
    from posebench.metrics.scoring import score
    from posebench.registry import get_protocol

    def worst_joint_mm(pred_m, gt_m):
        return np.linalg.norm(pred_m - gt_m, axis=-1).max(axis=1) * 1000.0

    system = _system(posebench_register_metrics=lambda register: register(
        MetricSpec("worst_joint", worst_joint_mm, unit="mm", label="WORST")))
    extra = system.plugin_metrics()
    assert [m.name for m in extra] == ["worst_joint"]  # the core's metrics are the protocols' business

    gt = np.random.default_rng(0).normal(scale=0.3, size=(40, 14, 3))
    pred = gt.copy()
    pred[:, 5] += [0.0, 0.02, 0.0]  # one joint 20 mm off in every frame
    valid = np.ones(40, bool)
    valid[:10] = False  # unscored frames never reach the metric
    result = score({"s": {"joints3d_m": pred}}, {"s": {"joints3d_m": gt, "valid": valid}},
                   get_protocol("posebench"), extra_metrics=extra)
    assert result.summary["worst_joint"] == pytest.approx(20.0)
    assert np.isnan(result.per_frame["s"]["worst_joint"][:10]).all()
    assert result.units["worst_joint"] == "mm" and "worst_joint" in result.per_sequence.columns
    rows = results.summary_rows("m", "d", "p", [result.summary], extra)
    assert any(r["metric"] == "WORST" and r["value"] == pytest.approx(20.0) for r in rows)


def test_a_plugin_metric_with_the_wrong_shape_is_refused_naming_it():
    import numpy as np

    from posebench.metrics.scoring import score
    from posebench.registry import get_protocol

    gt = np.random.default_rng(0).normal(scale=0.3, size=(12, 14, 3))
    bad = MetricSpec("bad", lambda p, g: np.zeros(3))
    with pytest.raises(PosebenchError, match="metric 'bad' returned shape"):
        score({"s": {"joints3d_m": gt}}, {"s": {"joints3d_m": gt}}, get_protocol("posebench"), extra_metrics=[bad])


def test_the_builtin_plugins_register_typed_specs_only():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        system = PluginSystem()
    assert not system.failures, system.failures
    for registry in (system.models, system.datasets, system.metrics, system.protocols, system.filters):
        assert all(e.spec is not None for e in registry.entries())
