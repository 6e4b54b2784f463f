"""VIBE's motion discriminator: is a 16-frame body-pose sequence real motion capture?

Facts from ``docs/official_implementations.md`` §3.2: input 69 = the body pose without the root as
axis-angle (``theta[:, :, 6:75]``), a 2-layer GRU (1024), attention pooling over time (3 layers,
size 1024, dropout 0.2, U(-0.1, 0.1) weights and bias 0.01), then ``fc`` (1, 1024).
State-dict keys equal the official ``disc_motion_state_dict`` keys (``gru.*``,
``attention.attention.{0,3,6}.*``, ``fc.*``). The official code is time-major; this module
takes batch-first tensors (B, T, 69).
"""
from __future__ import annotations

import torch
from torch import nn

from posebench.errors import ShapeError
from posebench.geometry.rotations import matrix_to_axis_angle

BODY_POSE_AA_DIM = 69  # 23 joints (all but the root) x 3


def body_pose_aa(rotmat: torch.Tensor) -> torch.Tensor:
    """(B, T, 24, 3, 3) SMPL local rotations -> (B, T, 69) axis-angle of joints 1..23.

    The discriminator never sees the root: VIBE feeds ``theta[:, :, 6:75]``, i.e. the 72-d
    axis-angle pose without its first 3 values. Differentiable (the generator learns through it).
    """
    if rotmat.ndim != 5 or tuple(rotmat.shape[2:]) != (24, 3, 3):
        raise ShapeError(f"body_pose_aa: rotmat must be (B, T, 24, 3, 3), got {tuple(rotmat.shape)}")
    B, T = rotmat.shape[:2]
    return matrix_to_axis_angle(rotmat[:, :, 1:]).reshape(B, T, BODY_POSE_AA_DIM)


class SelfAttentionPool(nn.Module):
    """Scores each time step, softmaxes the scores over time, returns the weighted sum.

    ``attention`` is ``[Linear(H, H), Tanh, Dropout] * (layers - 1) + [Linear(H, 1), Tanh, Dropout]``,
    so with 3 layers the Linear modules sit at indices 0, 3 and 6 as in VIBE.
    forward: (B, T, H) -> (B, H), plus the weights (B, T).
    """

    def __init__(self, size: int = 1024, layers: int = 3, dropout: float = 0.2):
        super().__init__()
        modules: list[nn.Module] = []
        for _ in range(layers - 1):
            modules += [nn.Linear(size, size), nn.Tanh(), nn.Dropout(dropout)]
        modules += [nn.Linear(size, 1), nn.Tanh(), nn.Dropout(dropout)]
        self.attention = nn.Sequential(*modules)
        for m in self.attention:
            if isinstance(m, nn.Linear):
                nn.init.uniform_(m.weight, -0.1, 0.1)
                nn.init.constant_(m.bias, 0.01)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = torch.softmax(self.attention(x).squeeze(-1), dim=-1)  # (B, T)
        return (x * weights.unsqueeze(-1)).sum(dim=1), weights


class MotionDiscriminator(nn.Module):
    """(B, T, 69) body-pose axis-angle sequences -> (B, 1) realness scores (LSGAN: real -> 1)."""

    def __init__(self, input_size: int = BODY_POSE_AA_DIM, hidden_size: int = 1024, num_layers: int = 2,
                 attention_layers: int = 3, attention_dropout: float = 0.2):
        super().__init__()
        self.input_size = int(input_size)
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.attention = SelfAttentionPool(hidden_size, attention_layers, attention_dropout)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        if sequence.ndim != 3 or sequence.shape[-1] != self.input_size:
            raise ShapeError(f"MotionDiscriminator: expected (B, T, {self.input_size}), got {tuple(sequence.shape)}")
        outputs, _ = self.gru(sequence)
        pooled, _ = self.attention(outputs)
        return self.fc(pooled)
