"""How good is a predicted track when there is no ground truth? Measures from the prediction and
the detector's own keypoints only (``posebench demo`` writes them to ``report.json``).

- **2D reprojection error**: per frame, the scaled orthographic camera (scale ``s`` px/m and
  offset ``t`` px) that best maps the predicted LSP-14 joints' x, y onto the detector's kept
  keypoints (least squares, :func:`fit_weak_perspective`); the error is the mean distance in
  pixels and in percent of the detection's box height. Low = the 3D pose explains the 2D
  evidence; it says nothing about depth.
- **ACCEL**: :func:`posebench.metrics.functional.accel` (mm/frame^2 at the track's frame rate,
  pelvis-centred LSP-14), and **jitter**: mean jerk (third difference x fps^3) of the same joints,
  m/s^3. Real motion has little of either; a flickering prediction has a lot.
- **Bone-length constancy**: std / mean of each SMPL-24 bone's length over the track (a body's
  bones do not change length; 0 for a body model that poses by forward kinematics).
- **Foot sliding**: on frames where a foot is in contact (within ``contact_height_m`` of the
  ground plane fitted to the lower foot of each frame), the mean speed of that foot along the
  ground, mm per frame. Needs the pelvis translation (from the fitted camera with an
  assumed focal length, :func:`pelvis_from_camera`), so it is only as good as that depth; the
  same with the pelvis held still (``foot_sliding_pelvis_fixed_mm_per_frame``) is the model's
  own foot motion (meaningful while the person stands; a walker's planted foot moves there).
- **Coverage**: the fraction of the track's frames with a detection, and of the video's frames
  the track spans.
"""
from __future__ import annotations

import numpy as np

from posebench.metrics.functional import accel
from posebench.skeleton import SMPL_PARENTS

LEFT_FOOT, RIGHT_FOOT = 10, 11  # SMPL-24 foot joints
CONTACT_HEIGHT_M = 0.05


