"""Score predictions against ground truth under a :class:`~posebench.metrics.protocols.Protocol`.

The protocol decides every rule; this module applies them one sequence at a time, so a
long file is scored with memory bounded by its longest sequence (plus one value per kept
frame per metric).

Per sequence:

- *covered* frames: the prediction's ``covered`` or, when it has none, the frames the
  protocol's windowing gives an output for (:meth:`Protocol.coverage`); a given
  ``covered`` must agree with that windowing wherever it matters.
- *scored* frames (MPJPE, PA-MPJPE, PVE): covered frames that pass the frame filter.
- temporal terms (ACC-ERR, ACCEL: frames t, t+1, t+2; velocity error: t, t+1) use the
  covered frames that pass the filter (all covered frames when the protocol's
  ``temporal_frame_filter`` is off) and, for metrics in ``accel_visibility_mask``, are
  visible. With ``accel_across_gaps`` the terms are differences of the compacted sequence
  of those frames; otherwise a term is kept only when all its frames are usable. With
  ``accel_across_sequences`` (VIBE) the summary differentiates one stack of every
  sequence's usable frames, in the order of ``gts``.

A sequence with nothing to score (no scored frame and no temporal term: all invalid,
invisible or uncovered) is reported in :attr:`ScoreResult.skipped` and left out.

``per_frame`` arrays are aligned with the track: (N,) for frame metrics, (N−1,) for
``vel_err``, (N−2,) for ``acc_err``/``accel``; a term sits at the index of its first
frame; NaN where nothing was kept.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from posebench.errors import PosebenchError, ShapeError
from posebench.metrics import functional as F
from posebench.metrics.protocols import FRAME_METRICS, TEMPORAL_METRICS, Protocol

N_JOINTS = 14
# LSP-14 bones (child, parent) whose lengths tell metres from millimetres: shins, thighs,
# upper and lower arms.
UNIT_CHECK_BONES = ((0, 1), (1, 2), (5, 4), (4, 3), (6, 7), (7, 8), (11, 10), (10, 9))
PLAUSIBLE_BONE_M = (0.03, 1.5)  # median bone length of a person in metres
UNIT_CHECK_FRAMES = 64  # frames per sequence the unit check looks at


@dataclass
class SequencePrediction:
    """A model's output for one track: ``joints_lsp14_m`` (N, 14, 3) metres; ``vertices_m``
    (N, V, 3) or None; ``covered`` (N,) bool or None (= the protocol's windowing decides)."""

    joints_lsp14_m: np.ndarray
    vertices_m: np.ndarray | None = None
    covered: np.ndarray | None = None


@dataclass
class SequenceTarget:
    """Ground truth for one track: ``joints_lsp14_m`` (N, 14, 3) metres; ``valid`` (N,) bool
    or None (= all valid); ``vis2d`` (N, 14) 2D-joint confidences or None; ``vertices_m``;
    ``video``: the video the track belongs to (None = its own), for per-video aggregation."""

    joints_lsp14_m: np.ndarray
    valid: np.ndarray | None = None
    vis2d: np.ndarray | None = None
    vertices_m: np.ndarray | None = None
    video: str | None = None


@dataclass
class ScoreResult:
    """``per_frame``: {seq: {metric: array}}; ``per_sequence``: one row per scored sequence
    (sequence, video, n_frames, n_frames_scored, one column per metric, and ``n_<metric>``:
    how many values that mean is over); ``summary``: each metric under the protocol's
    aggregation plus counts; ``skipped``: {seq: why}; ``too_short``: {metric: sequences
    that were scored but had no value of it (too few usable frames)}."""

    protocol: Protocol
    per_frame: dict[str, dict[str, np.ndarray]]
    per_sequence: pd.DataFrame
    summary: dict[str, float]
    units: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    too_short: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """One line each about skipped sequences and metrics some sequences were too short for."""
        lines = []
        if self.skipped:
            names = ", ".join(repr(s) for s in list(self.skipped)[:5]) + (" ..." if len(self.skipped) > 5 else "")
            first = next(iter(self.skipped.values()))
            lines.append(f"skipped {len(self.skipped)} sequence(s) with nothing to score ({first}): {names}")
        short = {m: n for m, n in self.too_short.items() if n}
        if short:
            lines.append("sequences too short for a metric (no usable frame pair/triple): "
                         + ", ".join(f"{m} {n}" for m, n in short.items()))
        return lines


# Field names of the prediction file layout (posebench.predictions) -> dataclass fields.
_PRED_FIELDS = {"joints3d_m": "joints_lsp14_m", "vertices_m": "vertices_m", "covered": "covered"}
_GT_FIELDS = {"joints3d_m": "joints_lsp14_m", "vertices_m": "vertices_m", "valid": "valid", "vis2d": "vis2d",
              "video": "video"}


def as_prediction(seq: str, value) -> SequencePrediction:
    """A :class:`SequencePrediction` from itself or a ``{field: array}`` dict of the file layout."""
    return _convert(seq, value, SequencePrediction, _PRED_FIELDS, "prediction")


def as_target(seq: str, value) -> SequenceTarget:
    """A :class:`SequenceTarget` from itself or a ``{field: array}`` dict of the file layout."""
    return _convert(seq, value, SequenceTarget, _GT_FIELDS, "ground truth")


def _convert(seq, value, cls, names, what):
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise PosebenchError(f"sequence {seq!r}: {what} must be a {cls.__name__} or a dict, got {type(value).__name__}")
    unknown = set(value) - set(names) - set(names.values())
    if unknown:
        raise PosebenchError(f"sequence {seq!r}: unknown {what} fields {sorted(unknown)}; known: {sorted(names)}")
    kwargs = {names.get(k, k): v for k, v in value.items()}
    if "joints_lsp14_m" not in kwargs:
        raise PosebenchError(f"sequence {seq!r}: {what} has no 'joints3d_m'")
    return cls(**kwargs)


def _array(x, where: str, fld: str, shape: tuple, dtype=np.float64) -> np.ndarray:
    """Check ``x`` against ``shape`` (None = any size) and convert, naming where and field."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    ok = a.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, a.shape))
    if not ok:
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ShapeError(f"{where} field {fld!r} has shape {a.shape}, expected {want}")
    return a.astype(dtype, copy=False)


def _finite_or_fill(a: np.ndarray, rows: np.ndarray, where: str, fld: str) -> np.ndarray:
    """Raise if ``a`` has NaN/inf on ``rows``; elsewhere replace them by 0 (never used) so
    the batched maths stays finite."""
    bad = ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    if not bad.any():
        return a
    used = bad & rows
    if used.any():
        raise ShapeError(f"{where} field {fld!r} has NaN/inf at frame {int(np.argmax(used))}")
    a = a.copy()
    a[bad] = 0.0
    return a


def check_units(joints_m: np.ndarray, where: str, fld: str = "joints3d_m", frames: np.ndarray | None = None) -> None:
    """Refuse joints whose median bone length is not a person's in metres (a file in
    millimetres has bones ~1000x longer). ``joints_m``: (N, 14, 3); ``frames``: (N,) bool,
    the frames to look at (e.g. ``covered``); NaN and all-zero frames are ignored."""
    j = np.asarray(joints_m)
    if j.ndim != 3 or j.shape[1] != N_JOINTS or j.shape[0] == 0:
        return
    if frames is not None and np.shape(frames) == (j.shape[0],):
        j = j[np.asarray(frames, bool)]
        if j.shape[0] == 0:
            return
    j = j[::max(1, j.shape[0] // UNIT_CHECK_FRAMES)].astype(np.float64)  # a sample is enough for a median
    bones = np.array(UNIT_CHECK_BONES)
    lengths = np.linalg.norm(j[:, bones[:, 0]] - j[:, bones[:, 1]], axis=-1)
    # Frames with every bone of length 0 are fillers (e.g. zeros where a model produced nothing).
    lengths = lengths[np.isfinite(lengths).all(axis=1) & (lengths > 0).any(axis=1)]
    if lengths.size == 0:
        return
    median = float(np.median(lengths))
    lo, hi = PLAUSIBLE_BONE_M
    if not lo <= median <= hi:
        hint = " (millimetres? use --units mm, or convert the file to metres)" if median > hi else ""
        raise ShapeError(f"{where}, field {fld!r}: median bone length {median:.4g} is not a person's in metres "
                         f"([{lo}, {hi}]){hint}")


@dataclass
class _Sequence:
    """One checked sequence: float64 arrays with unused NaNs replaced, and its frame masks."""

    name: str
    video: str
    pred: np.ndarray  # (N, 14, 3)
    gt: np.ndarray
    scored: np.ndarray  # (N,) bool: frame metrics
    temporal: dict[str, np.ndarray]  # metric -> (N,) bool: frames its terms may use
    pred_verts: np.ndarray | None
    gt_verts: np.ndarray | None


def _where(sources: Mapping, what: str, seq: str) -> str:
    path = sources.get(what)
    return f"{path}: sequence {seq!r}: {what}" if path else f"sequence {seq!r}: {what}"


def _check_sequence(seq: str, p: SequencePrediction, t: SequenceTarget, protocol: Protocol,
                    model_window: int | None, sources: Mapping) -> _Sequence:
    wp, wg = _where(sources, "prediction", seq), _where(sources, "ground truth", seq)
    gt = _array(t.joints_lsp14_m, wg, "joints3d_m", (None, N_JOINTS, 3))
    n = gt.shape[0]
    if n == 0:
        raise ShapeError(f"{wg} field 'joints3d_m' is empty (0 frames)")
    pred = _array(p.joints_lsp14_m, wp, "joints3d_m", (None, N_JOINTS, 3))
    if pred.shape[0] != n:
        raise ShapeError(f"{wp} field 'joints3d_m' has {pred.shape[0]} frames, ground truth has {n}")
    if protocol.scored_joints is not None:  # joints the protocol does not score may be NaN (not measured)
        gt, pred = gt[:, list(protocol.scored_joints)], pred[:, list(protocol.scored_joints)]
    valid = None if t.valid is None else _array(t.valid, wg, "valid", (n,), bool)
    visible = None
    if t.vis2d is not None:
        visible = protocol.visible(_array(t.vis2d, wg, "vis2d", (n, N_JOINTS)))
    elif protocol.needs_visibility:
        raise PosebenchError(f"{wg}: protocol {protocol.id!r} needs the ground truth field 'vis2d'")
    keep = protocol.frame_mask(n, valid, visible)
    covered = _coverage(p, keep, protocol, model_window, wp, n)
    scored = covered & keep
    base = covered & keep if protocol.temporal_frame_filter else covered
    temporal = {m: base & visible if protocol.masks_visibility(m) else base
                for m in TEMPORAL_METRICS if m in protocol.metrics}
    pred_rows = scored.copy()
    for rows in temporal.values():
        pred_rows |= rows
    gt_rows = scored.copy()
    for m in ("acc_err", "vel_err"):
        if m in temporal:
            gt_rows |= temporal[m]
    pred = _finite_or_fill(pred, pred_rows, wp, "joints3d_m")
    gt = _finite_or_fill(gt, gt_rows, wg, "joints3d_m")
    pv = gv = None
    if p.vertices_m is not None and t.vertices_m is not None and "pve" in protocol.metrics:
        pv = _array(p.vertices_m, wp, "vertices_m", (n, None, 3))
        gv = _array(t.vertices_m, wg, "vertices_m", (n, None, 3))
        if pv.shape != gv.shape:
            raise ShapeError(f"{wp} field 'vertices_m' has shape {pv.shape}, ground truth has {gv.shape}")
        pv = _finite_or_fill(pv, scored, wp, "vertices_m")
        gv = _finite_or_fill(gv, scored, wg, "vertices_m")
    video = seq if t.video is None else str(t.video)
    return _Sequence(seq, video, pred, gt, scored, temporal, pv, gv)


def _coverage(p: SequencePrediction, keep: np.ndarray, protocol: Protocol, model_window: int | None,
              where: str, n: int) -> np.ndarray:
    """The prediction's ``covered``, checked against the protocol's windowing, or derived from it."""
    try:
        expected = protocol.coverage(keep, model_window)
    except PosebenchError:
        expected = None  # the protocol's window is the model's, which a file does not say
    if p.covered is None:
        if expected is None:
            raise PosebenchError(f"{where}: no field 'covered', and protocol {protocol.id!r} cannot derive it "
                                 f"without the model's window length")
        return expected
    covered = _array(p.covered, where, "covered", (n,), bool)
    # A protocol that windows with the model's own length (window None) cannot check a file
    # scored without the model: there the file's coverage is taken as given.
    if expected is not None and (protocol.window is not None or model_window is not None):
        # Only frames some metric could use matter (a file may mark filtered-out frames either way).
        relevant = keep if (protocol.filter_before_windowing or protocol.temporal_frame_filter) else np.ones(n, bool)
        differ = relevant & (covered != expected)
        if differ.any():
            f = int(np.argmax(differ))
            raise PosebenchError(
                f"{where} field 'covered' disagrees with protocol {protocol.id!r}'s windowing on "
                f"{int(differ.sum())} frame(s) (first: frame {f}, file {bool(covered[f])}, protocol "
                f"{bool(expected[f])}); drop the field to let the protocol decide")
    return covered


def _scatter(values: np.ndarray, positions: np.ndarray, length: int) -> np.ndarray:
    out = np.full(max(length, 0), np.nan)
    out[positions] = values
    return out


def _temporal_values(metric: str, pred: np.ndarray, gt: np.ndarray, pelvis) -> np.ndarray:
    """Per-term values of one temporal metric over consecutive frames of (pred, gt)."""
    if metric == "acc_err":
        return F.acc_err(pred, gt, pelvis=pelvis)
    if metric == "accel":
        return F.accel(pred, pelvis=pelvis)
    return F.vel_err(pred, gt, pelvis=pelvis)


def _per_frame(c: _Sequence, protocol: Protocol, extra_metrics=()) -> dict[str, np.ndarray]:
    s = c.scored
    n = s.shape[0]
    out = {}
    for metric in extra_metrics:  # a plugin's per-frame metric, on the scored frames
        values = np.asarray(metric.fn(c.pred[s], c.gt[s]) if s.any() else np.zeros(0), dtype=np.float64)
        if values.shape != (int(s.sum()),):
            raise ShapeError(f"metric {metric.name!r} returned shape {values.shape} for {int(s.sum())} scored "
                             f"frames of sequence {c.name!r}; expected one value per frame")
        out[metric.name] = _scatter(values, s, n)
    wanted = set(protocol.metrics)
    if "mpjpe" in wanted:
        out["mpjpe"] = _scatter(F.mpjpe(c.pred[s], c.gt[s], pelvis=protocol.scored_pelvis), s, n)
    if "pa_mpjpe" in wanted:
        if protocol.pa_direction == "pred_to_gt":
            out["pa_mpjpe"] = _scatter(F.pa_mpjpe(c.pred[s], c.gt[s]), s, n)
        else:  # MEVA's swapped call: the GT is aligned onto the prediction
            out["pa_mpjpe"] = _scatter(F.pa_mpjpe(c.gt[s], c.pred[s]), s, n)
    if "pve" in wanted and c.pred_verts is not None:
        out["pve"] = _scatter(F.pve(c.pred_verts[s], c.gt_verts[s]), s, n)
    pred, gt, pelvis = c.pred, c.gt, protocol.accel_pelvis
    if pelvis is not None and len(c.temporal) > 1:  # centre once for all temporal metrics (same values)
        pred, gt, pelvis = F._centre(pred, pelvis, "pred_m"), F._centre(gt, pelvis, "gt_m"), None
    for m, ok in c.temporal.items():
        span = 3 if m != "vel_err" else 2
        length = n - span + 1
        if protocol.accel_across_gaps:
            idx = np.flatnonzero(ok)
            values = _temporal_values(m, pred[idx], gt[idx], pelvis)
            out[m] = _scatter(values, idx[:len(values)], length)
        else:
            keep = F.acc_term_mask(ok) if span == 3 else (ok[:-1] & ok[1:])
            out[m] = _scatter(_temporal_values(m, pred, gt, pelvis)[keep], keep, length)
    return out


class _Stack:
    """VIBE's single stack of every sequence's usable frames, differentiated as it grows:
    only the last frames of the previous sequences are kept (terms across a boundary
    need them), so memory stays bounded."""

    def __init__(self, metrics: list[str], pelvis):
        self.metrics, self.pelvis = metrics, pelvis
        self.tail: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.values: dict[str, list[np.ndarray]] = {m: [] for m in metrics}

    def add(self, c: _Sequence) -> None:
        for m in self.metrics:
            ok = c.temporal[m]
            pred, gt = c.pred[ok], c.gt[ok]
            if m in self.tail:
                pred = np.concatenate([self.tail[m][0], pred])
                gt = np.concatenate([self.tail[m][1], gt])
            if pred.shape[0] == 0:
                continue
            self.values[m].append(_temporal_values(m, pred, gt, self.pelvis))
            keep = 2 if m != "vel_err" else 1
            self.tail[m] = (pred[-keep:], gt[-keep:])

    def means(self) -> dict[str, float]:
        out = {}
        for m, parts in self.values.items():
            v = np.concatenate(parts) if parts else np.zeros(0)
            out[m] = float(v.mean()) if v.size else float("nan")
        return out


def score(preds: Mapping, gts: Mapping, protocol: Protocol, *, model_window: int | None = None,
          sources: Mapping | None = None, extra_metrics: Sequence = ()) -> ScoreResult:
    """Score ``preds`` ``{seq: SequencePrediction | {field: array}}`` against ``gts``
    ``{seq: SequenceTarget | {field: array}}`` under ``protocol`` (a :class:`Protocol`;
    resolve names with ``posebench.get_protocol`` first).

    ``model_window``: the model's window length, for protocols that use it (coverage of a
    prediction without ``covered``). ``sources``: ``{"prediction": path, "ground truth":
    path}`` named in error messages. The mappings may load lazily: one sequence is held in
    memory at a time. ``extra_metrics``: plugins' per-frame metrics (:class:`posebench.specs.MetricSpec`:
    ``fn(pred_m, gt_m) -> (N,)`` on the scored frames' joints, (N, J, 3) metres, not centred),
    scored and aggregated like MPJPE after the protocol's metrics.

    Returns per-frame arrays, a per-sequence table and a summary: each metric under the
    protocol's aggregation, plus n_sequences, n_sequences_skipped, n_frames_total,
    n_frames_scored (= n_frames).
    """
    if not isinstance(protocol, Protocol):
        raise PosebenchError(f"score: expected a Protocol, got {type(protocol).__name__} {protocol!r}; "
                             f"resolve a name with posebench.get_protocol")
    sources = sources or {}
    missing = [s for s in gts if s not in preds]
    if missing:
        raise PosebenchError(f"predictions are missing {len(missing)} sequence(s) of the ground truth: "
                             f"{', '.join(map(repr, missing[:5]))}{' ...' if len(missing) > 5 else ''}")
    extra = [s for s in preds if s not in gts]
    if extra:
        raise PosebenchError(f"predictions have {len(extra)} sequence(s) not in the ground truth: "
                             f"{', '.join(map(repr, extra[:5]))}{' ...' if len(extra) > 5 else ''}")
    if not gts:
        raise PosebenchError("nothing to score: the ground truth has no sequences")

    stacked = [m for m in TEMPORAL_METRICS if m in protocol.metrics] if protocol.accel_across_sequences else []
    stack = _Stack(stacked, protocol.accel_pelvis)
    per_frame: dict[str, dict[str, np.ndarray]] = {}
    rows, skipped, has_verts = [], {}, {}
    n_total = 0
    for seq in gts:
        c = _check_sequence(seq, as_prediction(seq, preds[seq]), as_target(seq, gts[seq]), protocol,
                            model_window, sources)
        n_total += c.scored.shape[0]
        stack.add(c)
        pf = _per_frame(c, protocol, extra_metrics)
        if not c.scored.any() and not any(np.isfinite(pf[m]).any() for m in c.temporal):
            skipped[seq] = "no frame is both covered and passes the frame filter"
            continue
        has_verts[seq] = c.pred_verts is not None
        per_frame[seq] = pf
        row = {"sequence": seq, "video": c.video, "n_frames": int(c.scored.shape[0]),
               "n_frames_scored": int(c.scored.sum())}
        for m, values in pf.items():
            kept = values[~np.isnan(values)]
            row[m] = float(kept.mean()) if kept.size else float("nan")
            row[f"n_{m}"] = int(kept.size)
        rows.append(row)
    if "pve" in protocol.metrics and any(has_verts.values()) and not all(has_verts.values()):
        lacking = next(s for s, v in has_verts.items() if not v)
        raise PosebenchError(f"sequence {lacking!r}: no 'vertices_m' in prediction or ground truth, while other "
                             f"sequences have both; PVE needs them for every sequence or none")

    if not rows:
        first = next(iter(skipped.values()))
        raise PosebenchError(f"nothing to score under protocol {protocol.id!r}: all {len(skipped)} sequence(s) "
                             f"skipped ({first})")
    wanted = [*protocol.metrics, *(m.name for m in extra_metrics if m.name not in protocol.metrics)]
    metrics = [m for m in wanted if all(m in pf for pf in per_frame.values())]
    columns = ["sequence", "video", "n_frames", "n_frames_scored", *metrics, *[f"n_{m}" for m in metrics]]
    table = pd.DataFrame(rows, columns=columns)
    summary: dict[str, float] = {}
    for m in metrics:
        summary[m] = protocol.aggregate((r["video"], pf[m][~np.isnan(pf[m])])
                                        for r, pf in zip(rows, per_frame.values()))
    if stacked:
        summary.update({m: v for m, v in stack.means().items() if m in metrics})
    too_short = {m: int((table[f"n_{m}"] == 0).sum()) for m in metrics if m in TEMPORAL_METRICS}
    summary["n_sequences"] = len(rows)
    summary["n_sequences_skipped"] = len(skipped)
    summary["n_frames_total"] = n_total
    summary["n_frames_scored"] = int(table["n_frames_scored"].sum())
    summary["n_frames"] = summary["n_frames_scored"]
    units = {**{m.name: m.unit for m in extra_metrics}, **F.UNITS}
    units = {m: units[m] for m in metrics}
    return ScoreResult(protocol, per_frame, table, summary, units, skipped, too_short)


def frame_metric(metric: str) -> bool:
    """Whether ``metric`` has one value per frame (MPJPE, PA-MPJPE, PVE) rather than per term."""
    return metric in FRAME_METRICS
