"""One way to seed a run: every RNG a model's construction or training draws from.

Every trainer calls :func:`seed_everything` immediately before it builds a model (each stage of a
multi-stage model too), so a seed fixes the initial weights, not only the batch order: two
processes with the same seed and config produce bit-identical weights on the same machine.

What can still differ between machines: the number of intra-op threads (reduction order in
matrix products), the CPU's vector kernels (oneDNN/MKL pick code paths by instruction set), and
the torch build. Deterministic algorithms are switched on with ``warn_only=True``: an operation
that has no deterministic version warns instead of failing.
"""
from __future__ import annotations

import os
import random

from posebench.errors import UsageError

MAX_SEED = 2**32 - 1  # numpy's legacy seed range; torch accepts more, but one range for all


def check_seed(seed) -> int:
    """``seed`` as an int in ``0 .. 2**32 - 1``, or a PosebenchError naming the accepted range."""
    # numpy and torch are imported where used: the CLI imports this module at startup.
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise UsageError(f"seed must be an integer in 0..{MAX_SEED}, got {seed!r}")
    return int(seed)


def seed_everything(seed: int, *, deterministic: bool = True) -> int:
    """Seed python's ``random``, numpy's global RNG and torch (CPU and every CUDA device) with ``seed``;
    with ``deterministic`` also ask torch for deterministic algorithms. Returns the seed."""
    import numpy as np
    import torch

    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device as well
    if deterministic:
        # cuBLAS is only deterministic with a fixed workspace; it must be set before CUDA starts
        # (a no-op on CPU, and a user's own setting wins).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False  # benchmark mode picks kernels by timing
        torch.use_deterministic_algorithms(True, warn_only=True)
    return seed
