"""A seed fixes the whole run: two separate processes running ``posebench train MODEL --config test
--seed 0`` end with bit-identical weights (VIBE, HMMR, MEVA's VAE and end-to-end stages), another
seed gives other weights, and ``--resume`` with another seed is refused.

Each run is its own process (fresh RNG state, fresh imports), on one intra-op thread, CPU only:
the claim is "same machine, same thread count" (see posebench.training.seeding).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

DATASET = "cmu-quick"


@pytest.fixture(scope="module")
def env(realdata_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("seed")
    env = {**os.environ, "POSEBENCH_CACHE": str(root / "cache"), "POSEBENCH_DATA": str(root / "data"),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    posebench(["data", "fetch", DATASET, "--mirror", str(realdata_dir)], env)
    return env


@pytest.fixture(scope="module")
def first_runs(env, tmp_path_factory):
    """``first_runs(model)``: the folder of a finished ``--seed 0`` run, trained once per module."""
    root, done = tmp_path_factory.mktemp("first"), {}

    def get(model: str):
        if model not in done:
            train(model, 0, root / model, env)
            done[model] = root / model
        return done[model]

    return get


def posebench(args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "posebench.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def train(model: str, seed: int, out, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return posebench(["train", model, "--dataset", DATASET, "--config", "test", "--seed", str(seed),
                      "--device", "cpu", "--out", str(out), *extra], env, check=not extra)


def weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def same_weights(a, b) -> bool:
    wa, wb = weights(a), weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize("model, checkpoints", [
    ("vibe", ["last.pt"]),
    ("hmmr", ["last.pt"]),
    ("meva", ["vae/last.pt", "last.pt"]),  # both stages: the VAE pretraining and the end-to-end model
])
def test_same_seed_same_weights_in_two_processes(model, checkpoints, env, first_runs, tmp_path):
    first = first_runs(model)
    train(model, 0, tmp_path / "b", env)
    train(model, 1, tmp_path / "c", env)
    for ckpt in checkpoints:
        assert torch.load(first / ckpt, weights_only=True)["step"] > 0
        assert same_weights(first / ckpt, tmp_path / "b" / ckpt), f"{model} {ckpt}: seed 0 twice differs"
        assert not same_weights(first / ckpt, tmp_path / "c" / ckpt), f"{model} {ckpt}: seeds 0 and 1 agree"


def test_resume_with_another_seed_is_refused(env, first_runs):
    proc = train("hmmr", 1, first_runs("hmmr"), env, "--resume")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert "seed 0, not 1" in message and "last.pt" in message, proc.stderr


KILL_AFTER_FIRST_VAE_EPOCH = """
import os, sys
import posebench_meva.train_vae as tv
real_save = tv.save_checkpoint
def save_then_die(path, **kwargs):
    real_save(path, **kwargs)
    if path.name == "last.pt":
        os._exit(137)  # like a kill: no cleanup, the run folder's lock file stays behind
tv.save_checkpoint = save_then_die
from posebench.cli.main import main
main(sys.argv[1:])
"""


def test_meva_stage_all_resume_after_a_kill_in_the_vae_stage_runs_both_stages(env, first_runs, tmp_path):
    """Killed after the VAE's first epoch, ``--stage all --resume`` finishes the VAE, then trains the
    e2e stage: the same weights, both stages, as one uninterrupted run with the same seed."""
    straight = first_runs("meva")
    args = ["train", "meva", "--dataset", DATASET, "--config", "test", "--seed", "0", "--device", "cpu",
            "--out", str(tmp_path / "killed")]
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_VAE_EPOCH, *args], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 137, proc.stderr[-2000:]
    assert (tmp_path / "killed" / "vae" / "last.pt").is_file() and not (tmp_path / "killed" / "last.pt").exists()
    posebench([*args, "--resume"], env)
    for ckpt in ("vae/last.pt", "last.pt"):
        assert same_weights(straight / ckpt, tmp_path / "killed" / ckpt), ckpt
