"""Motion augmentations for motion priors: speed change, left/right flip, random root rotation,
camera-convention root orientation, up-axis conversion, time reversal.

Each ``*_arrays`` function works on plain arrays ``pose_rotmat`` (T, 24, 3, 3) (SMPL local
rotations, root global) and ``transl_m`` (T, 3); the clip-level function of the same name wraps
it and returns a new :class:`MotionClip` (the input is never modified). Every clip function
records what it did in ``meta["augmentations"]``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np

from posebench.data.resample import resample_motion
from posebench.data.track import MotionClip
from posebench.errors import ShapeError
from posebench.skeleton import flip_pose_rotmat

# MEVA trains its VAE on clips treated as 30 fps video (ZhengyiLuo/MEVA scripts/train_vae.py).
MEVA_PLAYBACK_FPS = 30.0


def _new_clip(clip: MotionClip, pose_rotmat: np.ndarray, transl_m: np.ndarray, step: str, **changes) -> MotionClip:
    meta = dict(clip.meta)
    meta["augmentations"] = [*clip.meta.get("augmentations", []), step]
    return dataclasses.replace(clip, pose_rotmat=pose_rotmat, transl_m=transl_m, meta=meta, **changes)


def _check_arrays(pose_rotmat: np.ndarray, transl_m: np.ndarray, name: str) -> None:
    if pose_rotmat.ndim != 4 or pose_rotmat.shape[1:] != (24, 3, 3):
        raise ShapeError(f"{name}: field 'pose_rotmat' must be (T, 24, 3, 3), got {pose_rotmat.shape}")
    if transl_m.shape != (pose_rotmat.shape[0], 3):
        raise ShapeError(f"{name}: field 'transl_m' must be ({pose_rotmat.shape[0]}, 3), got {transl_m.shape}")


# ---------------------------------------------------------------------------------------------
# speed
# ---------------------------------------------------------------------------------------------
def change_speed_arrays(pose_rotmat, transl_m, factor: float, *, name: str = "motion"):
    """Play the motion ``factor`` times as fast at an unchanged frame rate (2 = twice as fast,
    half as many frames). Frame k of the result is the source at time k * factor frames, by
    slerp (rotations) and linear interpolation (translation)."""
    if not (factor > 0 and math.isfinite(factor)):
        raise ShapeError(f"{name}: speed factor must be positive and finite, got {factor}")
    # Sampling at fps/factor and calling it fps is exactly a speed change by `factor`.
    return resample_motion(pose_rotmat, transl_m, 1.0, 1.0 / factor, name=name)


def change_speed(clip: MotionClip, factor: float) -> MotionClip:
    """A clip that plays ``factor`` times as fast at the same ``fps`` (see :func:`change_speed_arrays`)."""
    pose, transl = change_speed_arrays(clip.pose_rotmat, clip.transl_m, factor, name=clip.name)
    return _new_clip(clip, pose, transl, f"speed x{factor:g}")


def speed_variants(clip: MotionClip, factors: Sequence[float] = (0.75, 1.0, 1.5)) -> list[MotionClip]:
    """One clip per speed factor, each resampled by slerp (:func:`change_speed`) at the clip's own
    ``fps``: factor 1.5 plays 1.5x as fast (fewer frames), 0.75 slower (more frames). MEVA gets the
    same 0.75x / 1x / 1.5x speeds by frame skipping at the 120 fps capture rate, which clips
    already at 30 fps no longer allow (:func:`meva_speed_variants` would give one variant).
    ``meta["speed_factor"]`` records the factor; factor 1 returns the clip unchanged."""
    out = []
    for f in factors:
        if float(f) == 1.0:
            v = _new_clip(clip, clip.pose_rotmat, clip.transl_m, "speed x1")
        else:
            v = change_speed(clip, float(f))
        v = dataclasses.replace(v, name=f"{clip.name}@x{float(f):g}", meta={**v.meta, "speed_factor": float(f)})
        out.append(v)
    return out


def meva_speed_variants(
    clip: MotionClip, targets: Sequence[float] = (20, 30, 40), playback_fps: float = MEVA_PLAYBACK_FPS
) -> list[MotionClip]:
    """MEVA's frame-rate augmentation by frame skipping (ZhengyiLuo/MEVA
    ``scripts/data_process/augment_amass.py``); only useful on clips at the capture rate.

    For a clip captured at ``clip.fps``, each target rate f gives ``skip = int(clip.fps / f)``
    (at least 1: frame skipping cannot slow a clip down); duplicate skips are dropped, in target
    order. Variant ``clip.pose_rotmat[::skip]`` is really sampled at ``clip.fps / skip`` but is
    declared to play at ``playback_fps`` (MEVA's nominal 30 fps), so a 20-fps target plays 1.5x
    as fast and a 40-fps target 0.75x. ``meta`` records ``skip``, ``target_fps`` and
    ``speed_factor``.
    """
    if not clip.fps > 0:
        raise ShapeError(f"{clip.name}: field 'fps' must be positive, got {clip.fps}")
    variants, seen = [], set()
    for f in targets:
        if not f > 0:
            raise ShapeError(f"{clip.name}: target fps must be positive, got {f}")
        skip = max(1, int(clip.fps / f))
        if skip in seen:
            continue
        seen.add(skip)
        true_fps = clip.fps / skip
        v = _new_clip(
            clip,
            clip.pose_rotmat[::skip].copy(),
            clip.transl_m[::skip].copy(),
            f"meva skip {skip}",
            fps=float(playback_fps),
            name=f"{clip.name}@skip{skip}",
        )
        v.meta.update(skip=skip, target_fps=float(f), speed_factor=float(playback_fps / true_fps))
        variants.append(v)
    return variants


# ---------------------------------------------------------------------------------------------
# left/right flip
# ---------------------------------------------------------------------------------------------
def flip_left_right_arrays(pose_rotmat, transl_m):
    """Mirror across x = 0: swap left/right joints and conjugate every rotation by diag(-1, 1, 1)
    (SPIN/MEVA rule, :func:`posebench.skeleton.flip_pose_rotmat`); negate the root translation's x."""
    pose_rotmat, transl_m = np.asarray(pose_rotmat), np.asarray(transl_m)
    return flip_pose_rotmat(pose_rotmat), transl_m * np.array([-1.0, 1.0, 1.0], dtype=transl_m.dtype)


def flip_left_right(clip: MotionClip) -> MotionClip:
    """The mirrored clip (see :func:`flip_left_right_arrays`). Joints from FK match the mirror
    image exactly when the rest offsets are mirrored too (SMPL bodies are near-symmetric)."""
    _check_arrays(clip.pose_rotmat, clip.transl_m, clip.name)
    pose, transl = flip_left_right_arrays(clip.pose_rotmat, clip.transl_m)
    return _new_clip(clip, pose, transl, "flip")


# ---------------------------------------------------------------------------------------------
# root rotation
# ---------------------------------------------------------------------------------------------
def _rotation_about(axis: np.ndarray, angle: float) -> np.ndarray:
    """3x3 rotation by ``angle`` about the unit ``axis`` (Rodrigues)."""
    K = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + math.sin(angle) * K + (1.0 - math.cos(angle)) * (K @ K)


def rotate_root_arrays(pose_rotmat, transl_m, rotation: np.ndarray):
    """Apply one world rotation (3, 3) to every frame: root orientation R0 -> rotation @ R0 and
    transl -> rotation @ transl. With FK this turns the whole body rigidly about the rest
    pelvis position, so pairwise joint distances are kept."""
    pose_rotmat, transl_m = np.asarray(pose_rotmat), np.asarray(transl_m)
    rotation = np.asarray(rotation, dtype=np.float64)
    out = pose_rotmat.copy()
    out[:, 0] = (rotation @ pose_rotmat[:, 0].astype(np.float64)).astype(out.dtype)
    transl = (transl_m.astype(np.float64) @ rotation.T).astype(transl_m.dtype)
    return out, transl


def random_root_rotation(clip: MotionClip, rng: np.random.Generator, max_tilt_rad: float = 0.0) -> MotionClip:
    """Turn the whole clip about the vertical: yaw ~ U[0, 2pi) about +Y, applied to every frame's
    root orientation and to the translation (root height is kept).

    With ``max_tilt_rad > 0`` a tilt of U[0, max_tilt_rad] about a random horizontal axis follows
    the yaw (rotation = R_tilt @ R_yaw), which changes heights. The rotation used is stored in
    ``meta["root_rotation"]``.
    """
    _check_arrays(clip.pose_rotmat, clip.transl_m, clip.name)
    if not max_tilt_rad >= 0:
        raise ShapeError(f"{clip.name}: max_tilt_rad must be >= 0, got {max_tilt_rad}")
    yaw = rng.uniform(0.0, 2.0 * math.pi)
    rotation = _rotation_about(np.array([0.0, 1.0, 0.0]), yaw)
    if max_tilt_rad > 0:
        heading = rng.uniform(0.0, 2.0 * math.pi)
        tilt_axis = np.array([math.cos(heading), 0.0, math.sin(heading)])
        rotation = _rotation_about(tilt_axis, rng.uniform(0.0, max_tilt_rad)) @ rotation
    pose, transl = rotate_root_arrays(clip.pose_rotmat, clip.transl_m, rotation)
    out = _new_clip(clip, pose, transl, f"root yaw {yaw:.4f}")
    out.meta["root_rotation"] = rotation
    return out


# MEVA's root sampling (ZhengyiLuo/MEVA scripts/data_process/augment_amass.py): the first frame's
# root is set to R_x(pitch) @ R_y(yaw), pitch ~ U[pi, 4pi/3), yaw ~ U[0, 2pi). R_x(pi) turns the
# SMPL body (rest pose +Y up) upside down, i.e. into camera axes (y down, z forward); the extra
# 0-60 deg of pitch is a camera looking down on the person.
MEVA_ROOT_PITCH_RAD = (math.pi, 4.0 * math.pi / 3.0)
FULL_TURN_RAD = (0.0, 2.0 * math.pi)


def rotation_x(angle: float) -> np.ndarray:
    return _rotation_about(np.array([1.0, 0.0, 0.0]), angle)


def rotation_y(angle: float) -> np.ndarray:
    return _rotation_about(np.array([0.0, 1.0, 0.0]), angle)


def set_first_root(clip: MotionClip, target: np.ndarray) -> MotionClip:
    """Rotate the whole clip rigidly so that its first frame's root orientation is ``target``
    (3, 3): the relative rotation ``target @ R0^T`` goes to every frame's root and to the
    translation, so the motion relative to the first frame is kept. ``meta["root_rotation"]``
    holds the relative rotation."""
    _check_arrays(clip.pose_rotmat, clip.transl_m, clip.name)
    rotation = np.asarray(target, dtype=np.float64) @ clip.pose_rotmat[0, 0].astype(np.float64).T
    pose, transl = rotate_root_arrays(clip.pose_rotmat, clip.transl_m, rotation)
    out = _new_clip(clip, pose, transl, "set first root")
    out.meta["root_rotation"] = rotation
    return out


def camera_root_orientation(
    clip: MotionClip, rng: np.random.Generator, pitch_range_rad: tuple[float, float] = MEVA_ROOT_PITCH_RAD,
    yaw_range_rad: tuple[float, float] = FULL_TURN_RAD,
) -> MotionClip:
    """MEVA's random root: set the first frame's root to ``R_x(pitch) @ R_y(yaw)`` with pitch and
    yaw uniform in their ranges (default MEVA's: pitch U[pi, 4pi/3), yaw U[0, 2pi)), keeping the
    motion relative to the first frame (:func:`set_first_root`). The result is in camera axes
    (body up near -y), like the ground truth of camera-frame tracks. ``meta`` records
    ``root_pitch`` and ``root_yaw`` (radians)."""
    lo, hi = pitch_range_rad
    ylo, yhi = yaw_range_rad
    if not (hi >= lo and yhi >= ylo):
        raise ShapeError(f"{clip.name}: root pitch/yaw ranges must be (low, high), got {pitch_range_rad}, {yaw_range_rad}")
    pitch, yaw = rng.uniform(lo, hi), rng.uniform(ylo, yhi)
    out = set_first_root(clip, rotation_x(pitch) @ rotation_y(yaw))
    out.meta.update(root_pitch=float(pitch), root_yaw=float(yaw))
    out.meta["augmentations"][-1] = f"camera root pitch {pitch:.4f} yaw {yaw:.4f}"
    return out


# Z-up (AMASS, most mocap exports) -> Y-up (SMPL rest pose, posebench's motion clips):
# R_x(-pi/2) sends +Z to +Y.
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def z_up_to_y_up(clip: MotionClip) -> MotionClip:
    """The clip re-expressed in a Y-up world (root orientations and translation rotated by
    R_x(-pi/2)); use before any augmentation on Z-up data such as AMASS."""
    _check_arrays(clip.pose_rotmat, clip.transl_m, clip.name)
    pose, transl = rotate_root_arrays(clip.pose_rotmat, clip.transl_m, Z_UP_TO_Y_UP)
    return _new_clip(clip, pose, transl, "z-up to y-up")


def body_up_direction(pose_rotmat: np.ndarray) -> np.ndarray:
    """(..., 24, 3, 3) SMPL local rotations -> (..., 3) unit body-up direction: the root
    orientation applied to the rest pose's up axis (+Y), i.e. the root matrix's second column."""
    return np.asarray(pose_rotmat)[..., 0, :, 1]


# ---------------------------------------------------------------------------------------------
# time reversal
# ---------------------------------------------------------------------------------------------
def reverse_time_arrays(pose_rotmat, transl_m):
    """The same frames in reverse order (MEVA's ``flip_time``)."""
    return np.asarray(pose_rotmat)[::-1].copy(), np.asarray(transl_m)[::-1].copy()


def reverse_time(clip: MotionClip) -> MotionClip:
    """The clip played backwards (see :func:`reverse_time_arrays`)."""
    pose, transl = reverse_time_arrays(clip.pose_rotmat, clip.transl_m)
    return _new_clip(clip, pose, transl, "reverse")
