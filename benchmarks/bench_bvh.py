"""Reading a 200,000-frame BVH: wall time and peak memory.

Run apart from the unit tests (testpaths = tests):

    .venv/bin/pytest benchmarks/bench_bvh.py --benchmark-enable -q -s

The file is generated: a CMU-like skeleton (a root with 6 channels and 30 joints with 3
rotation channels: 96 channels), values written with 4 decimals (~150 MB of text). The frame
array is 200,000 x 96 float64 = 154 MB. :func:`posebench.data.mocap.bvh.read_bvh` reads the
file line by line into a preallocated array, converting blocks of rows at once, so the peak
is the array plus one block of Python strings.

- ``test_bvh_200k_frames_time``: wall time of ``read_bvh``.
- ``test_bvh_200k_frames_peak_memory``: peak of Python/numpy allocations (tracemalloc) during
  ``read_bvh``; must stay under 1.5x the frame array. Before (the whole text, every token
  as a ``str`` and a list of all tokens held at once) it was ~13x the file size.
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from posebench.data.mocap.bvh import read_bvh

N_FRAMES = 200_000
N_JOINTS = 31  # root + 30
N_CHANNELS = 6 + 3 * (N_JOINTS - 1)
MAX_PEAK_OVER_ARRAY = 1.5


def write_bvh(path, n_frames: int, seed: int = 0) -> None:
    """A chain-of-limbs BVH with ``n_frames`` random plausible frames (degrees, centimetres)."""
    rng = np.random.default_rng(seed)
    lines = ["HIERARCHY", "ROOT Hips", "{", "  OFFSET 0 0 0",
             "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"]
    for j in range(1, N_JOINTS):
        lines += [f"{'  ' * j}JOINT J{j}", f"{'  ' * j}{{", f"{'  ' * j}  OFFSET 0 {5 + j % 7} 0",
                  f"{'  ' * j}  CHANNELS 3 Zrotation Xrotation Yrotation"]
    depth = N_JOINTS - 1
    lines += [f"{'  ' * (depth + 1)}End Site", f"{'  ' * (depth + 1)}{{", f"{'  ' * (depth + 1)}  OFFSET 0 3 0",
              f"{'  ' * (depth + 1)}}}"]
    lines += [f"{'  ' * j}}}" for j in range(depth, -1, -1)]
    lines += ["MOTION", f"Frames: {n_frames}", "Frame Time: 0.008333"]
    row_format = " ".join(["%.4f"] * N_CHANNELS) + "\n"
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
        for start in range(0, n_frames, 10_000):
            block = rng.uniform(-180, 180, size=(min(10_000, n_frames - start), N_CHANNELS))
            f.write("".join(row_format % tuple(row) for row in block.tolist()))


@pytest.fixture(scope="module")
def bvh_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bvh_200k") / "long.bvh"
    write_bvh(path, N_FRAMES)
    return path


def test_bvh_200k_frames_time(benchmark, bvh_file):
    motion = benchmark.pedantic(read_bvh, args=(bvh_file,), rounds=1, iterations=1)
    size_mb = bvh_file.stat().st_size / 1e6
    print(f"\nread_bvh, {N_FRAMES:,} frames x {N_CHANNELS} channels ({size_mb:.0f} MB): "
          f"{benchmark.stats.stats.mean:.2f} s wall")
    assert motion.frames.shape == (N_FRAMES, N_CHANNELS)


def test_bvh_200k_frames_peak_memory(bvh_file):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        motion = read_bvh(bvh_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    array_bytes = motion.frames.nbytes
    size = bvh_file.stat().st_size
    print(f"\nread_bvh, {N_FRAMES:,} frames: peak traced memory {peak / 1e6:.0f} MB = "
          f"{peak / array_bytes:.2f}x the frame array ({array_bytes / 1e6:.0f} MB), {peak / size:.2f}x the file "
          f"({size / 1e6:.0f} MB); {time.perf_counter() - started:.2f} s under tracemalloc")
    assert peak < MAX_PEAK_OVER_ARRAY * array_bytes
