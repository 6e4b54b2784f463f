# The comparison budget: every model's cpu / quick / test config trains with these optimiser-step budgets,
# batch sizes, learning rates and validation cadences, so MEVA, VIBE and HMMR (and any model added beside
# them) are compared at equal cost. A model config takes its tier with
#     _base_ = ["./paper.py", "../_base_/budget.py"]
#     train = dict(**_base_.budget.cpu, window_stride=...)
# and tests/test_config_budget.py checks that every shipped cpu/quick/test config matches its tier.
# Change a number here, not in a model's file.
budget = dict(
    # Trains on the CMU benchmark on 2 CPU cores (the README's controlled comparison).
    cpu=dict(steps=1000, batch_size=16, lr=2e-4, weight_decay=0.0, val_every=250, checkpoint_every=250,
             scheduler="none"),
    # The README's quick job (`posebench compare --quick`): a few minutes per model.
    quick=dict(steps=400, batch_size=8, lr=5e-4, val_every=200, checkpoint_every=100, log_every=20),
    # CI: a few steps, seconds per model.
    test=dict(steps=6, batch_size=2, lr=1e-3, val_every=6, checkpoint_every=3, log_every=1),
)
