# The comparison budget: every model's cpu / quick / test config trains with these budgets, batch sizes,
# learning rates and validation cadences, so MEVA, VIBE and HMMR (and any model added beside them) are
# compared on equal data. The budget is in frames seen (optimiser steps x windows per step x window
# length): each model gets the steps that see `budget_frames` frames, so MEVA (90-frame windows) takes
# fewer, larger steps than VIBE (16) or HMMR (20). The numbers are MEVA's former step budgets (1000 / 400
# / 6 steps of 16 / 8 / 2 windows of 90 frames). To compare at equal optimiser steps instead:
#     --cfg-options train.steps=N   (a set train.steps wins; or `posebench compare --steps N`).
# `steps=None` here clears the step count a model's paper config inherits.
# A model config takes its tier with
#     _base_ = ["./paper.py", "../_base_/budget.py"]
#     train = dict(**_base_.budget.cpu, window_stride=...)
# and tests/test_config_budget.py checks that every shipped cpu/quick/test config matches its tier.
# Change a number here, not in a model's file.
budget = dict(
    # Trains on the CMU benchmark on 2 CPU cores (the README's controlled comparison).
    cpu=dict(budget_frames=1_440_000, steps=None, batch_size=16, lr=2e-4, weight_decay=0.0, val_every=250,
             checkpoint_every=250, scheduler="none"),
    # The README's quick job (`posebench compare --quick`): a few minutes per model.
    quick=dict(budget_frames=288_000, steps=None, batch_size=8, lr=5e-4, val_every=200, checkpoint_every=100,
               log_every=20),
    # CI: a few steps, seconds per model.
    test=dict(budget_frames=1_080, steps=None, batch_size=2, lr=1e-3, val_every=6, checkpoint_every=3, log_every=1),
)
