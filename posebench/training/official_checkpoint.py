"""Read torch checkpoint files: posebench's own (:func:`read_torch_file`, used by
:mod:`posebench.training.checkpoint`) and released (official) checkpoints of other codebases
(VIBE, MEVA ``*.pth.tar``, :func:`read_official_checkpoint`).

They are torch checkpoints read with ``torch.load(weights_only=True)``: tensors and plain
containers only. The one extra they need is numpy scalars (VIBE and MEVA store the
validation score ``performance`` as one), so numpy's ``scalar`` and ``dtype`` are allowed as
the checked stand-ins of :func:`posebench.data.safe_pickle.torch_numpy_safe_globals`:
plain numeric dtypes only, their state re-derived by numpy, never applied from the file.
"""
from __future__ import annotations

from pathlib import Path

import torch

from posebench.data.safe_pickle import torch_numpy_safe_globals
from posebench.errors import CheckpointError


def read_torch_file(path: str | Path, *, map_location="cpu", numpy_scalars: bool = False):
    """The object in a torch checkpoint file, read with ``torch.load(weights_only=True)``.

    ``numpy_scalars`` also admits numpy scalars and plain dtypes (checked stand-ins, see the
    module docstring). Raises CheckpointError naming the file, in one line, when it is missing,
    unreadable or refused by the weights-only loader.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        with torch.serialization.safe_globals(torch_numpy_safe_globals() if numpy_scalars else []):
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, ValueError ... for bad files
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        message = f"{path}: cannot read as a torch checkpoint ({type(exc).__name__}: {first_line})"
        raise CheckpointError(message[:500]) from None


def read_official_checkpoint(path: str | Path, *, required_key: str, kind: str) -> dict:
    """The checkpoint dict of a released ``kind`` file (e.g. "VIBE checkpoint").

    Raises CheckpointError naming the file when it is missing, unreadable, refused by the
    weights-only loader, or lacks ``required_key``.
    """
    ckpt = read_torch_file(path, numpy_scalars=True)
    if not isinstance(ckpt, dict) or required_key not in ckpt:
        keys = sorted(map(str, ckpt)) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"{path}: expected key {required_key!r} ({kind}), got {keys}")
    return ckpt
