"""HMMR's temporal encoder f_movie and its single-frame hallucinator (docs/official_implementations.md §3.4).

f_movie (``AZ_FC2GN``): ``num_blocks`` pre-activation residual blocks over time, each
GroupNorm -> ReLU -> Conv1d(k=3, same padding) -> GroupNorm -> ReLU -> Conv1d(k=3) -> + input,
the second conv initialised small (variance scaling, factor 0.001). With 3 blocks of two k=3
convolutions the receptive field is 1 + 3·2·2 = 13 frames.

GroupNorm statistics: HMMR's TF GroupNorm pools over time as well as over the channels of a
group, so every output depends a little on the whole window. ``norm_over_time=False`` (the
posebench default) normalises each frame on its own, which makes the receptive field exactly
13 frames, independent of the window length and of what padding fills it; ``True`` is HMMR's
pooling. Both have the same parameters.

Hallucinator (``fc2_res``): ``fc1`` -> ReLU -> ``fc2`` -> ReLU -> ``fc3`` (small init, factor
0.001) + the input: regresses the movie-strip feature from one frame's feature.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from posebench.errors import ShapeError

MIN_CHANNELS_PER_GROUP = 4


def group_count(channels: int, preferred: int = 32) -> int:
    """The largest number of groups <= ``preferred`` that divides ``channels`` and leaves at
    least :data:`MIN_CHANNELS_PER_GROUP` channels per group (32 for 2048, 8 for 32, 1 below 4).

    Per-frame statistics over a one-channel group would normalise every value to 0 and cut
    the convolution path off, hence the minimum group width for small (CPU) models.
    """
    limit = max(1, min(preferred, channels // MIN_CHANNELS_PER_GROUP))
    for g in range(limit, 0, -1):
        if channels % g == 0:
            return g
    return 1


def _variance_scaling_(weight: torch.Tensor, factor: float) -> None:
    """TF ``variance_scaling_initializer(factor, 'FAN_IN', uniform=False)``: truncated normal,
    std = sqrt(1.3 * factor / fan_in)."""
    fan_in = weight.shape[1] * (weight[0, 0].numel() if weight.ndim > 2 else 1)
    std = math.sqrt(1.3 * factor / fan_in)
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


class FrameGroupNorm(nn.GroupNorm):
    """GroupNorm on (B, C, T) whose statistics are per frame (``over_time=False``) or pooled
    over the window (``over_time=True``, HMMR's TF behaviour)."""

    def __init__(self, channels: int, groups: int, over_time: bool):
        super().__init__(groups, channels)
        self.over_time = bool(over_time)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.over_time:
            return super().forward(x)
        B, C, T = x.shape
        y = super().forward(x.permute(0, 2, 1).reshape(B * T, C))
        return y.reshape(B, T, C).permute(0, 2, 1)


class PreActTemporalBlock(nn.Module):
    """(B, C, T) -> (B, C, T): GN -> ReLU -> conv -> GN -> ReLU -> conv, plus the input."""

    def __init__(self, channels: int, kernel_size: int = 3, groups: int = 32, norm_over_time: bool = False,
                 conv2_init_factor: float = 0.001):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd (same padding), got {kernel_size}")
        g = group_count(channels, groups)
        self.gn1 = FrameGroupNorm(channels, g, norm_over_time)
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
        self.gn2 = FrameGroupNorm(channels, g, norm_over_time)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
        nn.init.xavier_uniform_(self.conv1.weight)  # slim.conv2d's default
        nn.init.zeros_(self.conv1.bias)
        _variance_scaling_(self.conv2.weight, conv2_init_factor)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(torch.relu(self.gn1(x)))
        y = self.conv2(torch.relu(self.gn2(y)))
        return x + y


class MovieStripEncoder(nn.Module):
    """f_movie: (B, T, C) per-frame features -> (B, T, C) movie-strip features."""

    def __init__(self, channels: int, num_blocks: int = 3, kernel_size: int = 3, groups: int = 32,
                 norm_over_time: bool = False):
        super().__init__()
        self.channels = int(channels)
        self.blocks = nn.ModuleList(
            PreActTemporalBlock(channels, kernel_size, groups, norm_over_time) for _ in range(num_blocks)
        )
        self.receptive_field = 1 + num_blocks * 2 * (kernel_size - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != self.channels:
            raise ShapeError(f"MovieStripEncoder: expected (B, T, {self.channels}), got {tuple(x.shape)}")
        y = x.transpose(1, 2)  # (B, C, T): convolve over time
        for block in self.blocks:
            y = block(y)
        return y.transpose(1, 2)


class Hallucinator(nn.Module):
    """fc2_res: (..., C) single-frame feature -> (..., C) hallucinated movie-strip feature."""

    def __init__(self, channels: int, init_factor: float = 0.001):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels)
        self.fc2 = nn.Linear(channels, channels)
        self.fc3 = nn.Linear(channels, channels)
        # TF variance_scaling(factor, 'FAN_AVG', uniform=True): U(-a, a), a = sqrt(3 factor / fan_avg).
        bound = math.sqrt(3.0 * init_factor / channels)
        nn.init.uniform_(self.fc3.weight, -bound, bound)
        nn.init.zeros_(self.fc3.bias)

    def forward(self, phi: torch.Tensor) -> torch.Tensor:
        return phi + self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(phi)))))
