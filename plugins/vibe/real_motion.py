"""Real motion for VIBE's discriminator: batches of fixed-length rotation windows.

VIBE draws 32 AMASS windows of 16 frames per step (docs/official_implementations.md §4.1). Here the windows come from
:class:`posebench.training.MotionWindows` over a dataset's motion clips, and draw ``k`` is a pure
function of ``(seed, k)``; the draw counter is the sampler's only state (``state_dict``), so a
resumed run sees exactly the real batches an uninterrupted one would.
"""
from __future__ import annotations

import numpy as np
import torch

from posebench.errors import PosebenchError
from posebench.training import MotionWindows


class RealMotionSampler:
    """Draw ``batch_size`` random windows (without replacement within a draw when possible)."""

    def __init__(self, windows: MotionWindows, batch_size: int, seed: int = 0):
        if len(windows) == 0:
            raise PosebenchError(f"RealMotionSampler: no motion windows of {windows.window} frames "
                                 f"(every clip is shorter); the discriminator needs real motion")
        self.windows = windows
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.draws = 0

    @property
    def window(self) -> int:
        return self.windows.window

    def batch(self, draw: int) -> torch.Tensor:
        """The windows of draw ``draw``: (batch_size, window, 24, 3, 3) float32."""
        rng = np.random.default_rng([self.seed, int(draw)])
        n = len(self.windows)
        idx = rng.choice(n, size=self.batch_size, replace=n < self.batch_size)
        return torch.stack([self.windows[int(i)] for i in idx])

    def next_batch(self) -> torch.Tensor:
        out = self.batch(self.draws)
        self.draws += 1
        return out

    def state_dict(self) -> dict:
        return {"draws": self.draws, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        self.draws = int(state["draws"])
        self.seed = int(state["seed"])
