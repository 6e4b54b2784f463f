"""Metric speed: batched numpy vs a per-frame loop, and a full `posebench score` run.

Run apart from the unit tests (testpaths = tests):

    .venv/bin/pytest benchmarks/bench_metrics.py --benchmark-enable -q

- ``test_batched_all_metrics_1m``: MPJPE, PA-MPJPE, ACC-ERR, ACCEL, velocity error and PVE
  over 1,000,000 frames x 14 joints (PVE on the 14 joints standing in for vertices).
- ``test_loop_all_metrics_20k``: the same metrics as a straightforward per-frame Python
  loop (one 3x3 SVD per frame), measured on a 20,000-frame subset; the report scales it
  x50 to 1,000,000 frames (the loop is linear in frames).
- ``test_speedup``: batched must be >= 10x faster than the scaled loop.
- ``test_score_35k_frames``: 50 sequences x 700 frames written and read back through
  posebench.predictions, then scored under posebench-v1 (target < 5 s on 2 cores).
"""
import numpy as np
import pytest

from posebench.metrics import functional as F
from posebench.metrics.protocols import BUILTIN_PROTOCOLS
from posebench.metrics.scoring import score
from posebench.predictions import read_predictions, write_predictions

N_BIG = 1_000_000
N_LOOP = 20_000
TIMES = {}


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(0)
    gt = rng.normal(scale=0.3, size=(N_BIG, 14, 3))
    pred = gt + rng.normal(scale=0.05, size=gt.shape)
    return pred, gt


def all_metrics_batched(pred, gt):
    return [F.mpjpe(pred, gt), F.pa_mpjpe(pred, gt), F.acc_err(pred, gt), F.accel(pred),
            F.vel_err(pred, gt), F.pve(pred, gt)]


def all_metrics_loop(pred, gt):
    """The straightforward version: one frame (or frame triple) at a time."""
    n = pred.shape[0]
    pc = [p - (p[2] + p[3]) / 2 for p in pred]
    gc = [g - (g[2] + g[3]) / 2 for g in gt]
    mp, pa, acc, acl, vel, pv = [], [], [], [], [], []
    for t in range(n):
        mp.append(np.linalg.norm(pc[t] - gc[t], axis=1).mean() * 1000)
        x1 = pred[t] - pred[t].mean(0)
        x2 = gt[t] - gt[t].mean(0)
        k = x1.T @ x2
        u, s, vt = np.linalg.svd(k)
        z = np.eye(3)
        z[2, 2] = np.sign(np.linalg.det(u @ vt))
        r = vt.T @ z @ u.T
        scale = np.trace(r @ k) / (x1 ** 2).sum()
        pa.append(np.linalg.norm(scale * x1 @ r.T - x2, axis=1).mean() * 1000)
        pv.append(np.linalg.norm(pred[t] - gt[t], axis=1).mean() * 1000)
        if t + 1 < n:
            vel.append(np.linalg.norm((pc[t + 1] - pc[t]) - (gc[t + 1] - gc[t]), axis=1).mean() * 1000)
        if t + 2 < n:
            ap = pc[t] - 2 * pc[t + 1] + pc[t + 2]
            ag = gc[t] - 2 * gc[t + 1] + gc[t + 2]
            acc.append(np.linalg.norm(ap - ag, axis=1).mean() * 1000)
            acl.append(np.linalg.norm(ap, axis=1).mean() * 1000)
    return [np.array(a) for a in (mp, pa, acc, acl, vel, pv)]


def test_batched_all_metrics_1m(benchmark, big):
    pred, gt = big
    out = benchmark.pedantic(all_metrics_batched, args=(pred, gt), rounds=3, warmup_rounds=0)
    TIMES["batched_1m"] = benchmark.stats.stats.min  # min: the machine may be shared
    assert out[1].shape == (N_BIG,)


def test_loop_all_metrics_20k(benchmark, big):
    pred, gt = big[0][:N_LOOP], big[1][:N_LOOP]
    out = benchmark.pedantic(all_metrics_loop, args=(pred, gt), rounds=2, warmup_rounds=0)
    TIMES["loop_20k"] = benchmark.stats.stats.min
    benchmark.extra_info["scaled_to_1m_s"] = TIMES["loop_20k"] * N_BIG / N_LOOP
    for got, want in zip(out, all_metrics_batched(pred, gt)):  # same numbers both ways
        np.testing.assert_allclose(got, want, atol=1e-8)


def test_speedup():
    if not {"batched_1m", "loop_20k"} <= set(TIMES):
        pytest.skip("needs both timings (run with --benchmark-enable)")
    loop_1m = TIMES["loop_20k"] * N_BIG / N_LOOP
    speedup = loop_1m / TIMES["batched_1m"]
    print(f"\nall metrics, 1M frames x 14 joints: batched {TIMES['batched_1m']:.2f} s, "
          f"per-frame loop {loop_1m:.1f} s (20k frames measured x50), speed-up {speedup:.1f}x")
    assert speedup >= 10


@pytest.fixture(scope="module")
def prediction_files(tmp_path_factory):
    rng = np.random.default_rng(1)
    root = tmp_path_factory.mktemp("score")
    gts, preds = {}, {}
    for i in range(50):
        gt = rng.normal(scale=0.3, size=(700, 14, 3))
        gts[f"seq_{i:02d}"] = {"joints3d_m": gt, "valid": rng.random(700) > 0.05}
        preds[f"seq_{i:02d}"] = {"joints3d_m": gt + rng.normal(scale=0.05, size=gt.shape)}
    return root, gts, preds


def test_score_35k_frames(benchmark, prediction_files):
    root, gts, preds = prediction_files

    def run():
        write_predictions(root / "gt.npz", gts, fps=30)
        write_predictions(root / "pred.npz", preds, fps=30)
        g, _ = read_predictions(root / "gt.npz")
        p, _ = read_predictions(root / "pred.npz")
        return score(p, g, BUILTIN_PROTOCOLS[0])

    result = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    print(f"\nwrite + read + score of 35,000 frames (50 sequences): {benchmark.stats.stats.mean:.3f} s")
    assert result.summary["n_frames_total"] == 35_000
    assert benchmark.stats.stats.mean < 5.0
