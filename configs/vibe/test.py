# Tiny VIBE for CI ("vibe-test"): trains a few steps in seconds; same schedule as configs/meva/test.py.
_base_ = ["./quick.py"]

model = dict(
    feat_dim=16,
    hidden=16,
    num_layers=1,
    regressor_hidden=32,
    n_iter=2,
    dropout=0.0,
    disc_hidden=16,
    disc_layers=1,
)

train = dict(**_base_.budget.test)  # the comparison budget: configs/_base_/budget.py
