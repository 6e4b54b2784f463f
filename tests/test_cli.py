"""The CLI as a user runs it: listing commands and clear errors."""
from __future__ import annotations

import json

from click.testing import CliRunner

from posebench.cli.main import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plugins_json_lists_builtins_with_their_hooks():
    result = run("plugins", "--json")
    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.output)["plugins"]}
    assert "posebench_register_datasets" in plugins["datasets"]["hooks"]
    assert plugins["datasets"]["package"] == "posebench-hmr"


def test_models_and_protocols_and_metrics_are_listed():
    models = run("models")
    assert models.exit_code == 0
    for name in ("meva", "vibe", "hmmr"):
        assert name in models.output
    protocols = run("protocols")
    assert "posebench-v1" in protocols.output and "vibe-v1" in protocols.output
    shown = json.loads(run("protocols", "--show", "meva").output)
    assert shown["id"] == "meva-v2"  # the family name resolves to the newest version
    metrics = run("metrics")
    assert "pa_mpjpe" in metrics.output and "mm" in metrics.output


def test_datasets_lists_every_builtin_with_licence(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_DATA", str(tmp_path))
    result = run("datasets")
    assert result.exit_code == 0, result.output
    for name in ("cmu", "3dpw", "3dpw-vibe", "mpii3d", "h36m", "amass", "insta", "pennaction"):
        assert f"| {name} " in result.output
    assert "non-commercial" in result.output


def test_unknown_model_is_a_clear_error_with_close_matches():
    result = CliRunner().invoke(cli, ["eval", "--models", "mevaa", "--dataset", "cmu"])
    assert result.exit_code != 0
    assert "unknown model 'mevaa'" in result.output and "Did you mean: meva" in result.output


def test_eval_without_checkpoint_says_which_command_makes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path))
    from posebench.runs import find_checkpoint

    try:
        find_checkpoint("meva", "cmu", 0, {})
    except Exception as exc:
        assert "posebench train meva --dataset cmu --seed 0" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected an error")


def test_fetch_of_a_licensed_dataset_explains_why_not():
    result = CliRunner().invoke(cli, ["data", "fetch", "3dpw"])
    assert result.exit_code != 0
    assert "download it yourself" in result.output


def test_config_names_and_tags_follow_each_models_default():
    from posebench.api import default_config
    from posebench.config import config_tag, config_target

    meva, meva_test = default_config("meva"), default_config("meva-test")  # the edge looks the default up
    assert config_target("meva", None, meva) == "meva/cpu" and config_tag("meva", None, meva) == "cpu"
    assert config_target("meva-test", None, meva_test) == "meva/test" and config_tag("meva-test", None, meva_test) == "test"
    assert config_target("vibe", "quick") == "vibe/quick"
    assert config_tag("hmmr", "/some/where/my_run.py") == "my_run"


def test_cfg_options_accept_a_quoted_list_and_repeats():
    from posebench.cli.train import resolve_model_config

    cfg = resolve_model_config("vibe", "test", ("train.steps=7 train.lr=0.5", "model.dropout=0.25"))
    assert cfg["train"]["steps"] == 7 and cfg["train"]["lr"] == 0.5 and cfg["model"]["dropout"] == 0.25
