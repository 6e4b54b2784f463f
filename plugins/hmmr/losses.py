"""HMMR's loss terms (docs/official_implementations.md §4.3), on posebench's targets.

- ``e_kp``: L1 on 2D keypoints weighted by visibility, averaged over the visible coordinates
  (TF ``absolute_difference`` with ``SUM_BY_NONZERO_WEIGHTS``).
- ``e_joints``: 0.5 · MSE of the 14 LSP joints, mid-hip centred (frames with ``w_3d``).
- ``e_smpl``: 0.5 · MSE of the 24 rotation matrices + 0.5 · MSE of betas (frames with ``w_smpl``).
- ``e_const``: 0.5 · MSE between the betas of consecutive frames.
- ±5-frame predictions are scored with the per-frame optimal weak-perspective camera
  (:func:`optimal_cam`, HMMR's ``use_optcam``): the heads predict no camera.

The 3D, pose and shape MSEs are the core's (:mod:`posebench.nn.losses`), scaled by 0.5.
"""
from __future__ import annotations

import torch

from posebench.errors import ShapeError
from posebench.nn import keypoint_3d_loss, pose_loss, shape_loss

_MIN_SCALE = 1e-2


def keypoint_2d_l1(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """pred (B, T, K, 2), gt (B, T, K, 3) with visibility last, mask (B, T) or None ->
    sum(vis · |pred − gt_xy|) / (2 · sum(vis)); exactly 0 when nothing is visible."""
    if pred.shape[-1] != 2 or gt.shape[-1] != 3 or pred.shape[:-1] != gt.shape[:-1]:
        raise ShapeError(f"keypoint_2d_l1: expected pred (..., K, 2), gt (..., K, 3); got {tuple(pred.shape)}, {tuple(gt.shape)}")
    vis = gt[..., 2:3]
    if mask is not None:
        vis = vis * mask[..., None, None].to(vis.dtype)
    return (vis * (pred - gt[..., :2]).abs()).sum() / (2.0 * vis.sum()).clamp(min=1.0)


def joints_3d_loss(pred_lsp14: torch.Tensor, gt: torch.Tensor, w_3d: torch.Tensor) -> torch.Tensor:
    """0.5 · mid-hip-centred MSE of (B, T, 14, 3) joints over the frames with ``w_3d``."""
    return 0.5 * keypoint_3d_loss(pred_lsp14, gt, w_3d)


def smpl_loss(rotmat: torch.Tensor, betas: torch.Tensor, rotmat_gt: torch.Tensor, betas_gt: torch.Tensor | None,
              w_smpl: torch.Tensor) -> torch.Tensor:
    """0.5 · MSE(rotation matrices) + 0.5 · MSE(betas) over the frames with ``w_smpl``."""
    loss = 0.5 * pose_loss(rotmat, rotmat_gt, w_smpl)
    if betas_gt is not None:
        loss = loss + 0.5 * shape_loss(betas, betas_gt, w_smpl)
    return loss


def shape_consistency_loss(betas: torch.Tensor) -> torch.Tensor:
    """betas (B, T, 10) -> 0.5 · mean((β_{t+1} − β_t)²); 0 for one-frame windows."""
    if betas.shape[1] < 2:
        return betas.sum() * 0.0
    return 0.5 * ((betas[:, 1:] - betas[:, :-1]) ** 2).mean()


def optimal_cam(points_m: torch.Tensor, kp2d: torch.Tensor) -> torch.Tensor:
    """The weak-perspective camera [s, tx, ty] that best fits ``points_m`` to the keypoints.

    points_m (..., K, 3) body-space joints, kp2d (..., K, 3) crop coordinates and visibility ->
    cam (..., 3), detached (the camera is a nuisance parameter, as in HMMR's ``use_optcam``).
    Solves min_{s, b} sum_k vis_k ||s · X_k,xy + b − x_k||² in closed form, with s clamped to
    >= 0.01 and ``t = b / s``; :func:`posebench.nn.weak_perspective_project` with this camera
    reproduces the fit up to perspective (the camera stands ~50 m away). With fewer than two
    visible joints the scale falls back to 0.9 (the mean camera).
    """
    X = points_m.detach()[..., :2]
    x = kp2d.detach()[..., :2]
    w = kp2d.detach()[..., 2:3]
    wsum = w.sum(-2, keepdim=True).clamp(min=1e-8)
    X_mean = (w * X).sum(-2, keepdim=True) / wsum
    x_mean = (w * x).sum(-2, keepdim=True) / wsum
    Xc, xc = X - X_mean, x - x_mean
    num = (w * Xc * xc).sum(dim=(-1, -2))
    den = (w * Xc * Xc).sum(dim=(-1, -2))
    enough = (w[..., 0] > 0).sum(-1) >= 2
    s = torch.where(enough & (den > 1e-8), num / den.clamp(min=1e-8), torch.full_like(num, 0.9)).clamp(min=_MIN_SCALE)
    t = x_mean.squeeze(-2) / s[..., None] - X_mean.squeeze(-2)
    return torch.cat([s[..., None], t], -1)
