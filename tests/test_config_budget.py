"""The comparison budget lives once (configs/_base_/budget.py); every model's cpu/quick/test config uses it."""
from __future__ import annotations

import pytest

from posebench.config import load_config, shipped_config_names

TIERS = ("cpu", "quick", "test")
COMPARED_MODELS = ("meva", "vibe", "hmmr")


@pytest.fixture(scope="module")
def budget() -> dict:
    return load_config("_base_/budget.py")["budget"]


def test_budget_has_every_tier(budget):
    assert set(budget) == set(TIERS)
    for tier in TIERS:
        assert {"budget_frames", "batch_size", "lr", "val_every", "checkpoint_every"} <= set(budget[tier]), tier


@pytest.mark.parametrize("model", COMPARED_MODELS)
@pytest.mark.parametrize("tier", TIERS)
def test_compared_models_train_with_the_shared_budget(budget, model, tier):
    cfg = load_config(f"{model}/{tier}")
    assert cfg.get("budget") == budget, f"{model}/{tier} does not inherit configs/_base_/budget.py"
    train = cfg["train"]
    assert {key: train.get(key) for key in budget[tier]} == budget[tier]


def test_every_config_that_inherits_the_budget_keeps_it(budget):
    """A model added later (its cpu/quick/test inheriting the budget) cannot override a budget number."""
    for name in shipped_config_names():
        tier = name.rsplit("/", 1)[-1]
        cfg = load_config(name)
        if tier in TIERS and "budget" in cfg:
            assert {key: cfg["train"].get(key) for key in budget[tier]} == budget[tier], name
