"""A third-party plugin package, installed through a real entry point, then listed,
trained, evaluated and scored through the CLI (in subprocesses, as a user would)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posebench.testing import check_model

EXAMPLE = Path(__file__).parent / "example_plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--target", str(site), str(EXAMPLE)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return site


def posebench(args, site, env_extra):
    env = {**os.environ, **env_extra, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1"}
    code = "import sys; from posebench.cli.main import main; main(sys.argv[1:])"
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"posebench {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_example_plugin_honours_the_contract():
    sys.path.insert(0, str(EXAMPLE))
    try:
        from posebench_example.plugin import build, max_joint_error

        check_model(build({"input_dim": 73, "feat_dim": 16, "hidden": 16}), feature_dim=73)
        gt = np.random.default_rng(0).normal(size=(5, 14, 3))
        assert max_joint_error(gt, gt) == pytest.approx(np.zeros(5))
        assert max_joint_error(gt + [0.1, 0, 0], gt) == pytest.approx(np.zeros(5), abs=1e-9)  # centred
        moved = gt.copy()
        moved[:, 0] += [0.03, 0.04, 0.0]  # one ankle 50 mm away
        assert max_joint_error(moved, gt) == pytest.approx(np.full(5, 50.0))
    finally:
        sys.path.remove(str(EXAMPLE))


@pytest.mark.realdata
def test_installed_plugin_is_listed_trained_evaluated_and_scored(installed, realdata_dir, tmp_path):
    env = {"POSEBENCH_CACHE": str(tmp_path / "cache"), "POSEBENCH_DATA": str(tmp_path / "data")}
    plugins = json.loads(posebench(["plugins", "--json"], installed, env))
    example = next(p for p in plugins["plugins"] if p["name"] == "example")
    assert example["package"] == "posebench-example-plugin" and example["version"] == "0.1.0"
    assert "example-perframe" in posebench(["models"], installed, env)

    posebench(["data", "fetch", "cmu-quick", "--mirror", str(realdata_dir)], installed, env)
    config = str(EXAMPLE / "config.py")
    posebench(["train", "example-perframe", "--dataset", "cmu-quick", "--config", config, "--device", "cpu"],
              installed, env)
    out = tmp_path / "results"
    table = posebench(["eval", "--models", "example-perframe", "--dataset", "cmu-quick", "--config", config,
                       "--out", str(out), "--device", "cpu"], installed, env)
    assert "example-perframe" in table and "PA-MPJPE" in table
    results = json.loads((out / "results.json").read_text())
    assert results["protocol"]["id"] == "posebench-v1"
    assert results["provenance"]["posebench_version"]
    mpjpe = next(r["value"] for r in results["summary"] if r["metric"] == "MPJPE")
    assert 0 < mpjpe < 2000
    # The plugin's own metric is computed and reported like the built-in ones.
    assert "MAX-JE" in table
    max_je = next(r["value"] for r in results["summary"] if r["metric"] == "MAX-JE")
    assert mpjpe < max_je < 5000

    scored = posebench(["score", str(out / "predictions" / "example-perframe_seed0.npz"),
                        "--gt", str(out / "predictions" / "gt.npz"), "--out", str(tmp_path / "scored")],
                       installed, env)
    rescored = json.loads((tmp_path / "scored" / "results.json").read_text())
    rescored_mpjpe = next(r["value"] for r in rescored["summary"] if r["metric"] == "MPJPE")
    assert rescored_mpjpe == pytest.approx(mpjpe, rel=1e-6), scored
    rescored_max_je = next(r["value"] for r in rescored["summary"] if r["metric"] == "MAX-JE")
    assert rescored_max_je == pytest.approx(max_je, rel=1e-6), scored
