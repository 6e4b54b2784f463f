"""Supervised losses of VIBE and MEVA (``docs/official_implementations.md`` §4.1-4.2).

- 2D keypoints: ``mean(conf * (x_hat - x)^2)`` over every frame, joint and coordinate.
- 3D keypoints: LSP-14, each skeleton centred on its own mid-hip (LSP joints 2 and 3),
  squared error averaged over the frames with ``w_3d``.
- Pose: MSE between rotation matrices over the frames with ``w_smpl``; shape: MSE of betas.
- Adversarial: least-squares GAN terms for VIBE's motion discriminator (weights applied by the caller).

Per-frame weights (B, T) are 0/1 masks; a term whose mask is all zero is exactly 0 (and has a
zero gradient), so mixed 2D/3D batches need no special casing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from posebench.config import check_keys
from posebench.errors import PosebenchError, ShapeError
from posebench.models.base import PoseOutput, WindowBatch

MIDHIP = (2, 3)  # LSP-14 right hip, left hip


class NonFiniteLossError(PosebenchError):
    """A loss term became NaN or infinite; the message names the term (and step when known)."""

    def __init__(self, term: str, value: float, where: str = ""):
        self.term, self.value = term, value
        super().__init__(f"loss term {term!r} is {value}{' ' + where if where else ''}")


def check_finite(losses: dict[str, torch.Tensor], where: str = "") -> None:
    """Raise :class:`NonFiniteLossError` naming the first non-finite term."""
    for name, value in losses.items():
        v = float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
        if not math.isfinite(v):
            raise NonFiniteLossError(name, v, where)


def _weighted_frame_mean(per_frame: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """per_frame (B, T) errors, w (B, T) weights -> sum(w * e) / sum(w) (0 when sum(w) == 0)."""
    w = w.to(per_frame.dtype)
    return (per_frame * w).sum() / w.sum().clamp(min=1.0)


def keypoint_2d_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """pred (B, T, K, 2), gt (B, T, K, 3) with confidence last -> mean(conf * (pred - gt_xy)^2)."""
    if pred.shape[-1] != 2 or gt.shape[-1] != 3 or pred.shape[:-1] != gt.shape[:-1]:
        raise ShapeError(f"keypoint_2d_loss: expected pred (..., K, 2), gt (..., K, 3); got {tuple(pred.shape)}, {tuple(gt.shape)}")
    conf = gt[..., 2:3]
    return (conf * (pred - gt[..., :2]) ** 2).mean()


def centre_midhip(j: torch.Tensor) -> torch.Tensor:
    """Joints (..., 14, 3) (LSP-14) minus their mid-hip (the mean of joints 2 and 3)."""
    return j - j[..., list(MIDHIP), :].mean(-2, keepdim=True)


def keypoint_3d_loss(pred_lsp14: torch.Tensor, gt: torch.Tensor, w_3d: torch.Tensor) -> torch.Tensor:
    """pred_lsp14, gt (B, T, 14, 3) metres, w_3d (B, T): mean squared error of mid-hip-centred
    joints over the frames with w_3d (mean over joints and coordinates within a frame)."""
    if pred_lsp14.shape != gt.shape or pred_lsp14.shape[-2:] != (14, 3) or tuple(w_3d.shape) != tuple(gt.shape[:-2]):
        raise ShapeError(
            f"keypoint_3d_loss: expected pred, gt (B, T, 14, 3) and w_3d (B, T); got "
            f"{tuple(pred_lsp14.shape)}, {tuple(gt.shape)}, {tuple(w_3d.shape)}"
        )
    err = ((centre_midhip(pred_lsp14) - centre_midhip(gt)) ** 2).mean(dim=(-1, -2))
    return _weighted_frame_mean(err, w_3d)


def pose_loss(rotmat_pred: torch.Tensor, rotmat_gt: torch.Tensor, w_smpl: torch.Tensor) -> torch.Tensor:
    """rotmat_pred, rotmat_gt (B, T, 24, 3, 3), w_smpl (B, T): MSE over the 24x9 matrix entries
    of the frames with w_smpl."""
    if rotmat_pred.shape != rotmat_gt.shape or tuple(w_smpl.shape) != tuple(rotmat_gt.shape[:-3]):
        raise ShapeError(f"pose_loss: shapes {tuple(rotmat_pred.shape)}, {tuple(rotmat_gt.shape)}, {tuple(w_smpl.shape)}")
    err = ((rotmat_pred - rotmat_gt) ** 2).mean(dim=(-1, -2, -3))
    return _weighted_frame_mean(err, w_smpl)


def shape_loss(betas_pred: torch.Tensor, betas_gt: torch.Tensor, w_smpl: torch.Tensor) -> torch.Tensor:
    """betas_pred, betas_gt (B, T, 10), w_smpl (B, T): MSE of betas over the frames with w_smpl."""
    if betas_pred.shape != betas_gt.shape or tuple(w_smpl.shape) != tuple(betas_gt.shape[:-1]):
        raise ShapeError(f"shape_loss: shapes {tuple(betas_pred.shape)}, {tuple(betas_gt.shape)}, {tuple(w_smpl.shape)}")
    err = ((betas_pred - betas_gt) ** 2).mean(dim=-1)
    return _weighted_frame_mean(err, w_smpl)


def lsgan_generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """d_fake (B, 1) or (B,) discriminator scores of generated motion -> sum((d - 1)^2) / B.

    VIBE multiplies this by its adversarial weight (0.5)."""
    return ((d_fake - 1.0) ** 2).sum() / max(int(d_fake.shape[0]), 1)


def lsgan_discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """sum((d_real - 1)^2) / B + sum(d_fake^2) / B. VIBE multiplies this by 0.5 (D_MOTION_LOSS_W)."""
    real = ((d_real - 1.0) ** 2).sum() / max(int(d_real.shape[0]), 1)
    fake = (d_fake**2).sum() / max(int(d_fake.shape[0]), 1)
    return real + fake


@dataclass
class SmplLossWeights:
    """Loss weights of VIBE's and MEVA's released configs (KP_2D, KP_3D, POSE, SHAPE)."""

    kp2d: float = 300.0
    kp3d: float = 300.0
    pose: float = 60.0
    shape: float = 0.06

    @classmethod
    def from_dict(cls, d: dict | None) -> "SmplLossWeights":
        return cls(**check_keys("loss weights", d, cls))


def supervised_losses(batch: WindowBatch, out: PoseOutput, weights: SmplLossWeights | None = None) -> dict[str, torch.Tensor]:
    """The weighted supervised terms for one batch.

    Returns ``{"kp2d", "kp3d", "pose", "shape"}`` (each already multiplied by its weight; a term
    is absent when the batch has no such target or its weight is 0) and ``"loss"``, their sum.
    Raises :class:`NonFiniteLossError` naming a NaN/inf term.
    """
    weights = weights or SmplLossWeights()
    terms: dict[str, torch.Tensor] = {}
    if batch.kp2d is not None and weights.kp2d:
        gt = batch.kp2d
        if batch.mask is not None:  # padded frames carry no 2D evidence
            gt = torch.cat([gt[..., :2], gt[..., 2:3] * batch.mask[..., None, None].to(gt.dtype)], -1)
        terms["kp2d"] = weights.kp2d * keypoint_2d_loss(out.kp2d, gt)
    if batch.joints3d_m is not None and batch.w_3d is not None and weights.kp3d:
        terms["kp3d"] = weights.kp3d * keypoint_3d_loss(out.joints_lsp14_m, batch.joints3d_m, batch.w_3d)
    if batch.pose_rotmat is not None and batch.w_smpl is not None and weights.pose:
        terms["pose"] = weights.pose * pose_loss(out.rotmat, batch.pose_rotmat, batch.w_smpl)
    if batch.betas is not None and batch.w_smpl is not None and weights.shape:
        terms["shape"] = weights.shape * shape_loss(out.betas, batch.betas, batch.w_smpl)
    if not terms:
        raise PosebenchError("supervised_losses: the batch has no targets (kp2d, joints3d_m, pose_rotmat, betas)")
    check_finite(terms)
    terms["loss"] = torch.stack(list(terms.values())).sum()
    return terms
