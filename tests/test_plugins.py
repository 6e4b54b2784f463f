"""The plugin system: hooks, registries, failures, and names."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import pluggy
import pytest

from posebench.errors import PosebenchError, UnknownNameError
from posebench.hookspecs import hookimpl
from posebench.registry import PluginSystem, Registry


def _plugin(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


def test_builtin_plugins_come_from_entry_points():
    system = PluginSystem()
    names = {p.name for p in system.plugins()}
    assert {"posebench", "datasets", "meva", "vibe", "hmmr"} <= names
    assert "cmu" in system.datasets and "3dpw" in system.datasets
    assert system.datasets.get("cmu").plugin == "datasets"
    assert system.datasets.get("cmu").package == "posebench-hmr"


def test_misspelt_hook_fails_loudly():
    bad = _plugin("bad_plugin", posebench_register_modles=lambda register: None)
    with pytest.raises(pluggy.PluginValidationError, match="posebench_register_modles"):
        PluginSystem(extra_plugins=[("bad", bad)], load_entry_points=False)


def test_third_party_registration_and_duplicates():
    def models_a(register):
        register("toy", lambda cfg: "built", description="a toy")

    system = PluginSystem(extra_plugins=[("toy_pkg", _plugin("toy_pkg", posebench_register_models=models_a))],
                          load_entry_points=False)
    assert system.models.get("toy").obj(None) == "built"
    assert system.models.get("toy").metadata["description"] == "a toy"

    clash = _plugin("clash_pkg", posebench_register_models=models_a)
    with pytest.raises(PosebenchError, match="registered twice"):
        PluginSystem(extra_plugins=[("toy_pkg", _plugin("toy_pkg", posebench_register_models=models_a)),
                                    ("clash_pkg", clash)], load_entry_points=False)


def test_unknown_name_lists_close_matches():
    registry = Registry("model")
    for name in ("meva", "vibe", "hmmr"):
        registry.add(name, object(), plugin="p", package="p", version="0")
    with pytest.raises(UnknownNameError) as err:
        registry.get("mevaa")
    assert "Did you mean: meva" in str(err.value)
    assert "hmmr" in str(err.value)


def test_a_plugin_whose_hook_raises_is_reported_and_the_rest_works():
    def broken(register):
        raise RuntimeError("boom")

    system = PluginSystem(extra_plugins=[("broken", _plugin("broken", posebench_register_models=broken))])
    assert any(f.name == "broken" and "boom" in f.error for f in system.failures)
    assert "cmu" in system.datasets


def test_plugin_that_fails_to_import_is_reported_by_the_cli(tmp_path):
    """A real entry point (a .dist-info on sys.path) whose module raises on import."""
    site = tmp_path / "site"
    (site / "broken_posebench_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "broken_posebench_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-posebench-plugin\nVersion: 1.0\n")
    (site / "broken_posebench_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[posebench]\nbroken = broken_posebench_plugin\n")
    (site / "broken_posebench_plugin.py").write_text("raise ImportError('needs a library that is not installed')\n")
    env_code = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(site)!r})
        from posebench.cli.main import main
        main(["plugins"])
    """)
    proc = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "broken" in proc.stderr and "needs a library that is not installed" in proc.stderr
    assert "Failed to load" in proc.stdout
    assert "meva" in proc.stdout  # the rest still works


def test_protocol_family_name_resolves_to_newest_version():
    from posebench.registry import get_protocol

    assert get_protocol("posebench").id.startswith("posebench-v")
    with pytest.raises(UnknownNameError, match="Did you mean"):
        get_protocol("posebenc")
