"""Frame-rate resampling of motion: slerp for rotations, linear interpolation for translation."""
from __future__ import annotations

import math

import numpy as np
import torch

from posebench.errors import ShapeError
from posebench.geometry.rotations import slerp_matrices


def resampled_length(num_frames: int, src_fps: float, dst_fps: float) -> int:
    """Frames kept when T frames at src_fps are resampled to dst_fps: floor((T-1)*dst/src) + 1.

    The new samples span the same time as the old ones (never past the last source frame).
    """
    # The tiny epsilon keeps exact ratios (e.g. 119 * 30/120 = 29.75, 120 * 0.5 = 60) from rounding down.
    return int(math.floor((num_frames - 1) * dst_fps / src_fps + 1e-9)) + 1


def resample_motion(
    pose_rotmat: np.ndarray, transl_m: np.ndarray, src_fps: float, dst_fps: float, *, name: str = "motion"
) -> tuple[np.ndarray, np.ndarray]:
    """Resample a motion sequence from ``src_fps`` to ``dst_fps``.

    Args:
        pose_rotmat: (T, J, 3, 3) local joint rotations at src_fps.
        transl_m: (T, 3) root translation in metres at src_fps.
        src_fps, dst_fps: frame rates (> 0).
        name: sequence name used in error messages.

    Returns:
        (T2, J, 3, 3) rotations (shortest-path slerp) and (T2, 3) translation (linear), with
        T2 = floor((T-1)*dst/src) + 1, frame k at time k / dst_fps. Dtypes follow the inputs.
    """
    pose_rotmat = np.asarray(pose_rotmat)
    transl_m = np.asarray(transl_m)
    if pose_rotmat.ndim != 4 or pose_rotmat.shape[-2:] != (3, 3) or pose_rotmat.shape[0] == 0:
        raise ShapeError(f"{name}: field 'pose_rotmat' must be (T, J, 3, 3) with T >= 1, got {pose_rotmat.shape}")
    T = pose_rotmat.shape[0]
    if transl_m.shape != (T, 3):
        raise ShapeError(f"{name}: field 'transl_m' must be ({T}, 3), got {transl_m.shape}")
    if not (src_fps > 0 and dst_fps > 0) or not (math.isfinite(src_fps) and math.isfinite(dst_fps)):
        raise ShapeError(f"{name}: frame rates must be positive and finite, got src_fps={src_fps}, dst_fps={dst_fps}")

    T2 = resampled_length(T, src_fps, dst_fps)
    times_src = np.arange(T, dtype=np.float64) / src_fps
    times_dst = np.arange(T2, dtype=np.float64) / dst_fps
    rot = slerp_matrices(torch.as_tensor(pose_rotmat, dtype=torch.float64), times_src, times_dst)
    transl = np.stack([np.interp(times_dst, times_src, transl_m[:, d].astype(np.float64)) for d in range(3)], -1)
    return rot.numpy().astype(_float_dtype(pose_rotmat), copy=False), transl.astype(_float_dtype(transl_m), copy=False)


def _float_dtype(a: np.ndarray):
    return a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64
