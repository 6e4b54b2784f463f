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


def test_a_set_steps_wins_over_the_frame_budget():
    cfg = {"train": {"budget_frames": 320_000, "steps": 12, "batch_size": 16}}
    assert train_config(cfg, seed=0, device="cpu", model_window=20).steps == 12


@pytest.mark.parametrize("tier", ["cpu", "quick", "test"])
def test_shipped_tiers_give_every_compared_model_equal_frames(tier):
    """The default comparison budget is equal frames seen: each model's steps x batch x window agree
    (up to one step of rounding up)."""
    from posebench.config import load_config
    from posebench.registry import get_plugin_system

    system = get_plugin_system()
    seen = {}
    for name in ("meva", "vibe", "hmmr", "tcn", "mlp"):
        cfg = load_config(f"{name}/{tier}")
        window = int((cfg.get("model") or {}).get("window") or system.models.get(name).spec.window)
        tcfg = train_config(cfg, seed=0, device="cpu", model_window=window)
        seen[name] = (frames_seen(tcfg.steps, tcfg.batch_size, window), tcfg.batch_size * window)
    budget = load_config("_base_/budget.py")["budget"][tier]["budget_frames"]
    for name, (frames, per_step) in seen.items():
        assert budget <= frames < budget + per_step, (name, frames)
