"""Metrics (per frame), protocols (every choice behind a number), scoring and comparison.

- :mod:`posebench.metrics.functional`: MPJPE, PA-MPJPE, ACC-ERR, ACCEL, velocity error, PVE.
- :mod:`posebench.metrics.protocols`: :class:`Protocol` and the built-in versioned protocols.
- :mod:`posebench.metrics.scoring`: :func:`score` predictions against GT under a protocol.
- :mod:`posebench.metrics.compare`: paired bootstrap differences between models.
"""
import importlib

# Imported on first use (PEP 562), not with the package: registering the built-in metrics at CLI start
# needs only `functional`, and `compare` would pull pandas into every `posebench` command.
_EXPORTS = {
    "functional": ("mpjpe", "pa_mpjpe", "acc_err", "accel", "vel_err", "pve"),
    "protocols": ("Protocol", "BUILTIN_PROTOCOLS"),
    "scoring": ("score", "ScoreResult", "SequencePrediction", "SequenceTarget"),
    "compare": ("paired_bootstrap", "compare_models", "seed_summary"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = list(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    globals()[name] = value
    return value
