"""Evaluation protocols: every choice that changes a number, declared and versioned.

A :class:`Protocol` fixes the joint set, pelvis, frame filter, test-time windowing,
aggregation and the scope of the acceleration metrics, and it owns the steps those
choices drive: which frames pass the filter (:meth:`Protocol.frame_mask`), the windows a
model sees (:meth:`Protocol.plan`, :meth:`Protocol.coverage`), stitching
(:meth:`Protocol.stitch`) and aggregation (:meth:`Protocol.aggregate`). Evaluation and
scoring receive a Protocol object; names are resolved once, at the CLI/API edge
(``posebench.get_protocol``). Its :meth:`Protocol.definition` goes into results.json, so a
number always travels with how it was computed. docs/protocols.md compares them.

Built-ins:

- ``posebench-v1``: the clean default. Full coverage windowing (every frame scored
  once), the dataset's valid frames, frame-pooled means, acceleration per sequence only.
- ``vibe-v2``, ``meva-v2``, ``hmmr-v2`` (what the family names ``vibe``, ``meva``,
  ``hmmr`` resolve to): each official evaluator, rule for rule (see each description).
- ``vibe-v1``, ``meva-v1``, ``hmmr-v1``: the first approximations, kept unchanged so old
  numbers stay reproducible. They differ from the official evaluators: vibe-v1 windows
  the raw track and filters afterwards; meva-v1 scores valid frames only, aligns the
  prediction onto the GT and drops acceleration terms across removed frames; hmmr-v1
  scores all frames, pelvis-centres the accelerations, masks ACCEL as well as ACC-ERR,
  binarises visibility at 0.3 and averages per track instead of per video.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from posebench.errors import PosebenchError
from posebench.metrics.functional import MIDHIP, UNITS
from posebench.windowing import POLICIES, Window, plan_windows, stitch

PELVIS_CHOICES = {"midhip": MIDHIP}
# "visible>6" is the v1 spelling of "visible" (needs min_visible_joints == 6).
FRAME_FILTERS = ("all", "valid", "visible", "valid&visible", "visible>6")
AGGREGATIONS = ("frames", "sequences")
AGGREGATION_UNITS = ("track", "video")
ACCEL_CENTERINGS = ("pelvis", "none")
PA_DIRECTIONS = ("pred_to_gt", "gt_to_pred")
ALL_METRICS = ("mpjpe", "pa_mpjpe", "acc_err", "accel", "vel_err", "pve")
FRAME_METRICS = ("mpjpe", "pa_mpjpe", "pve")
TEMPORAL_METRICS = ("acc_err", "accel", "vel_err")
VIS_THRESH = 0.3  # default: a 2D joint is visible when its confidence exceeds this (VIBE, MEVA)
MIN_VISIBLE = 6  # default: a visible frame has more than this many visible 2D joints

METRIC_DEFINITIONS = {
    "mpjpe": "mean over joints of the L2 distance after centring each side on its own pelvis",
    "pa_mpjpe": "MPJPE after a per-frame similarity Procrustes (scale, rotation det=+1, translation); "
                "pa_direction says which side is aligned onto the other",
    "acc_err": "mean over joints of |second difference of pred - second difference of GT|, "
               "per frame^2 (multiply by fps^2 for per s^2); accel_centering says whether joints are "
               "pelvis-centred first",
    "accel": "mean over joints of |second difference of pred|: smoothness, not an error",
    "vel_err": "mean over joints of |first difference of pred - first difference of GT|",
    "pve": "mean over mesh vertices of the L2 distance, no alignment",
}

_LSP14_MODEL_JOINTS = ("pred: the model's joints_lsp14_m (LSP-14 from its body model); "
                       "GT: the dataset's joints3d_m (LSP-14, camera frame)")
_H36M_REGRESSOR = ("pred and GT: J_regressor_h36m on SMPL vertices, then H36M_TO_J14 "
                   "(GT from the neutral SMPL, root rotated into the camera frame)")


@dataclass(frozen=True)
class Protocol:
    """Every choice behind a reported number. See the module docstring for the built-ins.

    Fields (defaults are posebench-v1's choices):

    - ``scored_joints``: the LSP-14 joints every joint metric uses (None: all 14); the
      pelvis joints must be among them.
    - ``frame_filter``: frames MPJPE/PA-MPJPE/PVE score, besides being covered by a
      window: ``all``, ``valid`` (the dataset's valid flag), ``visible`` (more than
      ``min_visible_joints`` 2D joints with confidence > ``visibility_threshold``),
      ``valid&visible`` (both).
    - ``filter_before_windowing``: the filter removes frames first and the windows are cut
      from what remains (VIBE, MEVA), instead of windowing the raw track.
    - ``temporal_frame_filter``: acceleration/velocity terms use only frames that pass the
      filter (False: every covered frame, as HMMR's ACCEL).
    - ``accel_visibility_mask``: temporal metrics whose terms are also dropped when one of
      their frames is not visible (True = all of them; a tuple names them).
    - ``accel_across_gaps``: temporal terms are differences of the compacted sequence of
      kept frames, so they span removed frames (VIBE, MEVA); False drops such terms.
    - ``accel_across_sequences``: one stack of every sequence's kept frames is
      differentiated, so terms also span sequence boundaries (VIBE).
    - ``accel_centering``: ``pelvis`` (each side centred on its own pelvis before
      differencing) or ``none`` (raw joints, HMMR).
    - ``pa_direction``: ``pred_to_gt`` (the prediction is aligned onto the GT) or
      ``gt_to_pred`` (MEVA's script passes its arguments swapped).
    - ``aggregation``: ``frames`` (pool every kept value) or ``sequences`` (mean of the
      per-unit means); ``aggregation_unit``: ``track`` or ``video`` (all people of one
      video pooled, HMMR).
    """

    id: str
    description: str
    joint_set: str = "lsp14"
    joint_source: str = _LSP14_MODEL_JOINTS
    scored_joints: tuple[int, ...] | None = None  # None: all 14; else the LSP-14 joints scored
    pelvis: str = "midhip"
    frame_filter: str = "valid"
    visibility_threshold: float = VIS_THRESH
    min_visible_joints: int = MIN_VISIBLE
    filter_before_windowing: bool = False
    windowing: str = "full"
    window: int | None = None  # None: the model's own window
    window_params: tuple[tuple[str, object], ...] = ()  # extra plan_windows() keywords
    aggregation: str = "frames"
    aggregation_unit: str = "track"
    temporal_frame_filter: bool = True
    accel_across_gaps: bool = False
    accel_across_sequences: bool = False
    accel_visibility_mask: bool | tuple[str, ...] = False
    accel_centering: str = "pelvis"
    pa_direction: str = "pred_to_gt"
    min_track_len: str = "any length; tracks shorter than the window are edge-padded, padded outputs dropped"
    gt_gender: str = "neutral"
    metrics: tuple[str, ...] = ALL_METRICS
    units: dict = field(default_factory=lambda: {m: UNITS[m] for m in ALL_METRICS}, hash=False, compare=False)

    def __post_init__(self):
        if "-v" not in self.id or not self.id.rsplit("-v", 1)[1].isdigit():
            raise PosebenchError(f"protocol id {self.id!r} must end in a version, e.g. 'myproto-v1'")
        checks = [("pelvis", self.pelvis, tuple(PELVIS_CHOICES)), ("frame_filter", self.frame_filter, FRAME_FILTERS),
                  ("windowing", self.windowing, POLICIES), ("aggregation", self.aggregation, AGGREGATIONS),
                  ("aggregation_unit", self.aggregation_unit, AGGREGATION_UNITS),
                  ("accel_centering", self.accel_centering, ACCEL_CENTERINGS),
                  ("pa_direction", self.pa_direction, PA_DIRECTIONS)]
        for name, value, allowed in checks:
            if value not in allowed:
                raise PosebenchError(f"protocol {self.id!r}: {name} {value!r} is not one of {', '.join(allowed)}")
        unknown = [m for m in self.metrics if m not in ALL_METRICS]
        if unknown:
            raise PosebenchError(f"protocol {self.id!r}: unknown metrics {unknown}; known: {', '.join(ALL_METRICS)}")
        if self.frame_filter == "visible>6" and self.min_visible_joints != 6:
            raise PosebenchError(f"protocol {self.id!r}: frame_filter 'visible>6' needs min_visible_joints 6; "
                                 f"use 'visible'")
        if not isinstance(self.accel_visibility_mask, bool):
            bad = [m for m in self.accel_visibility_mask if m not in TEMPORAL_METRICS]
            if bad:
                raise PosebenchError(f"protocol {self.id!r}: accel_visibility_mask names {bad}; "
                                     f"allowed: {', '.join(TEMPORAL_METRICS)}")
        if self.scored_joints is not None:
            joints = tuple(self.scored_joints)
            if (not joints or len(set(joints)) != len(joints) or not all(0 <= j < 14 for j in joints)
                    or not set(self.pelvis_joints) <= set(joints)):
                raise PosebenchError(f"protocol {self.id!r}: scored_joints must be distinct LSP-14 indices (0-13) "
                                     f"including the pelvis joints {self.pelvis_joints}, got {self.scored_joints}")
        if self.window is not None and int(self.window) < 1:
            raise PosebenchError(f"protocol {self.id!r}: window must be >= 1, got {self.window}")

    # ---- frames ----

    @property
    def pelvis_joints(self) -> tuple[int, ...]:
        """Joint indices whose mean is the pelvis ((2, 3) for LSP-14 mid-hip)."""
        return PELVIS_CHOICES[self.pelvis]

    @property
    def scored_pelvis(self) -> tuple[int, ...]:
        """The pelvis joints as indices into the scored joints (:attr:`scored_joints`)."""
        if self.scored_joints is None:
            return self.pelvis_joints
        return tuple(list(self.scored_joints).index(j) for j in self.pelvis_joints)

    @property
    def accel_pelvis(self) -> tuple[int, ...] | None:
        """Pelvis joints (indices into the scored joints) for the temporal metrics, or None
        for raw joints."""
        return self.scored_pelvis if self.accel_centering == "pelvis" else None

    def masks_visibility(self, metric: str) -> bool:
        """Whether ``metric``'s terms need every one of their frames visible."""
        mask = self.accel_visibility_mask
        return mask if isinstance(mask, bool) else metric in mask

    @property
    def needs_visibility(self) -> bool:
        """Whether scoring needs the GT's 2D-joint confidences (``vis2d``)."""
        return "visible" in self.frame_filter or any(self.masks_visibility(m) for m in TEMPORAL_METRICS)

    def visible(self, conf: np.ndarray) -> np.ndarray:
        """(N,) bool from (N, J) 2D-joint confidences: more than ``min_visible_joints``
        joints with confidence > ``visibility_threshold``."""
        return (np.asarray(conf) > self.visibility_threshold).sum(axis=1) > self.min_visible_joints

    def frame_mask(self, n_frames: int, valid: np.ndarray | None = None,
                   visible: np.ndarray | None = None) -> np.ndarray:
        """(N,) bool: the frames that pass the frame filter. ``valid``/``visible``: (N,)
        bool or None (valid: every frame; visible: required when the filter uses it)."""
        keep = np.ones(n_frames, bool)
        if self.frame_filter in ("valid", "valid&visible") and valid is not None:
            keep &= np.asarray(valid, bool)
        if "visible" in self.frame_filter:
            if visible is None:
                raise PosebenchError(f"protocol {self.id!r} needs the 2D-joint confidences (vis2d)")
            keep &= np.asarray(visible, bool)
        return keep

    # ---- windows ----

    def window_length(self, model_window: int | None) -> int | None:
        """The window a model sees under this protocol (its own when the protocol has none)."""
        return int(self.window) if self.window is not None else model_window

    def plan(self, n_frames: int, model_window: int) -> list[Window]:
        """Test-time windows for a track of ``n_frames`` (already filtered when
        ``filter_before_windowing``), with the protocol's ``window_params``."""
        return plan_windows(n_frames, self.window_length(model_window), self.windowing, **dict(self.window_params))

    def model_frames(self, keep: np.ndarray) -> np.ndarray:
        """Indices of the track frames the model sees, in order: the frames that pass the
        filter when ``filter_before_windowing``, else every frame. ``keep``: (N,) bool."""
        keep = np.asarray(keep, bool)
        return np.flatnonzero(keep) if self.filter_before_windowing else np.arange(keep.shape[0])

    def coverage(self, keep: np.ndarray, model_window: int | None = None) -> np.ndarray:
        """(N,) bool: frames the protocol's windowing gives an output for, given the filter
        mask ``keep`` (N,). Without a protocol or model window (a prediction file scored
        alone), a policy that covers every frame whatever the window is planned with one
        window of the whole track."""
        frames = self.model_frames(keep)
        window = self.window_length(model_window)
        if window is None:
            if self.windowing not in ("full", "hmmr"):
                raise PosebenchError(f"protocol {self.id!r}: windowing {self.windowing!r} needs a window length")
            window = max(len(frames), 1)
        covered = np.zeros(np.asarray(keep).shape[0], bool)
        for w in plan_windows(len(frames), window, self.windowing, **dict(self.window_params)):
            a, b = w.kept_source
            covered[frames[a:b]] = True
        return covered

    def stitch(self, window_outputs, plan: list[Window], frames: np.ndarray, n_frames: int,
               trailing_shape: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Put each window's kept outputs back on the track: ``frames`` (from
        :meth:`model_frames`) maps the model's timeline to the track's. Returns
        ``(out (n_frames, ...), covered (n_frames,) bool)``; uncovered frames are NaN."""
        out, covered = stitch(window_outputs, plan, len(frames), trailing_shape)
        if len(frames) == n_frames:
            return out, covered
        full = np.full((n_frames,) + out.shape[1:], np.nan if out.dtype.kind == "f" else 0, dtype=out.dtype)
        full[frames] = out
        cov = np.zeros(n_frames, bool)
        cov[frames] = covered
        return full, cov

    # ---- aggregation ----

    def aggregate(self, parts: Iterable[tuple[str, np.ndarray]]) -> float:
        """The reported value of one metric from per-sequence parts ``(video, values)``
        (``values``: the sequence's kept per-frame or per-term values, no NaN): all values
        pooled (``frames``), or the mean of the per-track or per-video means (a video pools
        the values of all its tracks); units with no value are left out, like a nanmean."""
        parts = list(parts)
        if self.aggregation == "frames":
            values = np.concatenate([np.asarray(v, float) for _, v in parts]) if parts else np.zeros(0)
            return float(values.mean()) if values.size else float("nan")
        if self.aggregation_unit == "track":
            means = [float(np.mean(v)) for _, v in parts if len(v)]
        else:
            by_video: dict[str, list[np.ndarray]] = {}
            for video, v in parts:
                by_video.setdefault(video, []).append(np.asarray(v, float))
            pooled = [np.concatenate(vs) for vs in by_video.values()]
            means = [float(v.mean()) for v in pooled if v.size]
        return float(np.mean(means)) if means else float("nan")

    def definition(self) -> dict:
        """Plain-JSON description of this protocol, for results.json."""
        d = asdict(self)
        d["window_params"] = dict(self.window_params)
        d["metrics"] = list(self.metrics)
        d["scored_joints"] = None if self.scored_joints is None else list(self.scored_joints)
        mask = self.accel_visibility_mask
        d["accel_visibility_mask"] = mask if isinstance(mask, bool) else list(mask)
        d["pelvis_joints"] = list(self.pelvis_joints)
        d["metric_definitions"] = {m: METRIC_DEFINITIONS[m] for m in self.metrics}
        d["visibility"] = (f"a 2D joint is visible when its confidence > {self.visibility_threshold}; "
                           f"a visible frame has > {self.min_visible_joints} visible joints")
        return d


POSEBENCH_V1 = Protocol(
    id="posebench-v1",
    description="posebench's clean default: every frame covered once (overlapping windows, hard cut), "
                "valid frames, frame-pooled means, accelerations within each sequence only",
)

VIBE_V1 = Protocol(
    id="vibe-v1",
    description="VIBE eval.py: 16-frame non-overlapping windows, tails and tracks < 16 frames dropped, "
                "frames with > 6 visible 2D joints, all windows pooled into one stack; ACC-ERR/ACCEL "
                "computed once over that stack, so they cross sequence boundaries",
    joint_source=_H36M_REGRESSOR,
    frame_filter="visible>6",
    windowing="vibe",
    window=16,
    aggregation="frames",
    accel_across_sequences=True,
    min_track_len="tracks shorter than 16 frames and the last < 16 frames of each track are not scored",
)

MEVA_V1 = Protocol(
    id="meva-v1",
    description="MEVA eval_meva.py: 90-frame windows with overlap 10, hard cut, extra last window; "
                "campose-valid frames (on VIBE's > 6 visible-joint database); accelerations per "
                "sequence; frame-pooled means",
    joint_source=_H36M_REGRESSOR,
    frame_filter="valid",
    windowing="meva",
    window=90,
    window_params=(("overlap", 10),),
    aggregation="frames",
    min_track_len="tracks shorter than 90 frames break the official code; posebench edge-pads them "
                  "to one window (extension)",
)

HMMR_V1 = Protocol(
    id="hmmr-v1",
    description="HMMR eval.py: 20-frame windows sliding by 8 keeping the middle 8 (6-frame padding at "
                "both ends; HMMR pads zero images, posebench repeats edge frames of precomputed "
                "features), all frames, mean of per-sequence means, ACC-ERR/ACCEL terms dropped "
                "when a frame has <= 6 visible 2D joints",
    joint_source="pred: the model's LSP-14 joints; GT: joints regressed from the gendered mesh",
    frame_filter="all",
    windowing="hmmr",
    window=20,
    window_params=(("margin", 6),),
    aggregation="sequences",
    accel_visibility_mask=True,
    min_track_len="any length",
    gt_gender="gendered",
)

VIBE_V2 = Protocol(
    id="vibe-v2",
    description="VIBE eval.py rule for rule: frames with > 6 visible 2D joints (confidence > 0.3) are kept "
                "first and the compacted track is cut into 16-frame non-overlapping windows (tail and "
                "tracks < 16 kept frames dropped); all windows pooled into one stack in sequence order; "
                "MPJPE/PA/PVE frame-pooled, PA aligns the prediction onto the GT; ACC-ERR/ACCEL computed "
                "once over the pelvis-centred stack, so terms span removed frames and sequence boundaries",
    joint_source=_H36M_REGRESSOR,
    frame_filter="visible",
    filter_before_windowing=True,
    windowing="vibe",
    window=16,
    aggregation="frames",
    accel_across_gaps=True,
    accel_across_sequences=True,
    metrics=("mpjpe", "pa_mpjpe", "acc_err", "accel", "pve"),
    min_track_len="after the filter: tracks shorter than 16 frames and the last < 16 frames of each track "
                  "are not scored",
)

MEVA_V2 = Protocol(
    id="meva-v2",
    description="MEVA eval_meva.py rule for rule: frames of VIBE's database (> 6 visible 2D joints, "
                "confidence > 0.3) that are also campose-valid, compacted per track, then 90-frame windows "
                "with overlap 10, hard cut, extra last window; tracks < 90 kept frames are skipped; the script "
                "passes (pred, GT) to compute_errors(gt, pred), so PA-MPJPE aligns the GT onto the prediction; "
                "velocity/acceleration errors of the pelvis-centred compacted track (terms span removed "
                "frames, never tracks); everything frame-pooled; no ACCEL or PVE",
    joint_source=_H36M_REGRESSOR,
    frame_filter="valid&visible",
    filter_before_windowing=True,
    windowing="meva",
    window=90,
    window_params=(("overlap", 10), ("short", "skip")),
    aggregation="frames",
    accel_across_gaps=True,
    pa_direction="gt_to_pred",
    metrics=("mpjpe", "pa_mpjpe", "acc_err", "vel_err"),
    min_track_len="tracks with fewer than 90 kept frames are skipped (the `continue` of eval_meva.py at "
                  "1260be4; HEAD reuses the previous track's windows instead)",
)

HMMR_V2 = Protocol(
    id="hmmr-v2",
    description="HMMR eval.py rule for rule: every frame predicted (20-frame windows sliding by 8, middle 8 "
                "kept); a frame is visible with > 6 of its 14 2D joints at confidence > 0.1; MPJPE/PA/PVE on "
                "visible frames; ACC-ERR on raw (not pelvis-centred) joints, a term dropped when one of its "
                "three frames is invisible; ACCEL on the raw predicted joints of every frame, no mask; values "
                "pooled per video (all its people), then the mean over videos",
    joint_source="pred: the model's LSP-14 joints; GT: joints regressed from the gendered mesh",
    frame_filter="visible",
    visibility_threshold=0.1,
    windowing="hmmr",
    window=20,
    window_params=(("margin", 6),),
    aggregation="sequences",
    aggregation_unit="video",
    temporal_frame_filter=False,
    accel_visibility_mask=("acc_err",),
    accel_centering="none",
    metrics=("mpjpe", "pa_mpjpe", "acc_err", "accel", "pve"),
    min_track_len="any length",
    gt_gender="gendered",
)

BUILTIN_PROTOCOLS = [POSEBENCH_V1, VIBE_V1, MEVA_V1, HMMR_V1, VIBE_V2, MEVA_V2, HMMR_V2]
