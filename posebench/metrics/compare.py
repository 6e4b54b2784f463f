"""Paired comparisons between models scored on the same sequences.

Frames within a sequence are strongly correlated, so the unit of resampling is the
sequence (or the video): :func:`paired_bootstrap` resamples units with replacement and
recomputes the weighted mean difference A − B. Negative = A has the lower error.

:func:`compare_models` given the :class:`~posebench.metrics.protocols.Protocol` weighs
the differences as the protocol aggregates, so the paired difference equals the
difference of the two summaries: by the number of values each track contributes
(``aggregation="frames"``; for ACC-ERR/ACCEL that is terms, not frames), each track once
(``"sequences"`` per track), or per video (the tracks of a video pooled, each video
once). The one exception is VIBE's stacked acceleration (``accel_across_sequences``),
whose few cross-boundary terms belong to no track: there the differences are weighted
by each track's own terms.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from posebench.errors import PosebenchError, ShapeError


def _values(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ShapeError(f"{name}: expected one value per sequence, shape (S,), got {a.shape}")
    return a


def paired_bootstrap(per_seq_a, per_seq_b, weights=None, n_boot: int = 2000, seed: int = 0,
                     ci: float = 0.95) -> dict:
    """Mean difference A − B over sequences with a bootstrap confidence interval.

    ``per_seq_a``, ``per_seq_b``: per-sequence values (pandas Series are aligned on their
    index, which must hold the same sequences; arrays must be in the same order).
    ``weights``: frames per sequence (frame-weighted mean, as a frame-pooled protocol
    reports) or None (each sequence counts once). Sequences where either value is NaN are
    left out. Returns ``{"diff", "lo", "hi", "n"}`` (n = sequences used).
    """
    if isinstance(per_seq_a, pd.Series) and isinstance(per_seq_b, pd.Series):
        if set(per_seq_a.index) != set(per_seq_b.index):
            only = sorted(set(per_seq_a.index) ^ set(per_seq_b.index), key=str)[:5]
            raise PosebenchError(f"paired_bootstrap: the two models were scored on different sequences, e.g. {only}")
        per_seq_b = per_seq_b.loc[per_seq_a.index]
        if isinstance(weights, pd.Series):
            weights = weights.loc[per_seq_a.index]
    a, b = _values(per_seq_a, "per_seq_a"), _values(per_seq_b, "per_seq_b")
    if a.shape != b.shape:
        raise ShapeError(f"paired_bootstrap: {a.shape[0]} values for A but {b.shape[0]} for B")
    w = np.ones_like(a) if weights is None else _values(weights, "weights")
    if w.shape != a.shape or (w < 0).any():
        raise ShapeError(f"paired_bootstrap: weights must be {a.shape[0]} non-negative values, got {w.shape}")
    if not 0 < ci < 1:
        raise PosebenchError(f"paired_bootstrap: ci must be in (0, 1), got {ci}")
    keep = ~(np.isnan(a) | np.isnan(b)) & (w > 0)
    d, w = (a - b)[keep], w[keep]
    n = int(d.size)
    if n == 0:
        return {"diff": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": 0}
    diff = float(np.sum(w * d) / np.sum(w))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(int(n_boot), n))  # sequences drawn with replacement
    boot = np.sum(w[idx] * d[idx], axis=1) / np.sum(w[idx], axis=1)
    alpha = (1 - ci) / 2
    lo, hi = np.quantile(boot, [alpha, 1 - alpha])
    return {"diff": diff, "lo": float(lo), "hi": float(hi), "n": n}


def protocol_units(table: pd.DataFrame, metric: str, protocol) -> tuple[pd.Series, pd.Series | None]:
    """The units ``protocol`` averages for ``metric`` and their weights: ``(values, weights)``
    indexed by sequence (or by video for per-video protocols); weights None = equal.

    ``table``: a per-sequence table indexed by sequence, with the metric column and, when
    present, ``n_<metric>`` (values per sequence) and ``video``."""
    count = f"n_{metric}" if f"n_{metric}" in table.columns else "n_frames_scored"
    if protocol.aggregation == "frames":
        return table[metric], table[count].astype(float)
    if protocol.aggregation_unit == "track":
        return table[metric], None
    if "video" not in table.columns:
        raise PosebenchError(f"compare_models: protocol {protocol.id!r} aggregates per video, but the table "
                             f"has no 'video' column")
    ok = table[metric].notna() & (table[count] > 0)
    n = table[count].where(ok, 0).astype(float)
    weighted = (table[metric].where(ok, 0.0) * n).groupby(table["video"]).sum()
    total = n.groupby(table["video"]).sum()
    return (weighted / total.where(total > 0)), None


def compare_models(per_sequence_tables: dict[str, pd.DataFrame], metrics, baseline: str | None = None,
                   weight_column: str | None = "n_frames_scored", n_boot: int = 2000, seed: int = 0,
                   ci: float = 0.95, protocol=None) -> pd.DataFrame:
    """Paired bootstrap for every model pair (or every model against ``baseline``).

    ``per_sequence_tables``: model -> :attr:`ScoreResult.per_sequence` (a ``sequence``
    column plus metric columns). ``protocol``: the :class:`Protocol` the tables were
    scored under; the differences are then weighted as it aggregates
    (:func:`protocol_units`) and ``weight_column`` is ignored. Without it,
    ``weight_column`` gives frames per sequence for frame-weighted differences (None:
    sequences weigh the same). Returns a DataFrame with columns model_a, model_b, metric,
    diff (A − B), ci_lo, ci_hi, n (units used).
    """
    models = list(per_sequence_tables)
    if baseline is not None and baseline not in per_sequence_tables:
        raise PosebenchError(f"compare_models: baseline {baseline!r} is not one of {models}")
    tables = {}
    for model, t in per_sequence_tables.items():
        if "sequence" not in t.columns:
            raise PosebenchError(f"compare_models: table of {model!r} has no 'sequence' column")
        tables[model] = t.set_index("sequence")
    pairs = ([(m, baseline) for m in models if m != baseline] if baseline is not None
             else list(itertools.combinations(models, 2)))
    rows = []
    for a, b in pairs:
        ta, tb = tables[a], tables[b]
        for m in metrics:
            for model, t in ((a, ta), (b, tb)):
                if m not in t.columns:
                    raise PosebenchError(f"compare_models: table of {model!r} has no column {m!r}")
            if set(ta.index) != set(tb.index):
                only = sorted(set(ta.index) ^ set(tb.index), key=str)[:5]
                raise PosebenchError(f"compare_models: {a!r} and {b!r} cover different sequences, e.g. {only}")
            if protocol is not None:
                va, weights = protocol_units(ta, m, protocol)
                vb, _ = protocol_units(tb, m, protocol)
            else:
                va, vb, weights = ta[m], tb[m], None
                if weight_column is not None:
                    if weight_column not in ta.columns:
                        raise PosebenchError(f"compare_models: table of {a!r} has no weight column {weight_column!r}")
                    weights = ta[weight_column].astype(float)
            r = paired_bootstrap(va, vb, weights=weights, n_boot=n_boot, seed=seed, ci=ci)
            rows.append({"model_a": a, "model_b": b, "metric": m, "diff": r["diff"],
                         "ci_lo": r["lo"], "ci_hi": r["hi"], "n": r["n"]})
    return pd.DataFrame(rows, columns=["model_a", "model_b", "metric", "diff", "ci_lo", "ci_hi", "n"])


def seed_summary(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) of one metric over training seeds;
    the std is NaN for a single seed."""
    v = np.asarray(list(values), dtype=np.float64)
    if v.size == 0:
        raise PosebenchError("seed_summary: no values")
    std = float(v.std(ddof=1)) if v.size > 1 else float("nan")
    return float(v.mean()), std
