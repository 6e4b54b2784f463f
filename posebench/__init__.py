"""posebench: train and benchmark video 3D human pose estimators under declared protocols.

The public entry points::

    from posebench import build_model, load_dataset, get_protocol
    from posebench.evaluation import evaluate
    from posebench.metrics import functional as metrics

Contracts: :mod:`posebench.models.base` (models), :mod:`posebench.data.track` (datasets),
:mod:`posebench.hookspecs` (plugins). Layout: ``docs/architecture.md``.
"""
from posebench.registry import build_model, get_protocol, load_dataset

__version__ = "0.1.0"
__all__ = ["__version__", "build_model", "get_protocol", "load_dataset"]
