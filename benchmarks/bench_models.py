"""Model throughput on this machine: training steps per second and inference frames per second.

Run apart from the unit tests:

    OMP_NUM_THREADS=2 .venv/bin/pytest benchmarks/bench_models.py --benchmark-enable -q

For each of MEVA, VIBE and HMMR at the ``quick`` and ``cpu`` config sizes (configs/MODEL/*.py),
on synthetic windows with the CMU benchmark's feature size (73):

- ``test_train_step``: one optimiser step (forward, the model's losses, backward, Adam step) on
  a batch of ``train.batch_size`` windows of the model's own length. steps/s = 1 / mean time.
- ``test_inference``: a forward pass over 8 windows in eval mode; frames/s = 8 x window / mean time.

Real-data training adds data loading and validation; the end-to-end times of the README's
commands are reported beside them.
"""
from __future__ import annotations

import pytest
import torch

from posebench.config import load_config
from posebench.registry import build_model
from posebench.testing import synthetic_window_batch

FEATURE_DIM = 73
CASES = [(m, c) for m in ("meva", "vibe", "hmmr") for c in ("quick", "cpu")]


def _model(name: str, config: str):
    cfg = load_config(f"{name}/{config}")
    model = build_model(name, {**cfg.get("model", {}), "input_dim": FEATURE_DIM})
    return model, cfg["train"]


@pytest.mark.parametrize("name,config", CASES)
def test_train_step(benchmark, name, config):
    model, train = _model(name, config)
    model.train()
    batch = synthetic_window_batch(int(train["batch_size"]), model.window, FEATURE_DIM)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step():
        out = model(batch)
        loss = model.training_losses(batch, out)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    benchmark.pedantic(step, rounds=5, warmup_rounds=1)
    benchmark.extra_info["steps_per_s"] = 1.0 / benchmark.stats.stats.mean
    benchmark.extra_info["batch_windows"] = int(train["batch_size"])
    benchmark.extra_info["window"] = model.window


@pytest.mark.parametrize("name,config", CASES)
def test_inference(benchmark, name, config):
    model, _ = _model(name, config)
    model.eval()
    batch = synthetic_window_batch(8, model.window, FEATURE_DIM, with_targets=False)

    def forward():
        with torch.no_grad():
            model(batch)

    benchmark.pedantic(forward, rounds=5, warmup_rounds=1)
    benchmark.extra_info["frames_per_s"] = 8 * model.window / benchmark.stats.stats.mean
