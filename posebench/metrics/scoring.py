"""Score predictions against ground truth under a :class:`~posebench.metrics.protocols.Protocol`.

Per sequence, a frame is *scored* when the model covered it (``covered``, e.g. VIBE's
dropped tail is not) and it passes the protocol's frame filter. MPJPE, PA-MPJPE and PVE
use the scored frames; an ACC-ERR/ACCEL term (frames t, t+1, t+2) and a velocity term
(t, t+1) are kept only when all their frames are scored (plus, under
``accel_visibility_mask``, have > 6 visible 2D joints), so no term spans a gap. Under
``accel_across_sequences`` (vibe-v1) the summary instead differentiates one stack of all
scored frames of all sequences, in the order of ``gts``, as VIBE does.

``per_frame`` arrays are aligned with the track: (N,) for frame metrics, (N−1,) for
``vel_err`` (pair t, t+1), (N−2,) for ``acc_err``/``accel`` (term centred on frame t+1);
NaN where not scored.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from posebench.errors import PosebenchError, ShapeError
from posebench.metrics import functional as F
from posebench.metrics.protocols import MIN_VISIBLE, VIS_THRESH, Protocol

N_JOINTS = 14


@dataclass
class SequencePrediction:
    """A model's output for one track: ``joints_lsp14_m`` (N, 14, 3) metres; ``vertices_m``
    (N, V, 3) or None; ``covered`` (N,) bool or None (= every frame covered)."""

    joints_lsp14_m: np.ndarray
    vertices_m: np.ndarray | None = None
    covered: np.ndarray | None = None


@dataclass
class SequenceTarget:
    """Ground truth for one track: ``joints_lsp14_m`` (N, 14, 3) metres; ``valid`` (N,) bool
    or None (= all valid); ``vis2d`` (N, 14) 2D-joint confidences or None; ``vertices_m``."""

    joints_lsp14_m: np.ndarray
    valid: np.ndarray | None = None
    vis2d: np.ndarray | None = None
    vertices_m: np.ndarray | None = None


@dataclass
class ScoreResult:
    protocol: Protocol
    per_frame: dict[str, dict[str, np.ndarray]]
    per_sequence: pd.DataFrame
    summary: dict[str, float]
    units: dict[str, str] = field(default_factory=dict)


# Field names of the prediction file layout (posebench.predictions) -> dataclass fields.
_PRED_FIELDS = {"joints3d_m": "joints_lsp14_m", "vertices_m": "vertices_m", "covered": "covered"}
_GT_FIELDS = {"joints3d_m": "joints_lsp14_m", "vertices_m": "vertices_m", "valid": "valid", "vis2d": "vis2d"}


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


def _array(x, seq: str, what: str, fld: str, shape: tuple, dtype=np.float64) -> np.ndarray:
    """Check ``x`` against ``shape`` (None = any size) and convert, naming sequence and field."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    ok = a.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, a.shape))
    if not ok:
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ShapeError(f"sequence {seq!r}: {what} field {fld!r} has shape {a.shape}, expected {want}")
    return a.astype(dtype, copy=False)


def _check_finite(a: np.ndarray, rows: np.ndarray, seq: str, what: str, fld: str) -> None:
    bad = ~np.isfinite(a[rows]).reshape(int(rows.sum()), -1).all(axis=1)
    if bad.any():
        frame = int(np.flatnonzero(rows)[np.argmax(bad)])
        raise ShapeError(f"sequence {seq!r}: {what} field {fld!r} has NaN/inf at frame {frame}")


@dataclass
class _Checked:
    pred: np.ndarray  # (N, 14, 3), uncovered frames replaced by GT (never scored)
    gt: np.ndarray
    scored: np.ndarray  # (N,) bool
    accel_ok: np.ndarray  # (N,) bool: frames an acceleration/velocity term may use
    pred_verts: np.ndarray | None
    gt_verts: np.ndarray | None


