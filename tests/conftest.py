"""Shared fixtures. ``realdata_dir``: the read-only real-data folder, or skip the test."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def find_realdata_dir() -> Path | None:
    """$POSEBENCH_REALDATA, else <repo>/../shared/realdata; None when it has no manifest.json."""
    env = os.environ.get("POSEBENCH_REALDATA")
    candidate = Path(env) if env else REPO_ROOT.parent / "shared" / "realdata"
    return candidate if (candidate / "manifest.json").is_file() else None


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    path = find_realdata_dir()
    if path is None:
        pytest.skip("real data not found: set POSEBENCH_REALDATA or place shared/realdata beside the repo")
    return path


@pytest.fixture
def single_thread():
    """Tiny models (step-by-step GRUs) run ~10x faster on one intra-op thread on a busy 2-core box."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@contextlib.contextmanager
def private_posebench_dirs(base: Path):
    """POSEBENCH_CACHE and POSEBENCH_DATA pointed at ``base/cache`` and ``base/data`` inside the block,
    so a module-scoped fixture builds datasets without touching the user's folders. Yields ``base``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POSEBENCH_CACHE", str(base / "cache"))
        mp.setenv("POSEBENCH_DATA", str(base / "data"))
        yield base
