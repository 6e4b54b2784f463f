"""VIBE/SPIN weak-perspective camera (``docs/official_implementations.md`` §3.1).

``cam = [s, tx, ty]`` places the body at ``t = [tx, ty, 2 f / (224 s + 1e-9)]`` in front of a
pinhole camera with focal length f = 5000 px and principal point 0 on a 224 px crop; the
projection is divided by 112 (half the crop) to give crop coordinates in [-1, 1].
"""
from __future__ import annotations

import torch

from posebench.errors import ShapeError

FOCAL_LENGTH_PX = 5000.0
CROP_SIZE_PX = 224.0
_EPS = 1e-9


def cam_to_translation(cam: torch.Tensor) -> torch.Tensor:
    """(..., 3) [s, tx, ty] -> (..., 3) camera-frame translation in metres [tx, ty, 2f/(224 s)]."""
    if cam.shape[-1] != 3:
        raise ShapeError(f"cam: expected (..., 3), got {tuple(cam.shape)}")
    s, tx, ty = cam.unbind(-1)
    tz = 2.0 * FOCAL_LENGTH_PX / (CROP_SIZE_PX * s + _EPS)
    return torch.stack([tx, ty, tz], -1)


def translation_to_cam(transl_m: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`cam_to_translation`: (..., 3) [tx, ty, tz] (tz > 0) -> (..., 3) [s, tx, ty]."""
    if transl_m.shape[-1] != 3:
        raise ShapeError(f"transl_m: expected (..., 3), got {tuple(transl_m.shape)}")
    tx, ty, tz = transl_m.unbind(-1)
    s = 2.0 * FOCAL_LENGTH_PX / (CROP_SIZE_PX * tz)
    return torch.stack([s, tx, ty], -1)


def weak_perspective_project(points_m: torch.Tensor, cam: torch.Tensor) -> torch.Tensor:
    """Project body-space points to crop coordinates as VIBE does.

    points_m (..., J, 3), cam (..., 3) -> (..., J, 2) in [-1, 1] crop units (x right, y down).
    """
    if points_m.shape[-1] != 3 or tuple(points_m.shape[:-2]) != tuple(cam.shape[:-1]):
        raise ShapeError(
            f"weak_perspective_project: points (..., J, 3) and cam (..., 3) must share leading dims, "
            f"got {tuple(points_m.shape)} and {tuple(cam.shape)}"
        )
    p = points_m + cam_to_translation(cam)[..., None, :]
    uv_px = FOCAL_LENGTH_PX * p[..., :2] / p[..., 2:3]
    return uv_px / (CROP_SIZE_PX / 2.0)