def _check_sequence(seq: str, p: SequencePrediction, t: SequenceTarget, protocol: Protocol) -> _Checked:
    gt = _array(t.joints_lsp14_m, seq, "ground truth", "joints3d_m", (None, N_JOINTS, 3))
    n = gt.shape[0]
    if n == 0:
        raise ShapeError(f"sequence {seq!r}: ground truth field 'joints3d_m' is empty (0 frames)")
    pred = _array(p.joints_lsp14_m, seq, "prediction", "joints3d_m", (None, N_JOINTS, 3))
    if pred.shape[0] != n:
        raise ShapeError(f"sequence {seq!r}: prediction field 'joints3d_m' has {pred.shape[0]} frames, "
                         f"ground truth has {n}")
    covered = np.ones(n, bool) if p.covered is None else _array(p.covered, seq, "prediction", "covered", (n,), bool)
    valid = np.ones(n, bool) if t.valid is None else _array(t.valid, seq, "ground truth", "valid", (n,), bool)
    visible = None
    if t.vis2d is not None:
        conf = _array(t.vis2d, seq, "ground truth", "vis2d", (n, N_JOINTS))
        visible = (conf > VIS_THRESH).sum(axis=1) > MIN_VISIBLE
    needs_vis = protocol.frame_filter == "visible>6" or protocol.accel_visibility_mask
    if needs_vis and visible is None:
        raise PosebenchError(f"sequence {seq!r}: protocol {protocol.id!r} needs the ground truth field 'vis2d'")
    keep = {"all": np.ones(n, bool), "valid": valid, "visible>6": visible}[protocol.frame_filter]
    scored = covered & keep
    _check_finite(pred, covered, seq, "prediction", "joints3d_m")
    _check_finite(gt, scored, seq, "ground truth", "joints3d_m")
    # Uncovered frames never enter a kept term; fill them so the batched maths stays finite.
    pred = np.where(covered[:, None, None], pred, gt)
    pred[~scored] = np.where(np.isfinite(pred[~scored]), pred[~scored], 0.0)
    gt = np.where(np.isfinite(gt), gt, 0.0)
    accel_ok = scored & visible if protocol.accel_visibility_mask else scored
    pv = gv = None
    if p.vertices_m is not None and t.vertices_m is not None:
        pv = _array(p.vertices_m, seq, "prediction", "vertices_m", (n, None, 3))
        gv = _array(t.vertices_m, seq, "ground truth", "vertices_m", (n, None, 3))
        if pv.shape != gv.shape:
            raise ShapeError(f"sequence {seq!r}: prediction field 'vertices_m' has shape {pv.shape}, "
                             f"ground truth has {gv.shape}")
        _check_finite(pv, scored, seq, "prediction", "vertices_m")
        _check_finite(gv, scored, seq, "ground truth", "vertices_m")
    return _Checked(pred, gt, scored, accel_ok, pv, gv)


