# A tiny TCN lifter for CI: trains a few steps in seconds; the test budget.
_base_ = ["./quick.py"]

model = dict(channels=16, window=32)

train = dict(**_base_.budget.test)  # the comparison budget: configs/_base_/budget.py
