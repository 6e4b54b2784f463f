"""Metrics (per frame), protocols (every choice behind a number), scoring and comparison.

- :mod:`posebench.metrics.functional`: MPJPE, PA-MPJPE, ACC-ERR, ACCEL, velocity error, PVE.
- :mod:`posebench.metrics.protocols`: :class:`Protocol` and the built-in versioned protocols.
- :mod:`posebench.metrics.scoring`: :func:`score` predictions against GT under a protocol.
- :mod:`posebench.metrics.compare`: paired bootstrap differences between models.
"""
from posebench.metrics.compare import compare_models, paired_bootstrap, seed_summary
from posebench.metrics.functional import acc_err, accel, mpjpe, pa_mpjpe, pve, vel_err
from posebench.metrics.protocols import BUILTIN_PROTOCOLS, Protocol
from posebench.metrics.scoring import ScoreResult, SequencePrediction, SequenceTarget, score

__all__ = [
    "mpjpe", "pa_mpjpe", "acc_err", "accel", "vel_err", "pve",
    "Protocol", "BUILTIN_PROTOCOLS",
    "score", "ScoreResult", "SequencePrediction", "SequenceTarget",
    "paired_bootstrap", "compare_models", "seed_summary",
]