def _scatter(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.full(mask.shape[0], np.nan)
    out[mask] = values
    return out


def _per_frame(c: _Checked, protocol: Protocol) -> dict[str, np.ndarray]:
    pelvis = protocol.pelvis_joints
    s = c.scored
    out = {}
    wanted = set(protocol.metrics)
    if "mpjpe" in wanted:
        out["mpjpe"] = _scatter(F.mpjpe(c.pred[s], c.gt[s], pelvis=pelvis), s)
    if "pa_mpjpe" in wanted:
        out["pa_mpjpe"] = _scatter(F.pa_mpjpe(c.pred[s], c.gt[s]), s)
    if "pve" in wanted and c.pred_verts is not None:
        out["pve"] = _scatter(F.pve(c.pred_verts[s], c.gt_verts[s]), s)
    ok = c.accel_ok
    acc_mask = F.acc_term_mask(ok)
    if "acc_err" in wanted:
        out["acc_err"] = _scatter(F.acc_err(c.pred, c.gt, pelvis=pelvis)[acc_mask], acc_mask)
    if "accel" in wanted:
        out["accel"] = _scatter(F.accel(c.pred, pelvis=pelvis)[acc_mask], acc_mask)
    if "vel_err" in wanted:
        vel_mask = ok[:-1] & ok[1:]
        out["vel_err"] = _scatter(F.vel_err(c.pred, c.gt, pelvis=pelvis)[vel_mask], vel_mask)
    return out


def _mean(a: np.ndarray) -> float:
    a = a[~np.isnan(a)]
    return float(a.mean()) if a.size else float("nan")


def score(preds: Mapping, gts: Mapping, protocol: Protocol | str) -> ScoreResult:
    """Score ``preds`` ``{seq: SequencePrediction | {field: array}}`` against ``gts``
    ``{seq: SequenceTarget | {field: array}}`` under ``protocol`` (or a protocol id).

    Returns per-frame arrays, a per-sequence table (sequence, n_frames, n_frames_scored,
    one column per metric: the mean of that sequence's kept values) and a summary:
    each metric under the protocol's aggregation, plus n_sequences, n_frames_total,
    n_frames_scored (= n_frames).
    """
    if isinstance(protocol, str):
        from posebench.registry import get_protocol

        protocol = get_protocol(protocol)
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

    checked = {seq: _check_sequence(seq, as_prediction(seq, preds[seq]), as_target(seq, gts[seq]), protocol)
               for seq in gts}
    has_verts = [c.pred_verts is not None for c in checked.values()]
    if "pve" in protocol.metrics and any(has_verts) and not all(has_verts):
        lacking = next(s for s, c in checked.items() if c.pred_verts is None)
        raise PosebenchError(f"sequence {lacking!r}: no 'vertices_m' in prediction or ground truth, while other "
                             f"sequences have both; PVE needs them for every sequence or none")

    per_frame = {seq: _per_frame(c, protocol) for seq, c in checked.items()}
    metrics = [m for m in protocol.metrics if all(m in pf for pf in per_frame.values())]
    rows = []
    for seq, c in checked.items():
        row = {"sequence": seq, "n_frames": int(c.scored.shape[0]), "n_frames_scored": int(c.scored.sum())}
        row.update({m: _mean(per_frame[seq][m]) for m in metrics})
        rows.append(row)
    table = pd.DataFrame(rows, columns=["sequence", "n_frames", "n_frames_scored", *metrics])

    summary: dict[str, float] = {}
    for m in metrics:
        if protocol.aggregation == "frames":
            summary[m] = _mean(np.concatenate([per_frame[s][m] for s in checked]))
        else:
            summary[m] = _mean(table[m].to_numpy(dtype=float))
    if protocol.accel_across_sequences:
        summary.update(_stacked_accel(checked, protocol, metrics))
    summary["n_sequences"] = len(checked)
    summary["n_frames_total"] = int(table["n_frames"].sum())
    summary["n_frames_scored"] = int(table["n_frames_scored"].sum())
    summary["n_frames"] = summary["n_frames_scored"]
    units = {m: F.UNITS[m] for m in metrics}
    return ScoreResult(protocol, per_frame, table, summary, units)


def _stacked_accel(checked: dict[str, _Checked], protocol: Protocol, metrics: list[str]) -> dict[str, float]:
    """VIBE: differentiate one stack of every scored frame of every sequence, so terms cross
    sequence boundaries and removed-frame gaps."""
    pred = np.concatenate([c.pred[c.accel_ok] for c in checked.values()])
    gt = np.concatenate([c.gt[c.accel_ok] for c in checked.values()])
    pelvis = protocol.pelvis_joints
    out = {}
    if "acc_err" in metrics:
        out["acc_err"] = _mean(F.acc_err(pred, gt, pelvis=pelvis))
    if "accel" in metrics:
        out["accel"] = _mean(F.accel(pred, pelvis=pelvis))
    if "vel_err" in metrics:
        out["vel_err"] = _mean(F.vel_err(pred, gt, pelvis=pelvis))
    return out
