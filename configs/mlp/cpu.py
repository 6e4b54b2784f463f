# The per-frame lifter on the CMU benchmark on 2 CPU cores at the comparison budget
# (configs/_base_/budget.py); the paper's sizes (1024 units) are cheap enough to keep. The same
# 16-frame windows, stride 8, as VIBE's cpu config, so it sees the same frames per step.
_base_ = ["./paper.py", "../_base_/budget.py"]

train = dict(
    **_base_.budget.cpu,  # the comparison budget: configs/_base_/budget.py
    window_stride=8,
)
