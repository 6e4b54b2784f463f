"""Training budgets declared in frames seen (posebench.training.data)."""
from __future__ import annotations

import pytest

from posebench.errors import PosebenchError
from posebench.training.data import budget_report, frames_seen, steps_for_frames, train_config


def test_frames_seen_and_steps_for_a_frame_budget():
    assert frames_seen(1000, 16, 90) == 1_440_000
    # equal frames: MEVA's 90-frame windows need far fewer steps than HMMR's 20-frame ones
    assert steps_for_frames(1_440_000, 16, 90) == 1000
    assert steps_for_frames(1_440_000, 16, 20) == 4500
    assert steps_for_frames(10, 16, 90) == 1  # at least one step, rounded up
    assert budget_report(1000, 16, 90) == {"optimiser_steps": 1000, "batch_size": 16, "window": 90,
                                           "frames_seen": 1_440_000}
    with pytest.raises(PosebenchError):
        steps_for_frames(0, 16, 90)


def test_train_config_turns_budget_frames_into_steps():
    cfg = {"train": {"budget_frames": 320_000, "batch_size": 16, "val_every": 10}}
    assert train_config(cfg, seed=0, device="cpu", model_window=20).steps == 1000
    assert train_config(cfg, seed=0, device="cpu", model_window=90).steps == 223
    with pytest.raises(PosebenchError, match="budget_frames"):
        train_config(cfg, seed=0, device="cpu")
    assert train_config({"train": {"steps": 7}}, seed=0, device="cpu").steps == 7