def fit_weak_perspective(joints_m: np.ndarray, kp2d_px: np.ndarray, min_joints: int = 3
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, ``s`` (T,) and ``t`` (T, 2) minimising ``sum_j ||s X_j[:2] + t - u_j||^2`` over kept joints.

    joints_m (T, 14, 3) predicted joints (camera axes), kp2d_px (T, 14, 3) pixels + confidence.
    Frames with fewer than ``min_joints`` kept joints, or a non-positive scale, get NaN.
    """
    X = np.asarray(joints_m, np.float64)[..., :2]
    u = np.asarray(kp2d_px, np.float64)
    w = (u[..., 2] > 0) & np.isfinite(X).all(axis=-1)
    u = u[..., :2]
    n = w.sum(axis=1)
    safe_n = np.maximum(n, 1)[:, None]
    Xm = (X * w[..., None]).sum(axis=1) / safe_n
    um = (u * w[..., None]).sum(axis=1) / safe_n
    Xc, uc = (X - Xm[:, None]) * w[..., None], (u - um[:, None]) * w[..., None]
    num = (Xc * uc).sum(axis=(1, 2))
    den = (Xc * Xc).sum(axis=(1, 2))
    s = np.where((n >= min_joints) & (den > 1e-12), num / np.maximum(den, 1e-12), np.nan)
    s = np.where(s > 0, s, np.nan)
    t = um - s[:, None] * Xm
    return s, t


def reprojection_error(joints_m: np.ndarray, kp2d_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame mean distance (px) between the fitted projection and the kept keypoints, and the
    same in percent of the keypoints' box height. NaN where no camera fits."""
    s, t = fit_weak_perspective(joints_m, kp2d_px)
    proj = s[:, None, None] * np.asarray(joints_m, np.float64)[..., :2] + t[:, None]
    kp = np.asarray(kp2d_px, np.float64)
    w = kp[..., 2] > 0
    dist = np.linalg.norm(proj - kp[..., :2], axis=-1)
    err = np.where(w.any(axis=1), (dist * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1), np.nan)
    err = np.where(np.isfinite(s), err, np.nan)
    height = np.where(w, kp[..., 1], -np.inf).max(axis=1) - np.where(w, kp[..., 1], np.inf).min(axis=1)
    height = np.where(w.any(axis=1), height, 0.0)
    pct = np.where(height > 0, 100.0 * err / np.where(height > 0, height, 1.0), np.nan)
    return err, pct


def pelvis_from_camera(scale_px_per_m: np.ndarray, offset_px: np.ndarray, image_wh: tuple[int, int],
                       focal_px: float | None = None, smooth_frames: int = 1) -> np.ndarray:
    """(T, 3) pelvis position in camera axes from a fitted weak-perspective camera.

    The pelvis (the joints' origin) projects to ``t``; with a pinhole of focal ``focal_px``
    (default: the image diagonal, a ~53 degree horizontal field of view for 16:9) the depth is
    ``focal / s`` and x, y follow. The scale is median-filtered over ``smooth_frames`` frames
    first (a person's distance changes slowly; one badly fitted frame should not jump metres).
    Frames without a fit are filled by linear interpolation.
    """
    from scipy.signal import medfilt

    width, height = image_wh
    f = float(focal_px or np.hypot(width, height))
    s = np.asarray(scale_px_per_m, np.float64).copy()
    ok = np.isfinite(s)
    if ok.sum() >= 3 and smooth_frames > 1:
        kernel = min(int(smooth_frames) | 1, (int(ok.sum()) - 1) | 1)
        s[ok] = np.exp(medfilt(np.log(s[ok]), kernel))
    z = f / s
    xyz = np.stack([(offset_px[:, 0] - width / 2) / s, (offset_px[:, 1] - height / 2) / s, z], -1)
    ok = np.isfinite(xyz).all(axis=1)
    if not ok.any():
        return np.zeros_like(xyz)
    frames = np.arange(len(xyz))
    return np.stack([np.interp(frames, frames[ok], xyz[ok, d]) for d in range(3)], -1)


def jitter(joints_m: np.ndarray, fps: float) -> float:
    """Mean jerk magnitude (m/s^3) of pelvis-centred (mid-hip) LSP-14 joints (T, 14, 3); NaN if T < 4."""
    j = np.asarray(joints_m, np.float64)
    if len(j) < 4:
        return float("nan")
    j = j - j[:, [2, 3]].mean(axis=1, keepdims=True)
    jerk = j[3:] - 3 * j[2:-1] + 3 * j[1:-2] - j[:-3]
    return float(np.linalg.norm(jerk, axis=-1).mean() * fps ** 3)


SMPL24_BONES = tuple((p, c) for c, p in enumerate(SMPL_PARENTS) if p >= 0)


def bone_length_cv(joints_m: np.ndarray, bones=SMPL24_BONES) -> np.ndarray:
    """(B,) std / mean of each bone's length over frames; joints (T, J, 3), bones (a, b) index pairs
    (default the 23 SMPL-24 bones)."""
    j = np.asarray(joints_m, np.float64)
    lengths = np.stack([np.linalg.norm(j[:, a] - j[:, b], axis=-1) for a, b in bones], 1)
    return lengths.std(axis=0) / np.maximum(lengths.mean(axis=0), 1e-9)


def ground_plane(points_m: np.ndarray, ridge: float = 0.05) -> tuple[np.ndarray, float]:
    """The plane ``n . p = d`` (unit normal ``n`` pointing up, +Y) through 3D points (N, 3), by least
    squares on ``y = a x + b z + c`` with a ridge penalty on the tilt (a, b), then refitted on the points
    within 0.1 m of it. The penalty keeps the plane level when the points do not spread (a person
    standing still), so a camera looking down at the floor still gives a level-enough ground."""
    p = np.asarray(points_m, np.float64)
    keep = np.ones(len(p), bool)
    for _ in range(2):
        q = p[keep]
        A = np.stack([q[:, 0], q[:, 2], np.ones(len(q))], 1)
        reg = np.diag([ridge * len(q), ridge * len(q), 0.0])
        a, b, c = np.linalg.solve(A.T @ A + reg + 1e-12 * np.eye(3), A.T @ q[:, 1])
        n = np.array([-a, 1.0, -b]) / np.sqrt(1 + a * a + b * b)
        d = c / np.sqrt(1 + a * a + b * b)
        keep = np.abs(p @ n - d) < 0.1
        if keep.sum() < 3:
            break
    return n, float(d)


def foot_sliding(joints_yup_m: np.ndarray, feet: tuple[int, int] = (LEFT_FOOT, RIGHT_FOOT),
                 contact_height_m: float = CONTACT_HEIGHT_M) -> tuple[float, float]:
    """(mean speed along the ground of a foot in contact, mm/frame; fraction of foot-frames in contact).

    ``joints_yup_m`` (T, J, 3) world joints, +Y up; ``feet`` the two foot joints (default SMPL-24's).
    The ground is the plane fitted to the lower foot of every frame (:func:`ground_plane`: the camera
    may look down, so "up" in the camera is not up in the room). A foot is in contact at frames t and
    t+1 when it is within ``contact_height_m`` of the ground at both; its sliding is its displacement
    projected onto the ground.
    """
    j = np.asarray(joints_yup_m, np.float64)
    feet_xyz = j[:, list(feet)]  # (T, 2, 3)
    if len(feet_xyz) < 2 or not np.isfinite(feet_xyz).all():
        return float("nan"), 0.0
    lower = feet_xyz[np.arange(len(j)), feet_xyz[..., 1].argmin(axis=1)]
    n, d = ground_plane(lower)
    height = feet_xyz @ n - d  # (T, 2)
    contact = height < contact_height_m
    both = contact[1:] & contact[:-1]
    step = feet_xyz[1:] - feet_xyz[:-1]
    along = step - (step @ n)[..., None] * n
    speed = np.linalg.norm(along, axis=-1) * 1000.0
    sliding = float(speed[both].mean()) if both.any() else float("nan")
    return sliding, float(contact.mean())


def _finite_mean(x) -> float:
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def track_quality(joints_lsp14_m: np.ndarray, kp2d_px: np.ndarray, observed: np.ndarray, fps: float,
                  n_video_frames: int, world_yup_m: np.ndarray, joints24_m: np.ndarray | None = None) -> dict:
    """Every measure of the module docstring for one track at ``fps``, as a JSON-ready dict.

    joints_lsp14_m (T, 14, 3): the prediction in camera axes; kp2d_px (T, 14, 3) detector
    keypoints; observed (T,) frames with a detection; world_yup_m: the world joints (+Y up, with
    the pelvis translation), SMPL-24 (T, 24, 3) when ``joints24_m`` (T, 24, 3, camera axes) is
    given, else LSP-14 (T, 14, 3) (a joints-only model: bones and feet from LSP-14).
    """
    from posebench.skeleton import LSP14_BONES

    observed = np.asarray(observed, bool)
    kp = np.where(observed[:, None, None], kp2d_px, 0.0)
    err_px, err_pct = reprojection_error(joints_lsp14_m, kp)
    world = np.asarray(world_yup_m, np.float64)
    if joints24_m is not None:
        feet, pelvis = (LEFT_FOOT, RIGHT_FOOT), world[:, 0]
        cv = bone_length_cv(joints24_m)
    else:
        feet, pelvis = (5, 0), world[:, [2, 3]].mean(axis=1)  # LSP-14 left, right ankle; mid-hip
        cv = bone_length_cv(joints_lsp14_m, LSP14_BONES)
    slide, contact = foot_sliding(world, feet)
    # The same with the pelvis held at its mean position: the model's own foot motion, without the
    # fitted camera's depth noise (right for someone standing; a walker's planted foot moves here).
    slide_root, _ = foot_sliding(world - pelvis[:, None] + pelvis.mean(axis=0), feet)
    acc = accel(np.asarray(joints_lsp14_m, np.float64)) if len(joints_lsp14_m) >= 3 else np.zeros(0)
    return {
        "frames": int(len(observed)),
        "frames_detected": int(observed.sum()),
        "coverage_of_track": float(observed.mean()) if len(observed) else 0.0,
        "coverage_of_video": float(len(observed) / max(n_video_frames, 1)),
        "reprojection_px": _finite_mean(err_px),
        "reprojection_pct_box": _finite_mean(err_pct),
        "accel_mm_per_frame2": _finite_mean(acc),
        "jitter_m_per_s3": jitter(joints_lsp14_m, fps),
        "bone_length_cv_mean": _finite_mean(cv),
        "bone_length_cv_max": float(np.max(cv)) if cv.size else float("nan"),
        "foot_sliding_mm_per_frame": slide,
        "foot_sliding_pelvis_fixed_mm_per_frame": slide_root,
        "foot_contact_fraction": contact,
        "fps": float(fps),
    }
