"""A synthetic 2D pose detector fitted to how real detectors err (benchmark v2).

Two parts, both used by the CMU benchmark v2 and the first also by the AIST++ dataset:

**1. Which points a detector reports.** A detector does not see a body model's joints; it
reports COCO-17 keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
:func:`coco17_from_body` places them from SMPL-24 joints and global rotations with a fixed
offset model (metres, in the body part's own frame; fitted to AIST++'s multi-view COCO 3D
keypoints, whose hips are 21-22 cm apart against 17 cm for a skeleton's hip joints):

=============== ====================================================================
hips            widened about their midpoint x1.25 and moved 2.5 cm down the pelvis's axis
shoulders       widened about their midpoint x1.05
elbows, wrists, the joints themselves
knees, ankles
ears            head joint + (+-0.08, 0.10, -0.01) in the head's frame (x left, y up, z forward)
eyes            head joint + (+-0.035, 0.12, 0.08)
nose            head joint + (0, 0.08, 0.10)
=============== ====================================================================

:func:`derive_lsp14` turns COCO-17 keypoints into the LSP-14 order every model reads, as a
detector pipeline does: the limb joints are copied, neck = mid-shoulder, head top = neck +
1.45 x (mean of the face points - neck); a derived point's confidence is the smallest of its
sources'.

**2. How it errs** (:func:`simulate`), per track (one static camera), ``box`` = the per-frame
size of the noise-free keypoint box, amplitudes as fractions of the box, times ``severity``:

- position error = per-joint scale x a slowly varying log-normal gain (heavy tails: the
  extremities' median stays near the torso's, their mean is 2-3x) x (a small white part + a fast
  and a slow AR(1) component), plus a constant per-(camera, joint) bias and a common "box jitter"
  (the whole skeleton shifted and scaled together, slowly);
- outlier episodes: a keypoint displaced by 20-50% of the box for a run of frames;
- swaps: one left/right limb (elbow+wrist or knee+ankle), one pair, or the whole body, for a run
  of frames; run lengths are log-normal (mostly 1-2 frames, long tail);
- low confidence (< 0.05) where the geometry says so (the face turned away from the camera, a
  limb joint behind the torso, a keypoint at the image border) and in random episodes; the
  error grows there; keypoints outside the image or behind the camera are missing (confidence 0,
  position 0);
- confidence otherwise ``sigmoid(c0 - c1 log(err / (0.02 box)) + noise)``: informative, loose.

Time constants and run lengths are in seconds, so a preset means the same at any frame rate.
Presets (:data:`PRESETS`): ``gt`` (no noise, confidence 1), ``aistpp`` (default; calibrated with
``posebench data noise-stats`` against the real AIST++ detections), ``h36m-hrnet`` (a modern
Human3.6M detector: ~1% of the box, smooth errors, few outliers and swaps). The same seed gives
the same bits; every random draw happens whatever the severity, so severities share one stream.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.signal import lfilter

from posebench.errors import PosebenchError, ShapeError

COCO17_JOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
COCO17_PAIRS: tuple[tuple[int, int], ...] = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))
COCO17_FACE: tuple[int, ...] = (0, 1, 2, 3, 4)
# LSP-14 joints 0-11 (rankle ... lwrist) as COCO-17 indices: the 12 limb joints both define.
COCO17_TO_LSP12: tuple[int, ...] = (16, 14, 12, 11, 13, 15, 10, 8, 6, 5, 7, 9)
LIMB12_COCO: tuple[int, ...] = tuple(range(5, 17))
HEADTOP_FROM_FACE = 1.45

# Offsets of the module docstring, metres, in the part's rest frame (x left, y up, z forward).
_FACE_OFFSETS_M = {0: (0.0, 0.08, 0.10), 1: (0.035, 0.12, 0.08), 2: (-0.035, 0.12, 0.08), 3: (0.08, 0.10, -0.01),
                   4: (-0.08, 0.10, -0.01)}
HIP_WIDEN = 1.25
HIP_DROP_M = 0.025
SHOULDER_WIDEN = 1.05
_SMPL = {"pelvis": 0, "lhip": 1, "rhip": 2, "lknee": 4, "rknee": 5, "lankle": 7, "rankle": 8, "head": 15,
         "lshoulder": 16, "rshoulder": 17, "lelbow": 18, "relbow": 19, "lwrist": 20, "rwrist": 21}


def coco17_from_body(joints24_m: np.ndarray, global_rotmat: np.ndarray) -> np.ndarray:
    """(T, 24, 3) SMPL-24 joints and (T, 24, 3, 3) global rotations -> (T, 17, 3) COCO-17 points, same frame.

    The offset model is in the module docstring; any world frame works (offsets rotate with the body).
    """
    j = np.asarray(joints24_m, np.float64)
    R = np.asarray(global_rotmat, np.float64)
    if j.ndim != 3 or j.shape[1:] != (24, 3) or R.shape != j.shape[:2] + (3, 3):
        raise ShapeError(f"coco17_from_body: expected (T, 24, 3) joints and (T, 24, 3, 3) rotations, got {j.shape} "
                         f"and {R.shape}")
    s = _SMPL
    out = np.empty((len(j), 17, 3))
    mid_hip = (j[:, s["lhip"]] + j[:, s["rhip"]]) / 2
    drop = R[:, s["pelvis"]] @ np.array([0.0, -HIP_DROP_M, 0.0])
    out[:, 11] = mid_hip + HIP_WIDEN * (j[:, s["lhip"]] - mid_hip) + drop
    out[:, 12] = mid_hip + HIP_WIDEN * (j[:, s["rhip"]] - mid_hip) + drop
    mid_sho = (j[:, s["lshoulder"]] + j[:, s["rshoulder"]]) / 2
    out[:, 5] = mid_sho + SHOULDER_WIDEN * (j[:, s["lshoulder"]] - mid_sho)
    out[:, 6] = mid_sho + SHOULDER_WIDEN * (j[:, s["rshoulder"]] - mid_sho)
    for k, name in ((7, "lelbow"), (8, "relbow"), (9, "lwrist"), (10, "rwrist"), (13, "lknee"), (14, "rknee"),
                    (15, "lankle"), (16, "rankle")):
        out[:, k] = j[:, s[name]]
    head, R_head = j[:, s["head"]], R[:, s["head"]]
    for k, offset in _FACE_OFFSETS_M.items():
        out[:, k] = head + R_head @ np.asarray(offset)
    return out


def derive_lsp14(coco: np.ndarray) -> np.ndarray:
    """COCO-17 (..., 17, D) -> LSP-14 (..., 14, D), D = 2 or 3 coordinates, or 3 = (x, y, conf) in 2D.

    For 2D detections pass ``(..., 17, 3)`` with confidence last and use :func:`derive_lsp14_detections`;
    this geometric version treats every channel as a coordinate (3D GT, 2D projections).
    """
    c = np.asarray(coco, np.float64)
    if c.shape[-2] != 17:
        raise ShapeError(f"derive_lsp14: expected (..., 17, D) COCO-17 points, got {c.shape}")
    neck = (c[..., 5, :] + c[..., 6, :]) / 2
    face = c[..., list(COCO17_FACE), :].mean(-2)
    headtop = neck + HEADTOP_FROM_FACE * (face - neck)
    return np.concatenate([c[..., list(COCO17_TO_LSP12), :], neck[..., None, :], headtop[..., None, :]], axis=-2)


def derive_lsp14_detections(coco_px: np.ndarray) -> np.ndarray:
    """Detections (T, 17, 3) pixels + confidence -> (T, 14, 3) LSP-14, as a detector pipeline derives them.

    Neck from the shoulders, head top from the confidence-weighted face points (module docstring);
    a derived point's confidence is the smallest of its sources'. Missing keypoints (confidence 0)
    stay missing (position 0); a derived point with a missing source is missing.
    """
    d = np.asarray(coco_px, np.float64)
    if d.ndim != 3 or d.shape[1:] != (17, 3):
        raise ShapeError(f"derive_lsp14_detections: expected (T, 17, 3), got {d.shape}")
    d = np.where(np.isfinite(d), d, 0.0)
    xy, conf = d[..., :2], d[..., 2]
    out = np.zeros((len(d), 14, 3))
    out[:, :12] = d[:, list(COCO17_TO_LSP12)]
    neck = (xy[:, 5] + xy[:, 6]) / 2
    neck_conf = np.minimum(conf[:, 5], conf[:, 6])
    w = np.clip(conf[:, list(COCO17_FACE)], 0.0, None)
    wsum = w.sum(1)
    face = (xy[:, list(COCO17_FACE)] * w[..., None]).sum(1) / np.maximum(wsum, 1e-9)[:, None]
    face_conf = np.where(wsum > 0, conf[:, list(COCO17_FACE)].max(1), 0.0)
    headtop = neck + HEADTOP_FROM_FACE * (face - neck)
    out[:, 12, :2], out[:, 12, 2] = neck, neck_conf
    out[:, 13, :2], out[:, 13, 2] = headtop, np.minimum(neck_conf, face_conf)
    missing = out[..., 2] <= 0
    out[missing] = 0.0
    return out


# -- the noise model -------------------------------------------------------------------------------
# Joint groups of COCO-17 (per-joint scale and tail).
GROUPS = {"face": (0, 1, 2, 3, 4), "shoulder": (5, 6), "elbow": (7, 8), "wrist": (9, 10), "hip": (11, 12),
          "knee": (13, 14), "ankle": (15, 16)}
# Swappable sets: a limb (elbow+wrist, knee+ankle) or one pair; the whole body is the "flip".
SWAP_GROUPS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((7, 8), (9, 10)), ((13, 14), (15, 16)), ((9, 10),), ((15, 16),), ((7, 8),), ((13, 14),), ((11, 12),),
    ((5, 6),),
)


@dataclass(frozen=True)
class DetectorPreset:
    """Parameters of :func:`simulate`. Amplitudes: fractions of the box (per axis, std); times: seconds."""

    name: str
    description: str
    white_box: float = 0.0
    fast_box: float = 0.0
    fast_tau_s: float = 0.03
    slow_box: float = 0.0
    slow_tau_s: float = 0.25
    bias_box: float = 0.0
    joint_scale: dict = field(default_factory=dict)  # group -> multiplier of the error amplitude
    tail_sigma: dict = field(default_factory=dict)  # group -> log-sd of the slowly varying gain
    tail_tau_s: float = 0.4
    smooth_order: int = 1  # 1: AR(1) slow processes (rough paths); 2: each filtered twice (smooth paths)
    box_shift_box: float = 0.0
    box_scale: float = 0.0
    box_tau_s: float = 0.5
    outlier_share: float = 0.0  # share of keypoint-frames inside outlier episodes
    outlier_run_median_s: float = 0.033
    outlier_run_sigma: float = 1.2
    outlier_box: tuple[float, float] = (0.2, 0.5)
    swap_share: float = 0.0  # share of frames inside a limb / pair swap
    flip_share: float = 0.0  # share of frames inside a whole-body flip
    swap_run_median_s: float = 0.033
    swap_run_sigma: float = 0.9
    lowconf_share: float = 0.0  # random low-confidence episodes, share of keypoint-frames
    lowconf_run_median_s: float = 0.05
    lowconf_run_sigma: float = 1.6
    geometry_lowconf: bool = False  # face turned away, limb behind the torso, image border
    lowconf_error_gain: float = 2.0
    conf_c0: float = 1.0
    conf_c1: float = 1.0
    conf_noise: float = 1.0
    targets: dict = field(default_factory=dict)  # noise-stats key -> (lo, hi) at 30 fps, severity 1

    def scale(self, group_of: np.ndarray, table: dict, default: float) -> np.ndarray:
        return np.array([table.get(g, default) for g in group_of])


_GROUP_OF = np.array([next(g for g, ks in GROUPS.items() if k in ks) for k in range(17)])

AISTPP = DetectorPreset(
    name="aistpp",
    description="calibrated to a real COCO detector on AIST++ (studio dance, 1080p): ~2-3% of the box, "
                "correlated errors, heavy-tailed extremities, swaps, outliers and low-confidence runs",
    white_box=0.0013, fast_box=0.0029, fast_tau_s=0.062, slow_box=0.0075, slow_tau_s=0.3, bias_box=0.0035,
    joint_scale={"face": 1.0, "shoulder": 1.0, "elbow": 1.3, "wrist": 1.5, "hip": 1.0, "knee": 0.7, "ankle": 0.7},
    tail_sigma={"face": 0.4, "shoulder": 0.35, "elbow": 0.85, "wrist": 1.05, "hip": 0.3, "knee": 0.6, "ankle": 0.75},
    tail_tau_s=0.4, box_shift_box=0.004, box_scale=0.01, box_tau_s=0.5,
    outlier_share=0.009, outlier_run_median_s=0.08, outlier_run_sigma=1.2, outlier_box=(0.2, 0.35),
    swap_share=0.018, flip_share=0.004, swap_run_median_s=0.033, swap_run_sigma=0.9,
    lowconf_share=0.02, lowconf_run_median_s=0.05, lowconf_run_sigma=1.6, geometry_lowconf=True,
    conf_c0=0.4, conf_c1=1.0, conf_noise=1.2,
    targets={"accel_to_err_ratio": (0.5, 1.1), "autocorr_1": (0.5, 0.85), "conf_err_spearman": (-0.65, -0.35),
             "outlier_rate": (0.01, 0.05), "swap_rate": (0.01, 0.05), "err_pct_box": (1.3, 3.5)},
)

H36M_HRNET = DetectorPreset(
    name="h36m-hrnet",
    description="a modern Human3.6M detector (HRNet-like): ~1% of the box, smooth errors (accel/error "
                "~0.2 at 50 fps, as SmoothNet reports for HRNet), almost no outliers or swaps",
    white_box=0.0003, fast_box=0.0010, fast_tau_s=0.1, slow_box=0.0055, slow_tau_s=0.4, bias_box=0.002,
    smooth_order=2,
    joint_scale={"face": 1.0, "shoulder": 1.0, "elbow": 1.2, "wrist": 1.3, "hip": 1.1, "knee": 0.9, "ankle": 0.9},
    tail_sigma={"face": 0.3, "shoulder": 0.25, "elbow": 0.45, "wrist": 0.55, "hip": 0.25, "knee": 0.35,
                "ankle": 0.45},
    tail_tau_s=0.6, box_shift_box=0.002, box_scale=0.005, box_tau_s=0.8,
    outlier_share=0.0005, outlier_run_median_s=0.1, outlier_box=(0.15, 0.3), swap_share=0.001, flip_share=0.0,
    lowconf_share=0.01, geometry_lowconf=True, conf_c0=0.6, conf_c1=1.0, conf_noise=1.2,
    targets={"accel_to_err_ratio": (0.1, 0.45), "autocorr_1": (0.7, 1.0), "conf_err_spearman": (-0.65, -0.3),
             "outlier_rate": (0.0, 0.005), "swap_rate": (0.0, 0.01), "err_pct_box": (0.5, 1.5)},
)

GT = DetectorPreset(name="gt", description="no noise at all: the detector's keypoints exactly, confidence 1",
                    targets={"err_pct_box": (0.0, 0.0), "outlier_rate": (0.0, 0.0), "swap_rate": (0.0, 0.0)})

PRESETS: dict[str, DetectorPreset] = {p.name: p for p in (AISTPP, H36M_HRNET, GT)}
DEFAULT_PRESET = "aistpp"


def get_preset(name: str) -> DetectorPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise PosebenchError(f"unknown detector preset {name!r}; known: {', '.join(PRESETS)}") from None


@dataclass
class SimulatedDetections:
    """What :func:`simulate` returns for one track of T frames (COCO-17).

    kp_px (T, 17, 3) float32 pixels + confidence (0 and position 0 = missing); outlier, lowconf
    (T, 17) bool; swapped (T, 8) bool per :data:`COCO17_PAIRS` (labels exchanged).
    """

    kp_px: np.ndarray
    outlier: np.ndarray
    lowconf: np.ndarray
    swapped: np.ndarray


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], tau_frames: float) -> np.ndarray:
    """(T, ...) unit-variance stationary AR(1) along axis 0 with correlation time ``tau_frames``."""
    rho = float(np.exp(-1.0 / max(tau_frames, 1e-6)))
    eps = rng.normal(size=shape)
    eps[1:] *= np.sqrt(1.0 - rho**2)
    return lfilter([1.0], [1.0, -rho], eps, axis=0)


def _smooth(rng: np.random.Generator, shape: tuple[int, ...], tau_frames: float, order: int) -> np.ndarray:
    """(T, ...) unit-variance slow process: AR(1) (``order`` 1) or AR(1) filtered once more (``order`` 2).

    An AR(1) path is rough (its increments are white), which puts a floor under the
    acceleration/error ratio; the twice-filtered path is smooth, as a modern detector's drift is.
    """
    if order == 1:
        return _ar1(rng, shape, tau_frames)
    rho = float(np.exp(-1.0 / max(tau_frames, 1e-6)))
    burn = int(np.ceil(4 * tau_frames))  # lets the second filter reach its stationary state
    x = _ar1(rng, (shape[0] + burn,) + tuple(shape[1:]), tau_frames)
    y = lfilter([np.sqrt(1.0 - rho**2)], [1.0, -rho], x, axis=0)[burn:]
    return y / np.sqrt((1.0 + rho**2) / (1.0 - rho**2))


def _episodes(rng: np.random.Generator, shape: tuple[int, ...], share: float, median_frames: float,
              sigma: float) -> np.ndarray:
    """(T, ...) bool: runs with log-normal lengths (median ``median_frames``) covering ~``share`` of frames."""
    T = shape[0]
    lengths = np.maximum(1, np.round(median_frames * np.exp(sigma * rng.normal(size=shape)))).astype(np.int64)
    lengths = np.minimum(lengths, T)
    mean_len = max(1.0, median_frames * np.exp(sigma**2 / 2))
    start_p = share / mean_len if share > 0 else 0.0
    starts = rng.uniform(size=shape) < start_p
    out = np.zeros(shape, bool)
    flat_out = out.reshape(T, -1)
    flat_len = lengths.reshape(T, -1)
    for t, k in zip(*np.nonzero(starts.reshape(T, -1))):
        flat_out[t:t + flat_len[t, k], k] = True
    return out


def geometry_lowconf(coco_cam_m: np.ndarray, coco_px: np.ndarray, image_wh: tuple[int, int],
                     border_frac: float = 0.01) -> np.ndarray:
    """(T, 17) bool: keypoints a detector sees badly from this camera.

    ``coco_cam_m`` (T, 17, 3) camera frame (OpenCV: z forward), ``coco_px`` (T, 17, 2) projections.
    Face points when the face is turned away (nose - mid-ear points away from the camera), the far
    ear in profile, limb joints behind the torso's plane and inside its 2D box, and points within
    ``border_frac`` of the image border.
    """
    p = np.asarray(coco_cam_m, np.float64)
    uv = np.asarray(coco_px, np.float64)
    mid_ear = (p[:, 3] + p[:, 4]) / 2
    forward = p[:, 0] - mid_ear
    forward /= np.maximum(np.linalg.norm(forward, axis=-1, keepdims=True), 1e-9)
    ray = mid_ear / np.maximum(np.linalg.norm(mid_ear, axis=-1, keepdims=True), 1e-9)
    away = (forward * ray).sum(-1)  # > 0: the face points away from the camera
    low = np.zeros(p.shape[:2], bool)
    low[:, :3] = (away > 0.15)[:, None]
    for ear in (3, 4):  # an ear behind the head as the camera sees it
        low[:, ear] = (((p[:, ear] - mid_ear) * ray).sum(-1) > 0.04) | (away > 0.6)
    torso = p[:, [5, 6, 11, 12]]
    torso_depth = torso[..., 2].mean(1)
    t_uv = uv[:, [5, 6, 11, 12]]
    lo, hi = t_uv.min(1), t_uv.max(1)
    margin = 0.1 * (hi - lo)
    lo, hi = lo + margin, hi - margin
    for k in range(7, 17):
        if k in (11, 12):
            continue
        inside = (uv[:, k] > lo).all(-1) & (uv[:, k] < hi).all(-1)
        low[:, k] = inside & (p[:, k, 2] > torso_depth + 0.08)
    width, height = image_wh
    bx, by = border_frac * width, border_frac * height
    near_border = (uv[..., 0] < bx) | (uv[..., 0] > width - bx) | (uv[..., 1] < by) | (uv[..., 1] > height - by)
    return low | near_border


def checked_projections(who: str, gt_px, in_view, n_keypoints: int, severity: float) -> tuple[np.ndarray, float]:
    """The input contract of a detector simulator: ``gt_px`` (T, n_keypoints, 2) pixels, returned as
    float64, ``in_view`` (T, n_keypoints) and ``severity`` in [0, 2], returned as a float; errors name ``who``."""
    gt_px = np.asarray(gt_px, np.float64)
    if gt_px.ndim != 3 or gt_px.shape[1] != n_keypoints or np.shape(in_view) != gt_px.shape[:2]:
        raise ShapeError(f"{who}: expected gt_px (T, {n_keypoints}, 2) and in_view (T, {n_keypoints}), got "
                         f"{gt_px.shape} and {np.shape(in_view)}")
    if not 0.0 <= severity <= 2.0:
        raise PosebenchError(f"{who}: detector severity must be in [0, 2], got {severity}")
    return gt_px, float(severity)


def simulate(rng: np.random.Generator, gt_px: np.ndarray, in_view: np.ndarray, image_wh: tuple[int, int],
             fps: float, preset: DetectorPreset | str = DEFAULT_PRESET, severity: float = 1.0,
             geometry_low: np.ndarray | None = None) -> SimulatedDetections:
    """Noisy COCO-17 detections from the noise-free projections of the detector's keypoints.

    gt_px (T, 17, 2) pixels; in_view (T, 17) bool (in front of the camera and inside the image);
    geometry_low (T, 17) bool from :func:`geometry_lowconf` (None: no geometric cue); ``fps`` converts
    the preset's seconds into frames. The model is in the module docstring.
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    gt_px, s = checked_projections("simulate", gt_px, in_view, 17, severity)
    T, K, _ = gt_px.shape
    fr = float(fps)
    vis = np.asarray(in_view, bool) & np.isfinite(gt_px).all(-1)
    pts = np.where(vis[..., None], gt_px, np.nan)
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(pts, 1), np.nanmax(pts, 1)
    box = np.nan_to_num(np.max(hi - lo, axis=-1), nan=1.0)
    box = np.maximum(box, 1.0)
    centre = np.nan_to_num((lo + hi) / 2)
    scale_j = p.scale(_GROUP_OF, p.joint_scale, 1.0)
    tail_j = p.scale(_GROUP_OF, p.tail_sigma, 0.0)

    # Every draw below happens for every preset and severity (one random stream).
    white = rng.normal(size=(T, K, 2))
    fast = _ar1(rng, (T, K, 2), p.fast_tau_s * fr)
    slow = _smooth(rng, (T, K, 2), p.slow_tau_s * fr, p.smooth_order)
    gain_z = _smooth(rng, (T, K), p.tail_tau_s * fr, p.smooth_order)
    bias = rng.normal(size=(K, 2))
    shift = _smooth(rng, (T, 2), p.box_tau_s * fr, p.smooth_order)
    zoom = _smooth(rng, (T,), p.box_tau_s * fr, p.smooth_order)
    out_ep = _episodes(rng, (T, K), p.outlier_share * s, p.outlier_run_median_s * fr, p.outlier_run_sigma)
    out_dir = rng.uniform(0, 2 * np.pi, size=(T, K))
    out_len = rng.uniform(*p.outlier_box, size=(T, K))
    low_ep = _episodes(rng, (T, K), p.lowconf_share * s, p.lowconf_run_median_s * fr, p.lowconf_run_sigma)
    swap_ep = _episodes(rng, (T,), p.swap_share * s, p.swap_run_median_s * fr, p.swap_run_sigma)
    flip_ep = _episodes(rng, (T,), p.flip_share * s, p.swap_run_median_s * fr, p.swap_run_sigma)
    swap_kind = rng.integers(len(SWAP_GROUPS), size=T)
    conf_noise = rng.normal(size=(T, K))
    low_conf_values = rng.uniform(0.0, LOW_CONF_MAX, size=(T, K))

    low = low_ep.copy()
    if p.geometry_lowconf and geometry_low is not None and s > 0:
        low |= np.asarray(geometry_low, bool)
    gain = np.exp(tail_j * gain_z) * np.where(low, p.lowconf_error_gain, 1.0)
    amp = s * scale_j[None, :, None] * gain[..., None]
    err_box = amp * (p.white_box * white + p.fast_box * fast + p.slow_box * slow) + s * p.bias_box * bias
    noisy = gt_px + err_box * box[:, None, None]
    # box jitter: the whole skeleton shifted and scaled about the box centre
    noisy = noisy + s * p.box_shift_box * shift[:, None, :] * box[:, None, None]
    noisy = centre[:, None] + (1.0 + s * p.box_scale * zoom[:, None, None]) * (noisy - centre[:, None])
    # outlier episodes hold one displacement per episode (taken from the episode's first frame)
    first = _episode_first_frame(out_ep)
    direction = np.stack([np.cos(out_dir), np.sin(out_dir)], -1)
    disp = np.take_along_axis(direction * out_len[..., None], first[..., None], axis=0)
    noisy = np.where(out_ep[..., None], noisy + disp * box[:, None, None], noisy)

    # swaps exchange labels (positions travel with their confidence below)
    swapped = np.zeros((T, len(COCO17_PAIRS)), bool)
    pair_index = {pair: i for i, pair in enumerate(COCO17_PAIRS)}
    kind = np.take_along_axis(swap_kind, _episode_first_frame(swap_ep[:, None])[:, 0], axis=0)
    for g, group in enumerate(SWAP_GROUPS):
        frames = swap_ep & (kind == g)
        for pair in group:
            swapped[frames, pair_index[pair]] = True
    swapped[flip_ep] = True
    gt_lab = gt_px.copy()
    vis_lab = vis.copy()
    low_lab = low.copy()
    for i, (a, b) in enumerate(COCO17_PAIRS):
        m = swapped[:, i]
        for arr in (noisy, gt_lab, vis_lab, low_lab):
            arr[m, a], arr[m, b] = arr[m, b].copy(), arr[m, a].copy()

    err_px = np.linalg.norm(noisy - gt_lab, axis=-1)
    q = np.maximum(err_px / box[:, None], 1e-6) / 0.02
    conf = 1.0 / (1.0 + np.exp(-(p.conf_c0 - p.conf_c1 * np.log(q) + p.conf_noise * conf_noise)))
    conf = np.clip(conf, LOW_CONF_MAX + 0.01, 1.0)
    conf = np.where(low_lab, low_conf_values, conf)
    if s == 0 or p.name == "gt":
        conf = np.ones_like(conf)
    width, height = image_wh
    inside = (noisy[..., 0] >= 0) & (noisy[..., 0] < width) & (noisy[..., 1] >= 0) & (noisy[..., 1] < height)
    kept = vis_lab & inside
    kp = np.zeros((T, K, 3))
    kp[..., :2] = np.where(kept[..., None], noisy, 0.0)
    kp[..., 2] = np.where(kept, conf, 0.0)
    return SimulatedDetections(kp_px=kp.astype(np.float32), outlier=out_ep & kept, lowconf=low_lab & kept,
                               swapped=swapped)


LOW_CONF_MAX = 0.05


def _episode_first_frame(state: np.ndarray) -> np.ndarray:
    """(T, K) bool -> (T, K) int: for each frame, the index of the first frame of its run (own index outside runs)."""
    T = state.shape[0]
    idx = np.arange(T)[:, None] * np.ones(state.shape[1:], np.int64)[None]
    starts = state & ~np.concatenate([np.zeros((1,) + state.shape[1:], bool), state[:-1]])
    marker = np.where(starts | ~state, idx, 0)
    return np.maximum.accumulate(marker, axis=0)


def with_severity(preset: DetectorPreset, **changes) -> DetectorPreset:
    """A copy of ``preset`` with some parameters changed (for calibration studies)."""
    return replace(preset, **changes)
