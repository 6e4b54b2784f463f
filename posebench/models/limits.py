"""Size limits for models built from untrusted hyper-parameters (a checkpoint's ``hparams``).

A checkpoint of a few kB can ask for ``hidden=10**6``: about 4e10 weights, 160 GB, which
ends in a ``MemoryError`` (or the OOM killer) long after the command started. Before such a
model is built for real, :func:`check_model_size` builds it on PyTorch's ``meta`` device
(shapes only, no memory) and counts its parameter and buffer elements; more than
:data:`MAX_MODEL_ELEMENTS` is refused with :class:`ModelSizeError`.

The limit is generous: the largest built-in model (``hmmr``, ~1e8 elements) is 10x below it.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from posebench.errors import PosebenchError

MAX_MODEL_ELEMENTS = 1_000_000_000  # parameters + buffers: 4 GB in float32


class ModelSizeError(PosebenchError, ValueError):
    """A model would hold more elements than :data:`MAX_MODEL_ELEMENTS` (refused before allocation)."""


def model_elements(build: Callable[[], torch.nn.Module]) -> int:
    """Parameter + buffer elements of the module ``build()`` returns, built on the ``meta`` device.

    Tensors a factory creates explicitly on another device (e.g. ``torch.from_numpy`` of a
    small file) are real but counted all the same.
    """
    with torch.device("meta"):
        module = build()
    return sum(p.numel() for p in module.parameters()) + sum(b.numel() for b in module.buffers())


def check_model_size(build: Callable[[], torch.nn.Module], *, what: str = "model", limit: int | None = None) -> int:
    """Refuse a model larger than ``limit`` elements (default :data:`MAX_MODEL_ELEMENTS`) before it is
    built for real; returns its element count.

    ``build`` is called once under the ``meta`` device: it must build the model and nothing else.
    Errors ``build`` raises (bad hyper-parameters) propagate unchanged.
    """
    limit = MAX_MODEL_ELEMENTS if limit is None else limit
    elements = model_elements(build)
    if elements > limit:
        raise ModelSizeError(f"{what} would hold {elements:,} parameters and buffers ({elements * 4 / 2**30:.1f} GiB "
                             f"in float32), more than the limit of {limit:,} "
                             f"(posebench.models.limits.MAX_MODEL_ELEMENTS); refused before allocation")
    return elements
