"""A temporal convolutional 2D-to-3D lifter in the design of Pavllo et al., "3D human pose
estimation in video with temporal convolutions and semi-supervised training" (VideoPose3D,
CVPR 2019), re-implemented from the paper (its code is under a non-commercial licence and was
not used).

Network (valid 1D convolutions over time, channels-first (B, C, L)):

- expand: ``Conv1d(F -> channels, k=3)``, batch norm, ReLU, dropout;
- one block per dilation ``d = 3, 9, 27, (81)``: ``Conv1d(k=3, dilation=d)``, BN, ReLU, dropout,
  ``Conv1d(k=1)``, BN, ReLU, dropout, plus a residual connection: the block's input *sliced* to
  the frames its output is aligned with (the centre frames, or the last ones when causal);
- shrink: ``Conv1d(channels -> 14 * 3, k=1)``: LSP-14 joints in metres, then centred on the mid-hip.

Receptive field ``3^(1 + n_blocks)`` = 27, 81 or 243 frames (``receptive_field``). An input of
``L`` frames gives ``L - receptive_field + 1`` outputs. Sequence training: to output every frame
of a ``window``-frame window at once, the window is edge-padded (its first/last frame repeated,
as the paper pads sequence ends) by ``(rf - 1) / 2`` frames on each side (symmetric, offline), or
by ``rf - 1`` frames on the left only (``causal = True``, online: frame t sees frames
``t - rf + 1 .. t``, never a later one).

Flip augmentation (the paper's): ``flip_train`` mirrors a random half of the training windows
(input features mirrored left/right, the prediction mirrored back before the loss);
``flip_test`` averages the prediction of the input and the mirrored-back prediction of the
mirrored input. Mirroring needs the shared 73-d observation features
(:func:`posebench.data.observations.feature_mirror`).

Joints only (``outputs = "joints"``). Loss: MPJPE of the mid-hip-centred joints (the paper's
loss), over the frames with 3D ground truth. Under the posebench protocol the harness cuts a
track into ``window``-frame windows overlapping by a quarter; frames near a window's edge see
edge-padded context instead of real frames, so a ``window`` of several receptive fields is best.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from posebench.config import check_keys
from posebench.data.observations import FEATURE_DIM, feature_mirror
from posebench.errors import PosebenchError
from posebench.models.base import PoseOutput, WindowBatch, model_section
from posebench.nn import JointsLifter, centre_midhip
from posebench.skeleton import LSP14_FLIP_PERM, flip_joints

N_JOINTS = 14
RECEPTIVE_FIELDS = (27, 81, 243)


@dataclass
class TcnConfig:
    """Sizes and switches of :class:`TemporalConvLifter`. Defaults are the paper's (243 frames)."""

    input_dim: int = FEATURE_DIM
    receptive_field: int = 243
    channels: int = 1024
    dropout: float = 0.25
    causal: bool = False
    bn_momentum: float = 0.1
    flip_train: bool = True
    flip_test: bool = True
    window: int = 243  # frames per window the harness feeds (outputs: every frame of it)

    @classmethod
    def from_dict(cls, d: dict | None) -> "TcnConfig":
        cfg = cls(**check_keys("TCN model config", d, cls))
        if cfg.receptive_field not in RECEPTIVE_FIELDS:
            raise PosebenchError(f"TCN model config: receptive_field must be one of {RECEPTIVE_FIELDS}, "
                                 f"got {cfg.receptive_field!r}")
        if cfg.channels < 1 or cfg.window < 1 or not 0 <= cfg.dropout < 1:
            raise PosebenchError(f"TCN model config: need channels >= 1, window >= 1, 0 <= dropout < 1; got "
                                 f"channels={cfg.channels}, window={cfg.window}, dropout={cfg.dropout}")
        if (cfg.flip_train or cfg.flip_test) and cfg.input_dim != FEATURE_DIM:
            raise PosebenchError(f"TCN model config: flip_train/flip_test mirror the {FEATURE_DIM}-d observation "
                                 f"features; input_dim is {cfg.input_dim} (set both to False)")
        return cfg


def block_dilations(receptive_field: int) -> list[int]:
    """27 -> [3, 9], 81 -> [3, 9, 27], 243 -> [3, 9, 27, 81] (after the expand layer's dilation 1)."""
    n = round(math.log(receptive_field, 3))
    return [3**i for i in range(1, n)]


