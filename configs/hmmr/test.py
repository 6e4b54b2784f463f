# Tiny HMMR for CI ("hmmr-test"): trains a few steps in seconds; same schedule as configs/meva/test.py.
# The hallucinator is on here so CI exercises every loss term.
_base_ = ["./quick.py"]

model = dict(
    feat_dim=16,
    regressor_hidden=32,
    n_iter=2,
    dropout=0.0,
    hallucinator=True,
    hallucinator_preds=True,
)

train = dict(**_base_.budget.test)  # the comparison budget: configs/_base_/budget.py
