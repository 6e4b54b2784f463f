"""The GRU temporal encoder of VIBE (``encoder``) and MEVA (``feat_encoder``, ``motion_encoder``).

Facts from ``docs/official_implementations.md`` §3.2-3.3: GRU -> activation (ReLU in VIBE, tanh in
MEVA) -> Linear(hidden * directions -> output) -> ``+ x`` when residual and sizes match. Keys
``gru.*`` and ``linear.*`` match the official ones. The official code is time-major; this
module takes and returns batch-first tensors (B, T, F).
"""
from __future__ import annotations

import torch
from torch import nn

from posebench.errors import ShapeError

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


class TemporalEncoder(nn.Module):
    """GRU encoder over time, batch-first.

    Args:
        input_size: F of the input (B, T, F).
        hidden_size: GRU hidden size per direction.
        num_layers: GRU layers.
        bidirectional: bidirectional GRU (MEVA) or not (VIBE's released weights).
        add_linear: apply ``activation`` then ``linear`` after the GRU.
        residual: add the input to the output (only when the output size equals ``input_size``).
        activation: ``"relu"`` (VIBE) or ``"tanh"`` (MEVA).
        output_size: size of ``linear``'s output; default ``input_size`` (MEVA's motion encoder
            uses 512 with ``residual=False``).

    forward: (B, T, input_size) -> (B, T, output_size) (or (B, T, hidden*dirs) without linear).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 2,
        bidirectional: bool = False,
        add_linear: bool = True,
        residual: bool = True,
        activation: str = "relu",
        output_size: int | None = None,
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.input_size = int(input_size)
        self.activation = activation
        self.gru = nn.GRU(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
        gru_out = hidden_size * (2 if bidirectional else 1)
        self.output_size = int(output_size or input_size) if add_linear else gru_out
        self.linear = nn.Linear(gru_out, self.output_size) if add_linear else None
        self.residual = bool(residual) and self.output_size == self.input_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ShapeError(f"TemporalEncoder: expected (B, T, {self.input_size}), got {tuple(x.shape)}")
        y, _ = self.gru(x)
        if self.linear is not None:
            y = self.linear(ACTIVATIONS[self.activation](y))
        if self.residual:
            y = y + x
        return y
