"""Config loading: YAML is data (Python tags refused, nothing runs), shipped names beat the current folder."""
from __future__ import annotations

import pytest

from posebench.config import CONFIG_ROOT, config_target, load_config, resolve_config_path, shipped_config_names
from posebench.errors import ConfigError


def test_yaml_python_tag_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"model: !!python/object/apply:os.system ['touch {marker}']\ntrain: {{steps: 1}}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"evil\.yaml, line 1: not a data-only YAML config.*python/object/apply"):
        load_config("evil.yaml")
    assert not marker.exists()


def test_yaml_python_tag_from_the_cli_is_one_line(tmp_path):
    from click.testing import CliRunner

    from posebench.cli.main import cli

    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yml"
    evil.write_text(f"train: !!python/object/apply:os.system ['touch {marker}']\n")
    result = CliRunner().invoke(cli, ["train", "vibe", "--config", str(evil), "--out", str(tmp_path / "run")])
    assert result.exit_code != 0 and not marker.exists()
    assert "not a data-only YAML config" in result.output and "Traceback" not in result.output


def test_yaml_config_inherits_yaml_and_takes_overrides(tmp_path):
    (tmp_path / "base.yaml").write_text("model: {hidden: 8, window: 16}\ntrain: {lr: 0.1, steps: 3}\n")
    (tmp_path / "child.yml").write_text("_base_: base.yaml\ntrain:\n  steps: 5\n")
    cfg = load_config(tmp_path / "child.yml", ["model.hidden=4"])
    assert cfg == {"model": {"hidden": 4, "window": 16}, "train": {"lr": 0.1, "steps": 5}}


@pytest.mark.parametrize("text, message", [
    ("a: &x [1, 2]\nb: *x\n", "aliases"),
    ("- 1\n- 2\n", "mapping of sections"),
    ("_base_: other.py\n", "inherits only YAML files"),
    ("_base_: [self.yaml]\n", "loops back"),
])
def test_bad_yaml_configs_name_the_problem(tmp_path, text, message):
    path = tmp_path / "self.yaml"
    path.write_text(text)
    (tmp_path / "other.py").write_text("import os\nos.system('true')\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_py_config_cannot_pull_in_yaml(tmp_path):
    """mmengine would read a YAML ``_base_`` of a .py config with PyYAML's unsafe loader."""
    (tmp_path / "base.yaml").write_text("train: !!python/object/apply:os.system ['true']\n")
    (tmp_path / "run.py").write_text("_base_ = ['./base.yaml']\n")
    with pytest.raises(ConfigError, match="cannot inherit the YAML file"):
        load_config(tmp_path / "run.py")


def test_shipped_name_is_not_shadowed_by_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vibe").mkdir()
    for name in ("test", "test.py"):
        (tmp_path / "vibe" / name).write_text("local = dict(shadow=True)\n")
    shipped = CONFIG_ROOT / "vibe" / "test.py"
    assert resolve_config_path("vibe/test") == shipped
    assert resolve_config_path("vibe/test.py") == shipped
    assert "local" not in load_config(config_target("vibe", "test"))
    # An explicit path still reaches the local file; so does a name nothing ships.
    assert load_config("./vibe/test.py") == {"local": {"shadow": True}}
    (tmp_path / "my_run.py").write_text("train = dict(steps=2)\n")
    assert load_config("my_run.py") == {"train": {"steps": 2}}


def test_unknown_config_lists_the_shipped_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert {"vibe/test", "meva/cpu", "hmmr/quick"} <= set(shipped_config_names())
    with pytest.raises(ConfigError, match="not found.*vibe/test"):
        load_config("vibe/nothing")
    (tmp_path / "notes.txt").write_text("x = 1\n")
    with pytest.raises(ConfigError, match="must end in"):
        load_config("notes.txt")


def test_config_target_keeps_file_paths():
    assert config_target("vibe", "run.yaml") == "run.yaml"
    assert config_target("vibe", "test") == "vibe/test"


def test_config_target_with_the_default_given_needs_no_registry():
    assert config_target("meva-test", None, default="meva/test") == "meva/test"
    assert config_target("meva-test", "quick", default="meva/test") == "meva/quick"
    assert config_target("mine", None, default="mine/cpu") == "mine/cpu"  # a name nothing registered


def test_tuple_config_values_become_tuples_and_bad_items_are_named():
    from posebench_meva.vae import VAEConfig
    from posebench_meva.vae_data import AugmentConfig

    assert VAEConfig.from_dict({"nh_mlp": [64, 32]}).nh_mlp == (64, 32)
    assert AugmentConfig.from_dict({"root_pitch_deg": [170, 205]}).root_pitch_deg == (170.0, 205.0)
    with pytest.raises(ConfigError, match=r"speed_factors must be a list of finite numbers.*'fast'"):
        AugmentConfig.from_dict({"speed_factors": [1.0, "fast"]})
    with pytest.raises(ConfigError, match="root_pitch_deg must be a list of 2 finite numbers"):
        AugmentConfig.from_dict({"root_pitch_deg": [170.0]})
    with pytest.raises(ConfigError, match="nh_mlp must be a list of integers"):
        VAEConfig.from_dict({"nh_mlp": 64})
