"""Evaluation protocols: every choice that changes a number, declared and versioned.

A :class:`Protocol` fixes the joint set, pelvis, frame filter, test-time windowing,
aggregation and the scope of the acceleration metrics. Its :meth:`Protocol.definition`
goes into results.json, so a number always travels with how it was computed.

Built-ins (reference docs §1.7, §2.2-§2.4, §5.4, §8):

- ``posebench-v1``: the clean default. Full coverage windowing (every frame scored
  once), the dataset's valid frames, frame-pooled means, acceleration per sequence only.
- ``vibe-v1``: VIBE's ``eval.py``: 16-frame non-overlapping windows with the tail dropped,
  frames with > 6 visible 2D joints, everything pooled over one stack of all windows,
  accelerations included (so they cross sequence boundaries).
- ``meva-v1``: MEVA's ``eval_meva.py``: 90-frame windows, overlap 10, hard cut plus an
  extra last window; campose-valid frames; per-sequence accelerations; frame-pooled.
- ``hmmr-v1``: HMMR's ``eval.py``: 20-frame windows keeping the middle 8 (6-frame
  padding), all frames, mean of per-sequence means, accelerations dropped where a frame
  has <= 6 visible 2D joints.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from posebench.errors import PosebenchError
from posebench.metrics.functional import MIDHIP, UNITS
from posebench.windowing import POLICIES, Window, plan_windows

PELVIS_CHOICES = {"midhip": MIDHIP}
FRAME_FILTERS = ("all", "valid", "visible>6")
AGGREGATIONS = ("frames", "sequences")
ALL_METRICS = ("mpjpe", "pa_mpjpe", "acc_err", "accel", "vel_err", "pve")
VIS_THRESH = 0.3  # a 2D joint is visible when its confidence exceeds this (VIBE)
MIN_VISIBLE = 6  # "visible>6": a frame needs more than this many visible 2D joints

METRIC_DEFINITIONS = {
    "mpjpe": "mean over joints of the L2 distance after centring each side on its own pelvis",
    "pa_mpjpe": "MPJPE after a per-frame similarity Procrustes (scale, rotation det=+1, translation)",
    "acc_err": "mean over joints of |second difference of pred - second difference of GT|, pelvis-centred, "
               "per frame^2 (multiply by fps^2 for per s^2)",
    "accel": "mean over joints of |second difference of pred|, pelvis-centred: smoothness, not an error",
    "vel_err": "mean over joints of |first difference of pred - first difference of GT|, pelvis-centred",
    "pve": "mean over mesh vertices of the L2 distance, no alignment",
}

_LSP14_MODEL_JOINTS = ("pred: the model's joints_lsp14_m (LSP-14 from its body model); "
                       "GT: the dataset's joints3d_m (LSP-14, camera frame)")
_H36M_REGRESSOR = ("pred and GT: J_regressor_h36m on SMPL vertices, then H36M_TO_J14 "
                   "(GT from the neutral SMPL, root rotated into the camera frame)")


@dataclass(frozen=True)
class Protocol:
    """Every choice behind a reported number. See the module docstring for the built-ins."""

    id: str
    description: str
    joint_set: str = "lsp14"
    joint_source: str = _LSP14_MODEL_JOINTS
    pelvis: str = "midhip"
    frame_filter: str = "valid"
    windowing: str = "full"
    window: int | None = None  # None: the model's own window
    window_params: tuple[tuple[str, int], ...] = ()  # extra plan_windows() keywords
    aggregation: str = "frames"
    accel_across_sequences: bool = False
    accel_visibility_mask: bool = False  # also drop accel terms on frames with <= 6 visible joints
    min_track_len: str = "any length; tracks shorter than the window are edge-padded, padded outputs dropped"
    gt_gender: str = "neutral"
    metrics: tuple[str, ...] = ALL_METRICS
    units: dict = field(default_factory=lambda: {m: UNITS[m] for m in ALL_METRICS}, hash=False, compare=False)

    def __post_init__(self):
        if "-v" not in self.id or not self.id.rsplit("-v", 1)[1].isdigit():
            raise PosebenchError(f"protocol id {self.id!r} must end in a version, e.g. 'myproto-v1'")
        checks = [("pelvis", self.pelvis, tuple(PELVIS_CHOICES)), ("frame_filter", self.frame_filter, FRAME_FILTERS),
                  ("windowing", self.windowing, POLICIES), ("aggregation", self.aggregation, AGGREGATIONS)]
        for name, value, allowed in checks:
            if value not in allowed:
                raise PosebenchError(f"protocol {self.id!r}: {name} {value!r} is not one of {', '.join(allowed)}")
        unknown = [m for m in self.metrics if m not in ALL_METRICS]
        if unknown:
            raise PosebenchError(f"protocol {self.id!r}: unknown metrics {unknown}; known: {', '.join(ALL_METRICS)}")

    @property
    def pelvis_joints(self) -> tuple[int, ...]:
        """Joint indices whose mean is the pelvis ((2, 3) for LSP-14 mid-hip)."""
        return PELVIS_CHOICES[self.pelvis]

    def plan(self, n_frames: int, model_window: int) -> list[Window]:
        """Test-time windows for a track of ``n_frames`` under this protocol."""
        window = self.window if self.window is not None else model_window
        return plan_windows(n_frames, window, self.windowing, **dict(self.window_params))

    def definition(self) -> dict:
        """Plain-JSON description of this protocol, for results.json."""
        d = asdict(self)
        d["window_params"] = dict(self.window_params)
        d["metrics"] = list(self.metrics)
        d["pelvis_joints"] = list(self.pelvis_joints)
        d["metric_definitions"] = {m: METRIC_DEFINITIONS[m] for m in self.metrics}
        d["visibility"] = f"a 2D joint is visible when its confidence > {VIS_THRESH}; 'visible>6' needs > {MIN_VISIBLE}"
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

BUILTIN_PROTOCOLS = [POSEBENCH_V1, VIBE_V1, MEVA_V1, HMMR_V1]
