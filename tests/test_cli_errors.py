"""Every bad option or config value is one line naming the option and what it accepts, never a
traceback; exit code 2 for usage errors, 1 for data errors and failed runs. Also, through the CLI:
a checkpoint of another model is refused, a used run folder is refused (or --overwrite), a locked
one names its lock, a damaged metrics.csv on resume is one line."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from click.testing import CliRunner

from posebench.cli.main import cli

from test_vibe_hmmr_fixtures import synthetic_plugin_system  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("single_thread")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result, exit_code: int, *fragments: str) -> str:
    output = result.output.strip()
    assert result.exit_code == exit_code, (result.exit_code, output, result.exception)
    assert "Traceback" not in output and not isinstance(result.exception, (AssertionError, TypeError, KeyError))
    last = output.splitlines()[-1]
    assert last.startswith("Error: "), output
    for fragment in fragments:
        assert fragment in last, (fragment, last)
    return last


def train_args(tmp_path, *extra: str, model: str = "vibe", out: str = "run") -> list[str]:
    return ["train", model, "--dataset", "synthetic", "--config", "test", "--device", "cpu",
            "--out", str(tmp_path / out), *extra]


@pytest.mark.parametrize("override, fragments", [
    ("train.steps=abc", ["steps", "integer >= 1", "'abc'"]),
    ("train.lr=nan", ["lr", "finite number", "nan"]),
    ("train.lr=-1", ["lr", ">= 0", "-1"]),
    ("train.batch_size=2.5", ["batch_size", "integer >= 1", "2.5"]),
    ("train.grad_clip=-1", ["grad_clip", "> 0", "-1"]),
    ("train.val_every=0", ["val_every", "'epoch'"]),
    ("model.hidden=0", ["hidden", "integer >= 1", "got 0"]),
    ("model.dropout=1.5", ["dropout", "<= 1", "1.5"]),
    ("train.stepz=3", ["unknown keys", "stepz"]),
])
def test_bad_config_values_are_usage_errors(override, fragments, synthetic_plugin_system, tmp_path):  # noqa: F811
    result = run(*train_args(tmp_path, "--cfg-options", override))
    assert_one_line_error(result, 2, *fragments)
    assert not (tmp_path / "run" / "last.pt").exists()


@pytest.mark.parametrize("args, fragments", [
    (["train", "vibe", "--seed", "-1"], ["--seed", "-1", "0<=x<=4294967295"]),
    (["train", "vibe", "--seed", "x"], ["--seed", "'x'"]),
    (["train", "vibe", "--device", "foo"], ["--device", "cpu, cuda, cuda:N or mps", "'foo'"]),
    (["train", "vibe", "--resume", "--overwrite"], ["--resume", "--overwrite"]),
    (["eval", "--models", ""], ["--models", "at least one model"]),
    (["eval", "--models", " , "], ["--models", "at least one model"]),
    (["eval", "--models", "vibe", "--seeds", ""], ["--seeds", "at least one seed"]),
    (["eval", "--models", "vibe", "--seeds", "0,x"], ["--seeds", "integers"]),
    (["eval", "--models", "vibe", "--seeds", "-1"], ["--seeds", "0..4294967295"]),
    (["eval", "--models", "vibe", "--checkpoint", "vibe"], ["--checkpoint", "NAME=VALUE"]),
    (["compare", "--models", ""], ["--models", "at least one model"]),
    (["compare", "--steps", "0"], ["--steps", "0 is not in the range x>=1"]),
    (["eval", "--models", "mevaa"], ["unknown model", "meva"]),
    (["trian"], ["No such command", "--help'"]),
])
def test_bad_options_are_usage_errors(args, fragments, synthetic_plugin_system):  # noqa: F811
    assert_one_line_error(run(*args), 2, *fragments)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_usage_error(monkeypatch):
    assert_one_line_error(run("train", "vibe", "--device", "cuda"), 2, "--device", "CUDA is not available")
    monkeypatch.setenv("POSEBENCH_DEVICE", "cuda:1")
    assert_one_line_error(run("eval", "--models", "vibe"), 2, "--device", "CUDA is not available")


def test_checkpoint_of_another_model_is_refused(synthetic_plugin_system, tmp_path):  # noqa: F811
    result = run(*train_args(tmp_path, "--cfg-options", "train.steps=2 train.val_every=2"))
    assert result.exit_code == 0, result.output
    vibe_ckpt = tmp_path / "run" / "best.pt"
    result = run("eval", "--models", "meva", "--dataset", "synthetic", "--device", "cpu",
                 "--checkpoint", f"meva={vibe_ckpt}", "--out", str(tmp_path / "results"))
    assert_one_line_error(result, 1, str(vibe_ckpt), "belongs to model 'vibe', not 'meva'")
    assert not (tmp_path / "results").exists()


def test_used_run_folder_is_refused_then_overwritten(synthetic_plugin_system, tmp_path):  # noqa: F811
    short = ["--cfg-options", "train.steps=2 train.val_every=2 train.log_every=1"]
    assert run(*train_args(tmp_path, *short)).exit_code == 0
    first = (tmp_path / "run" / "metrics.csv").read_text()
    assert_one_line_error(run(*train_args(tmp_path, *short)), 1, str(tmp_path / "run"), "--resume", "--overwrite")
    assert (tmp_path / "run" / "metrics.csv").read_text() == first  # untouched
    result = run(*train_args(tmp_path, *short, "--overwrite", "--seed", "3"))
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "run" / "metrics.csv").read_text().strip().splitlines()
    assert len(rows) == len(first.strip().splitlines())  # the new run's rows only, not appended


def test_damaged_metrics_csv_on_resume_is_a_data_error(synthetic_plugin_system, tmp_path):  # noqa: F811
    short = ["--cfg-options", "train.steps=2 train.val_every=2 train.log_every=1"]
    assert run(*train_args(tmp_path, *short, model="hmmr")).exit_code == 0
    (tmp_path / "run" / "metrics.csv").write_text("garbage\x00,\n1,2,3\n")
    result = run(*train_args(tmp_path, *short, "--resume", model="hmmr"))
    assert_one_line_error(result, 1, "metrics.csv", "step,split")


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from posebench.locking import folder_lock
    with folder_lock(sys.argv[1], "run folder"):
        print("locked", flush=True)
        time.sleep(60)
""")


def test_second_trainer_into_a_locked_folder_names_the_lock(synthetic_plugin_system, tmp_path):  # noqa: F811
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path / "run")], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run(*train_args(tmp_path))
        assert_one_line_error(result, 1, str(tmp_path / "run" / ".posebench.lock"), f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "run" / "metrics.csv").exists()
