"""The CMU benchmark's observation model: a static camera, perspective projection and detector noise.

Everything here is seeded by a ``numpy.random.Generator`` so a build is reproducible.
``severity`` in [0, 2] scales every noise term linearly (1 = the defaults below; 0 = no noise:
the keypoints are the exact projections).

Camera (:func:`sample_camera`), static per track, placed around the clip's mean pelvis:

- azimuth uniform in [0, 2 pi) around the subject; horizontal distance 3-8 m; camera height
  0.5-2.0 m above the ground (the 1st percentile of all joint heights of the clip);
- looks at the mean pelvis, so the pitch is slight; plus a roll and pitch jitter of
  N(0, (2 deg * severity)^2) each;
- focal length 500-1500 px; image 1280x720 or 1920x1080 (equal odds), principal point at
  the image centre;
- if fewer than 97 % of the clip's projected joints fall inside the image, the focal length
  is shrunk (down to 500 px) and then the camera moved back (x1.15 per step, at most 12 steps).

The world is the SMPL world (+Y up). World -> camera (OpenCV: x right, y down, z forward) is
``x_cam = R x_world + t``; R includes the flip of the up axis.

Detector noise (:func:`simulate_detections`), with ``box`` the per-frame side of the
noise-free keypoint box in pixels (max of width and height) and s = severity:

==================== ==============================================================
jitter               i.i.d. Gaussian per joint/frame/axis, sigma = 0.02 s box
drift                AR(1) per joint and axis, rho = 0.95 per frame (30 fps), stationary
                     sigma = 0.01 s box
outliers             per joint/frame p = 0.005 s: moved 0.3 box (uniform in [0.2, 0.4] box)
                     in a uniformly random direction
left/right swaps     per frame p = 0.01 s: all LSP-14 left/right pairs swap labels
dropouts             per joint, a two-state Markov chain with marginal rate p = 0.03 s and
                     mean burst length 3 frames; dropped joints have confidence 0, position 0
out of view          joints outside the image or closer than 0.1 m to the camera plane are
                     dropped too (as a detector would)
confidence           kept joints: 1 - 0.5 min(1, |error| / (0.1 box)), in [0.5, 1]
==================== ==============================================================

Box, keypoint normalisation and the 73-d per-frame model input are not defined here: they
are the core's :mod:`posebench.data.observations` (the one definition every model and
``posebench demo`` use); the names are re-exported below so ``cmu.py`` reads them from here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posebench.data.observations import (  # noqa: F401 - re-exported for the benchmark builder
    FEATURE_DIM,
    NUM_KP,
    feature_names,
    normalize_to_box,
    observation_features,
    track_bbox,
)
from posebench.data.detector_noise import checked_projections
from posebench.errors import ShapeError
from posebench.skeleton import LSP14_FLIP_PERM

IMAGE_SIZES = ((1280, 720), (1920, 1080))

# Default noise parameters (severity 1); see the module docstring.
JITTER_SIGMA_BOX = 0.02
DRIFT_SIGMA_BOX = 0.01
DRIFT_RHO = 0.95
OUTLIER_P = 0.005
OUTLIER_DISPLACEMENT_BOX = (0.2, 0.4)
SWAP_P = 0.01
DROPOUT_P = 0.03
DROPOUT_MEAN_BURST = 3.0
CONF_ERROR_SCALE_BOX = 0.1
MIN_DEPTH_M = 0.1
IN_VIEW_TARGET = 0.97


@dataclass(frozen=True)
class Camera:
    """A static pinhole camera. ``x_cam = R @ x_world + t``; pixels ``u = f x/z + cx``, ``v = f y/z + cy``."""

    R: np.ndarray  # (3, 3) world -> camera
    t: np.ndarray  # (3,) metres
    f: float  # focal length, pixels
    cx: float
    cy: float
    w: int  # image width, pixels
    h: int

    def to_camera(self, points_world_m: np.ndarray) -> np.ndarray:
        """(..., 3) world points -> (..., 3) camera-frame points, metres."""
        return np.asarray(points_world_m) @ self.R.T + self.t

    def project(self, points_cam_m: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points -> (..., 2) pixels (no visibility check)."""
        p = np.asarray(points_cam_m, dtype=np.float64)
        z = np.maximum(p[..., 2], 1e-9)
        return np.stack([self.f * p[..., 0] / z + self.cx, self.f * p[..., 1] / z + self.cy], axis=-1)

    def in_view(self, points_cam_m: np.ndarray) -> np.ndarray:
        """(...,) bool: in front of the camera (z > 0.1 m) and inside the image."""
        p = np.asarray(points_cam_m, dtype=np.float64)
        uv = self.project(p)
        return (p[..., 2] > MIN_DEPTH_M) & (uv[..., 0] >= 0) & (uv[..., 0] < self.w) & (uv[..., 1] >= 0) & (
            uv[..., 1] < self.h)

    @property
    def K(self) -> np.ndarray:
        return np.array([[self.f, 0.0, self.cx], [0.0, self.f, self.cy], [0.0, 0.0, 1.0]])

    def as_dict(self) -> dict:
        return {"R": self.R.tolist(), "t": self.t.tolist(), "f": self.f, "cx": self.cx, "cy": self.cy, "w": self.w,
                "h": self.h}

    @classmethod
    def from_dict(cls, d: dict) -> Camera:
        return cls(np.asarray(d["R"], float), np.asarray(d["t"], float), float(d["f"]), float(d["cx"]),
                   float(d["cy"]), int(d["w"]), int(d["h"]))


