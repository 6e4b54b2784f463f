"""`posebench data noise-stats`: one implementation for the synthetic and the real detections."""
from __future__ import annotations

import json

import pytest
from conftest import private_posebench_dirs
from click.testing import CliRunner

from posebench.cli.main import cli

KEYS = {"err_px", "err_pct_box", "accel_err_px", "accel_to_err_ratio", "autocorr", "conf_err_spearman", "swap_rate",
        "swap_run_mean", "dropout_rate", "dropout_run_mean", "outlier_rate", "preset", "build_id"}


@pytest.fixture(scope="module")
def env(tmp_path_factory, realdata_dir):
    base = tmp_path_factory.mktemp("noise_cli")
    with private_posebench_dirs(base):
        result = CliRunner().invoke(cli, ["data", "fetch", "cmu-quick", "--mirror", str(realdata_dir)])
        assert result.exit_code == 0, result.output
        yield realdata_dir


def run(*args):
    return CliRunner().invoke(cli, ["data", "noise-stats", *args])


def test_json_keys_and_gt_preset_is_exact(env):
    result = run("cmu-quick", "--preset", "gt", "--split", "val", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert KEYS <= set(stats) and set(stats["autocorr"]) == {"1", "2", "5", "10"}
    assert stats["preset"] == "gt" and "-v2-gt-" in stats["build_id"]
    assert stats["err_px"] == 0 and stats["swap_rate"] == 0 and stats["outlier_rate"] == 0
    assert stats["conf_err_spearman"] is None  # undefined without noise; the output stays strict JSON
    assert "NaN" not in result.output


def test_table_shows_reference_ranges_and_v1(env):
    result = run("cmu-quick-v1")
    assert result.exit_code == 0, result.output
    assert "accel / error" in result.output and "AIST++ 0.89 at 30 fps" in result.output
    assert "preset v1-white" in result.output


def test_default_preset_matches_the_real_detector(env):
    synthetic = json.loads(run("cmu-quick", "--split", "train", "--json").output)
    real = json.loads(run("aistpp", "--root", str(env / "aistpp"), "--json").output)
    assert synthetic["preset"] == "aistpp" and real["preset"] == "real"
    for key in ("accel_to_err_ratio", "err_pct_box"):
        assert abs(synthetic[key] / real[key] - 1) < 0.5, key
    assert abs(synthetic["autocorr"]["1"] / real["autocorr"]["1"] - 1) < 0.35


def test_usage_errors_are_one_line(env):
    result = run("cmu-quick", "--preset", "nope")
    assert result.exit_code != 0 and "unknown detector preset" in result.output and "Traceback" not in result.output
    result = run("cmu-quick", "--split", "bogus")
    assert result.exit_code == 2 and "no split 'bogus'" in result.output
    result = run("aistpp", "--root", str(env / "aistpp"), "--preset", "gt")
    assert result.exit_code == 2 and "not synthetic" in result.output
