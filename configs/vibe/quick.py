# The README's quick job (`posebench compare --quick`) on the CMU benchmark; same budget as configs/meva/quick.py.
_base_ = ["./cpu.py"]

model = dict(feat_dim=128, hidden=128, regressor_hidden=256, disc_hidden=128)

train = dict(**_base_.budget.quick)  # the comparison budget: configs/_base_/budget.py