def _rot_axis(axis: int, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R = np.eye(3)
    R[i, i], R[i, j], R[j, i], R[j, j] = c, -s, s, c
    return R


def look_at(centre_m: np.ndarray, target_m: np.ndarray) -> np.ndarray:
    """World -> camera rotation (3, 3) of a camera at ``centre_m`` looking at ``target_m``, world +Y up, no roll."""
    z = np.asarray(target_m, float) - np.asarray(centre_m, float)
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 1.0, 0.0])  # camera x (right) is horizontal
    x /= np.linalg.norm(x)
    y = np.cross(z, x)  # points down in the world
    return np.stack([x, y, z])


def sample_camera(rng: np.random.Generator, joints_world_m: np.ndarray, severity: float = 1.0) -> Camera:
    """Draw a static camera that sees the clip ``joints_world_m`` (T, J, 3), SMPL world, +Y up.

    See the module docstring for the ranges; ``severity`` scales the roll/pitch jitter.
    """
    joints_world_m = np.asarray(joints_world_m, dtype=np.float64)
    if joints_world_m.ndim != 3 or joints_world_m.shape[-1] != 3:
        raise ShapeError(f"sample_camera: joints_world_m must be (T, J, 3), got {joints_world_m.shape}")
    target = joints_world_m[:, 0].mean(axis=0)  # mean pelvis
    ground_y = np.percentile(joints_world_m[..., 1], 1)
    azimuth = rng.uniform(0.0, 2.0 * np.pi)
    distance = rng.uniform(3.0, 8.0)
    height = rng.uniform(0.5, 2.0)
    f = rng.uniform(500.0, 1500.0)
    w, h = IMAGE_SIZES[int(rng.integers(len(IMAGE_SIZES)))]
    roll = rng.normal(0.0, np.deg2rad(2.0) * severity)
    pitch = rng.normal(0.0, np.deg2rad(2.0) * severity)
    # Every frame is checked on a subsample of at most 200 frames (cost).
    sample = joints_world_m[:: max(1, len(joints_world_m) // 200)]
    for _ in range(13):
        centre = np.array([target[0] + distance * np.sin(azimuth), ground_y + height,
                           target[2] + distance * np.cos(azimuth)])
        R = _rot_axis(2, roll) @ _rot_axis(0, pitch) @ look_at(centre, target)
        cam = Camera(R=R, t=-R @ centre, f=f, cx=w / 2.0, cy=h / 2.0, w=w, h=h)
        if cam.in_view(cam.to_camera(sample)).mean() >= IN_VIEW_TARGET:
            break
        if f > 500.0:
            f = max(500.0, f / 1.15)
        else:
            distance *= 1.15
    return cam


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float, sigma: float) -> np.ndarray:
    """(T, ...) AR(1) series along axis 0 with stationary standard deviation ``sigma``."""
    eps = rng.normal(0.0, sigma * np.sqrt(1.0 - rho**2), size=shape)
    out = np.empty(shape)
    out[0] = rng.normal(0.0, sigma, size=shape[1:])
    for t in range(1, shape[0]):
        out[t] = rho * out[t - 1] + eps[t]
    return out


def _burst_dropouts(rng: np.random.Generator, shape: tuple[int, int], p: float, mean_burst: float) -> np.ndarray:
    """(T, K) bool: per joint a two-state Markov chain with marginal rate ``p`` and mean burst ``mean_burst`` frames."""
    p = min(p, 0.5)
    stay = 1.0 - 1.0 / mean_burst  # P(dropped at t | dropped at t-1)
    start = p * (1.0 - stay) / (1.0 - p)  # keeps the stationary rate at p
    u = rng.uniform(size=shape)
    out = np.empty(shape, dtype=bool)
    out[0] = u[0] < p
    for t in range(1, shape[0]):
        out[t] = np.where(out[t - 1], u[t] < stay, u[t] < start)
    return out


@dataclass
class Detections:
    """What the simulated detector returns for a track of T frames.

    kp2d_px (T, 14, 3): pixels + confidence (0 = missing, position 0 there).
    dropped, outlier (T, 14) bool; swapped (T,) bool; box_px (T,) noise-free box side.
    """

    kp2d_px: np.ndarray
    dropped: np.ndarray
    outlier: np.ndarray
    swapped: np.ndarray
    box_px: np.ndarray


def keypoint_box_size(kp_px: np.ndarray) -> np.ndarray:
    """(T, K, 2) pixels -> (T,) side of the keypoint box: max(width, height), at least 1 px."""
    extent = kp_px.max(axis=1) - kp_px.min(axis=1)
    return np.maximum(extent.max(axis=-1), 1.0)


def simulate_detections(rng: np.random.Generator, gt_px: np.ndarray, in_view: np.ndarray,
                        image_wh: tuple[int, int], severity: float = 1.0) -> Detections:
    """Noisy LSP-14 detections from noise-free projections ``gt_px`` (T, 14, 2) and ``in_view`` (T, 14).

    ``image_wh`` (width, height) pixels: noisy points that land outside the image are dropped.

    The noise model and its defaults are in the module docstring.
    """
    gt_px, s = checked_projections("simulate_detections", gt_px, in_view, NUM_KP, severity)
    T, K, _ = gt_px.shape
    box = keypoint_box_size(gt_px)
    # Every random draw happens whatever the severity, so severities share the same random stream.
    jitter = rng.normal(0.0, 1.0, size=(T, K, 2)) * (JITTER_SIGMA_BOX * s)
    drift = _ar1(rng, (T, K, 2), DRIFT_RHO, DRIFT_SIGMA_BOX * s)
    noisy = gt_px + (jitter + drift) * box[:, None, None]

    outlier = rng.uniform(size=(T, K)) < OUTLIER_P * s
    angle = rng.uniform(0.0, 2.0 * np.pi, size=(T, K))
    radius = rng.uniform(*OUTLIER_DISPLACEMENT_BOX, size=(T, K)) * box[:, None]
    offset = np.stack([np.cos(angle), np.sin(angle)], -1) * radius[..., None]
    noisy = np.where(outlier[..., None], noisy + offset, noisy)

    swapped = rng.uniform(size=T) < SWAP_P * s
    perm = list(LSP14_FLIP_PERM)
    noisy[swapped] = noisy[swapped][:, perm]
    outlier[swapped] = outlier[swapped][:, perm]
    visible = in_view.copy()
    visible[swapped] = visible[swapped][:, perm]

    dropped = _burst_dropouts(rng, (T, K), DROPOUT_P * s, DROPOUT_MEAN_BURST)
    # Noisy points that left the image are lost too.
    width, height = image_wh
    inside = (noisy[..., 0] >= 0) & (noisy[..., 0] < width) & (noisy[..., 1] >= 0) & (noisy[..., 1] < height)
    kept = visible & ~dropped & inside

    labelled_gt = gt_px.copy()
    labelled_gt[swapped] = labelled_gt[swapped][:, perm]  # error is measured to what the label shows
    error = np.linalg.norm(noisy - labelled_gt, axis=-1)
    conf = 1.0 - 0.5 * np.minimum(1.0, error / (CONF_ERROR_SCALE_BOX * box[:, None]))
    kp = np.zeros((T, K, 3))
    kp[..., :2] = np.where(kept[..., None], noisy, 0.0)
    kp[..., 2] = np.where(kept, conf, 0.0)
    return Detections(kp2d_px=kp.astype(np.float32), dropped=~kept, outlier=outlier & kept, swapped=swapped,
                      box_px=box.astype(np.float32))


# -- moving cameras (benchmark v2 option) ----------------------------------------------------------
CAMERA_MOTIONS = ("static", "pan", "handheld")
PAN_AMPLITUDE_DEG = (5.0, 15.0)  # slow yaw sweep: amplitude and period ranges
PAN_PERIOD_S = (8.0, 20.0)
SHAKE_SIGMA_DEG = 0.4  # hand-held: AR(1) yaw/pitch/roll wander plus a faster tremor
SHAKE_TAU_S = 0.6
TREMOR_SIGMA_DEG = 0.08
TREMOR_TAU_S = 0.05


def camera_motion(rng: np.random.Generator, n_frames: int, fps: float, kind: str) -> np.ndarray:
    """(T, 3, 3) per-frame rotations D_t of a camera turning about its own centre.

    A moving camera sees ``x_cam(t) = D_t @ x_static_cam(t)``. ``static``: identity (no random
    draw); ``pan``: a sinusoidal yaw sweep (amplitude 5-15 deg, period 8-20 s, random phase);
    ``handheld``: slow AR(1) wander in yaw, pitch and roll (sigma 0.4 deg, tau 0.6 s) plus a tremor
    (sigma 0.08 deg, tau 50 ms).
    """
    if kind not in CAMERA_MOTIONS:
        raise ShapeError(f"camera motion must be one of {', '.join(CAMERA_MOTIONS)}, got {kind!r}")
    T = int(n_frames)
    if kind == "static":
        return np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
    t = np.arange(T) / float(fps)
    angles = np.zeros((T, 3))  # pitch (x), yaw (y), roll (z), radians
    if kind == "pan":
        amp = np.deg2rad(rng.uniform(*PAN_AMPLITUDE_DEG))
        period = rng.uniform(*PAN_PERIOD_S)
        phase = rng.uniform(0, 2 * np.pi)
        angles[:, 1] = amp * (np.sin(2 * np.pi * t / period + phase) - np.sin(phase))
    else:
        wander = _ar1(rng, (T, 3), float(np.exp(-1.0 / (SHAKE_TAU_S * fps))), np.deg2rad(SHAKE_SIGMA_DEG))
        tremor = _ar1(rng, (T, 3), float(np.exp(-1.0 / (TREMOR_TAU_S * fps))), np.deg2rad(TREMOR_SIGMA_DEG))
        angles = wander + tremor
    return np.stack([_rot_axis(2, r) @ _rot_axis(0, p) @ _rot_axis(1, y) for p, y, r in angles])


def rotate_points(D: np.ndarray, points_cam_m: np.ndarray) -> np.ndarray:
    """(T, 3, 3) per-frame rotations applied to (T, J, 3) camera-frame points."""
    return np.einsum("tij,tkj->tki", D, points_cam_m)