class TemporalBlock(nn.Module):
    """(B, C, L) -> (B, C, L - 2d): dilated conv + 1x1 conv (each BN, ReLU, dropout) + sliced residual."""

    def __init__(self, channels: int, dilation: int, dropout: float, causal: bool, bn_momentum: float):
        super().__init__()
        self.dilation, self.causal = dilation, causal
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, 3, dilation=dilation, bias=False),
            nn.BatchNorm1d(channels, momentum=bn_momentum), nn.ReLU(), nn.Dropout(dropout),
            nn.Conv1d(channels, channels, 1, bias=False),
            nn.BatchNorm1d(channels, momentum=bn_momentum), nn.ReLU(), nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.dilation
        # Output frame i of the dilated conv sees input frames i .. i + 2d: it stands for the centre
        # one (i + d), or for the last one (i + 2d) when causal; the residual takes that frame.
        residual = x[:, :, 2 * d:] if self.causal else x[:, :, d:x.shape[-1] - d]
        return residual + self.body(x)


class TemporalConvNet(nn.Module):
    """(B, F, L) -> (B, out_dim, L - receptive_field + 1) with valid convolutions."""

    def __init__(self, in_dim: int, out_dim: int, receptive_field: int, channels: int, dropout: float,
                 causal: bool, bn_momentum: float):
        super().__init__()
        self.receptive_field = receptive_field
        self.expand = nn.Sequential(
            nn.Conv1d(in_dim, channels, 3, bias=False), nn.BatchNorm1d(channels, momentum=bn_momentum),
            nn.ReLU(), nn.Dropout(dropout),
        )
        self.blocks = nn.ModuleList(TemporalBlock(channels, d, dropout, causal, bn_momentum)
                                    for d in block_dilations(receptive_field))
        self.shrink = nn.Conv1d(channels, out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.expand(x)
        for block in self.blocks:
            x = block(x)
        return self.shrink(x)


class TemporalConvLifter(JointsLifter):
    name = "tcn"
    label = "TCN"
    window = 243
    config_class = TcnConfig

    def __init__(self, hparams: dict | None = None):
        super().__init__(hparams)
        cfg = self.cfg
        self.net = TemporalConvNet(cfg.input_dim, N_JOINTS * 3, cfg.receptive_field, cfg.channels, cfg.dropout,
                                   cfg.causal, cfg.bn_momentum)
        if cfg.flip_train or cfg.flip_test:
            perm, sign, offset = feature_mirror()
            self.register_buffer("mirror_perm", torch.as_tensor(perm), persistent=False)
            self.register_buffer("mirror_sign", torch.as_tensor(sign), persistent=False)
            self.register_buffer("mirror_offset", torch.as_tensor(offset), persistent=False)

    @property
    def padding(self) -> tuple[int, int]:
        """Edge frames added (before, after) so that every input frame gets an output."""
        rf = self.cfg.receptive_field
        return (rf - 1, 0) if self.cfg.causal else ((rf - 1) // 2, (rf - 1) // 2)

    def lift(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> (B, T, 14, 3) mid-hip-centred joints, one per input frame."""
        B, T, _ = features.shape
        x = F.pad(features.transpose(1, 2), self.padding, mode="replicate")
        return centre_midhip(self.net(x).transpose(1, 2).reshape(B, T, N_JOINTS, 3))

    def mirror_features(self, features: torch.Tensor) -> torch.Tensor:
        return features[..., self.mirror_perm] * self.mirror_sign + self.mirror_offset

    def forward(self, batch: WindowBatch) -> PoseOutput:
        x = self.checked_features(batch)
        if self.training and self.cfg.flip_train:
            flip = torch.rand(x.shape[0], device=x.device) < 0.5  # (B,) windows to mirror
            x = torch.where(flip[:, None, None], self.mirror_features(x), x)
            joints = self.lift(x)
            joints = torch.where(flip[:, None, None, None], flip_joints(joints, LSP14_FLIP_PERM), joints)
        elif not self.training and self.cfg.flip_test:
            mirrored = flip_joints(self.lift(self.mirror_features(x)), LSP14_FLIP_PERM)
            joints = 0.5 * (self.lift(x) + mirrored)
        else:
            joints = self.lift(x)
        return PoseOutput(joints_lsp14_m=joints)

    def training_losses(self, batch: WindowBatch, out: PoseOutput) -> dict[str, torch.Tensor]:
        """``mpjpe``: mean over the frames with 3D ground truth of the mean joint distance (metres)."""
        joints3d_m, w_3d = self.joint_targets(batch)
        error_m = torch.linalg.vector_norm(out.joints_lsp14_m - centre_midhip(joints3d_m), dim=-1)  # (B, T, 14)
        per_frame = error_m.mean(dim=-1)  # (B, T)
        w = w_3d.to(per_frame.dtype)
        mpjpe = (per_frame * w).sum() / w.sum().clamp(min=1.0)
        return {"mpjpe": mpjpe, "loss": mpjpe}


def build_tcn(cfg: dict | None = None) -> TemporalConvLifter:
    """``build_model("tcn", cfg)``: ``cfg`` is the model section or a whole config."""
    return TemporalConvLifter(model_section(cfg))
