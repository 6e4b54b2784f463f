# The README's quick job (`posebench compare --quick`) for the TCN lifter; the quick budget.
_base_ = ["./cpu.py"]

model = dict(channels=128)

train = dict(**_base_.budget.quick)  # the comparison budget: configs/_base_/budget.py
