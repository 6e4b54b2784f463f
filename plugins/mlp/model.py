"""A per-frame 2D-to-3D lifter in the design of Martinez et al., "A simple yet effective baseline
for 3d human pose estimation" (ICCV 2017), re-implemented from the paper.

Each frame's observation features (B, T, F) go through, frame by frame:

- ``Linear(F -> hidden)``, batch norm, ReLU, dropout (the paper's input layer);
- ``blocks`` residual blocks, each ``x + [Linear, BN, ReLU, Dropout] x 2`` (paper: 2 blocks, 1024
  units, dropout 0.5);
- ``Linear(hidden -> 14 * 3)``: LSP-14 joints in metres, then centred on the mid-hip.

No temporal context at all: the floor every temporal model must beat. The shared 73-d observation
features carry each joint's first difference (frame t minus t-1); with ``input_channels =
"per-frame"`` (the default) those channels are dropped so that frame t's output depends on frame t
only. Other inputs (e.g. 2048-d image features) have no such channels and are used whole.

Joints only (``outputs = "joints"``): no SMPL rotations, shape or mesh. Loss: the shared 3D keypoint
loss (squared error of mid-hip-centred joints, :func:`posebench.nn.keypoint_3d_loss`), as the
paper's L2 loss. Not reproduced: the max-norm weight constraint and the exponential learning-rate
decay (the core loop's schedule is used so every model trains alike).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from posebench.config import check_keys
from posebench.data.observations import FEATURE_DIM, feature_names
from posebench.errors import PosebenchError
from posebench.models.base import PoseOutput, WindowBatch, model_section
from posebench.nn import JointsLifter, centre_midhip, keypoint_3d_loss

N_JOINTS = 14
INPUT_CHANNELS = ("per-frame", "all")


@dataclass
class MlpConfig:
    """Sizes of :class:`MlpLifter`. Defaults are the paper's."""

    input_dim: int = FEATURE_DIM
    hidden: int = 1024
    blocks: int = 2
    dropout: float = 0.5
    input_channels: str = "per-frame"  # "all": also the 73-d features' temporal-difference channels
    window: int = 16  # frames per window the harness feeds (irrelevant to a per-frame model)

    @classmethod
    def from_dict(cls, d: dict | None) -> "MlpConfig":
        cfg = cls(**check_keys("MLP model config", d, cls))
        if cfg.input_channels not in INPUT_CHANNELS:
            raise PosebenchError(f"MLP model config: input_channels must be one of {INPUT_CHANNELS}, "
                                 f"got {cfg.input_channels!r}")
        if cfg.hidden < 1 or cfg.blocks < 0 or cfg.window < 1 or not 0 <= cfg.dropout < 1:
            raise PosebenchError(f"MLP model config: need hidden >= 1, blocks >= 0, window >= 1, 0 <= dropout < 1; "
                                 f"got {asdict(cfg)}")
        return cfg


def per_frame_channels(input_dim: int, mode: str) -> list[int]:
    """Indices of the input channels the lifter reads (see the module docstring)."""
    if mode == "per-frame" and input_dim == FEATURE_DIM:
        return [i for i, name in enumerate(feature_names()) if not name.startswith("d_")]
    return list(range(input_dim))


class ResidualBlock(nn.Module):
    """``x + f(x)`` with ``f = [Linear, BatchNorm1d, ReLU, Dropout] x 2`` on (N, hidden)."""

    def __init__(self, hidden: int, dropout: float):
        super().__init__()
        layers = []
        for _ in range(2):
            layers += [nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class MlpLifter(JointsLifter):
    name = "mlp"
    label = "MLP"
    window = 16
    config_class = MlpConfig

    def __init__(self, hparams: dict | None = None):
        super().__init__(hparams)
        cfg = self.cfg
        self.register_buffer("channels", torch.tensor(per_frame_channels(cfg.input_dim, cfg.input_channels)),
                             persistent=False)
        self.net = nn.Sequential(
            nn.Linear(len(self.channels), cfg.hidden), nn.BatchNorm1d(cfg.hidden), nn.ReLU(), nn.Dropout(cfg.dropout),
            *[ResidualBlock(cfg.hidden, cfg.dropout) for _ in range(cfg.blocks)],
            nn.Linear(cfg.hidden, N_JOINTS * 3),
        )

    def forward(self, batch: WindowBatch) -> PoseOutput:
        x = self.checked_features(batch)
        B, T, _ = x.shape
        joints = self.net(x[..., self.channels].reshape(B * T, -1)).reshape(B, T, N_JOINTS, 3)
        return PoseOutput(joints_lsp14_m=centre_midhip(joints))

    def training_losses(self, batch: WindowBatch, out: PoseOutput) -> dict[str, torch.Tensor]:
        kp3d = keypoint_3d_loss(out.joints_lsp14_m, *self.joint_targets(batch))
        return {"kp3d": kp3d, "loss": kp3d}


def build_mlp(cfg: dict | None = None) -> MlpLifter:
    """``build_model("mlp", cfg)``: ``cfg`` is the model section or a whole config."""
    return MlpLifter(model_section(cfg))
