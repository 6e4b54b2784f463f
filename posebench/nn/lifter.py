"""The common part of the joints-only lifters (the TCN and MLP plugins): observation features
(B, T, F) in, LSP-14 joints (B, T, 14, 3) in metres out, centred on the mid-hip.

A subclass sets ``name``, ``label`` (its name in messages, "TCN") and a ``config_class`` whose
config has ``input_dim`` (the feature size) and ``window`` (frames per window the harness feeds:
the config decides it, not the class).
"""
from __future__ import annotations

from typing import ClassVar

import torch

from posebench.errors import PosebenchError, ShapeError
from posebench.models.base import OUTPUTS_JOINTS, PoseModel, WindowBatch
from posebench.nn.losses import centre_midhip

__all__ = ["JointsLifter", "centre_midhip"]


class JointsLifter(PoseModel):
    """A :class:`PoseModel` that predicts 3D joints only (``outputs = "joints"``)."""

    outputs = OUTPUTS_JOINTS
    label: ClassVar[str] = "lifter"

    def __init__(self, hparams: dict | None = None):
        super().__init__(hparams)
        self.window = int(self.cfg.window)

    def checked_features(self, batch: WindowBatch) -> torch.Tensor:
        """``batch.features`` (B, T, input_dim), or :class:`ShapeError` naming the model."""
        x = batch.features
        if x.ndim != 3 or x.shape[-1] != self.cfg.input_dim:
            raise ShapeError(f"{self.label}: features must be (B, T, {self.cfg.input_dim}), got {tuple(x.shape)}")
        return x

    def joint_targets(self, batch: WindowBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """``(joints3d_m (B, T, 14, 3), w_3d (B, T))`` of a training batch; a lifter trains on nothing else."""
        if batch.joints3d_m is None or batch.w_3d is None:
            raise PosebenchError(f"{self.label} trains on 3D joints: the batch has no joints3d_m")
        return batch.joints3d_m, batch.w_3d
