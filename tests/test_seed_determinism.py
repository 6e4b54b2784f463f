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
def test_same_seed_same_weights_in_two_processes(model, checkpoints, env, tmp_path):
    train(model, 0, tmp_path / "a", env)
    train(model, 0, tmp_path / "b", env)
    train(model, 1, tmp_path / "c", env)
    for ckpt in checkpoints:
        assert torch.load(tmp_path / "a" / ckpt, weights_only=True)["step"] > 0
        assert same_weights(tmp_path / "a" / ckpt, tmp_path / "b" / ckpt), f"{model} {ckpt}: seed 0 twice differs"
        assert not same_weights(tmp_path / "a" / ckpt, tmp_path / "c" / ckpt), f"{model} {ckpt}: seeds 0 and 1 agree"


def test_resume_with_another_seed_is_refused(env, tmp_path):
    train("hmmr", 0, tmp_path / "run", env)
    proc = train("hmmr", 1, tmp_path / "run", env, "--resume")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert "seed 0, not 1" in message and "last.pt" in message, proc.stderr
