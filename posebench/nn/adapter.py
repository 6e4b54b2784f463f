"""The one input adapter every model uses to accept a dataset's feature size.

Models are built for a feature size (2048 for VIBE/MEVA image features); datasets provide
their own (2048 VIBE features, the CMU benchmark's 73-d observation features, ...).

Why this design:
- Identity when the sizes are equal, so official checkpoints load unchanged (no extra keys).
- Otherwise ``Linear -> LayerNorm -> ReLU -> Linear``: a single Linear from 73-d would give the
  model a rank-73 input, and the residual temporal encoders add that input back to their
  output, so the low-rank signal would pass straight through. The hidden non-linearity lifts
  it to a full-rank feature; LayerNorm puts heterogeneous raw channels (positions, velocities,
  angles) on one scale so training does not depend on each dataset's feature units.
"""
from __future__ import annotations

import torch
from torch import nn

from posebench.errors import ShapeError


class InputAdapter(nn.Module):
    """(..., in_dim) -> (..., out_dim). Identity (no parameters) when ``in_dim == out_dim``."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        if self.in_dim == self.out_dim:
            self.net = nn.Identity()
        else:
            self.net = nn.Sequential(
                nn.Linear(self.in_dim, self.out_dim),
                nn.LayerNorm(self.out_dim),
                nn.ReLU(),
                nn.Linear(self.out_dim, self.out_dim),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_dim:
            raise ShapeError(f"InputAdapter: expected features of size {self.in_dim}, got {tuple(x.shape)}")
        return self.net(x)

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, out_dim={self.out_dim}"
