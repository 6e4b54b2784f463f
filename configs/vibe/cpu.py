# VIBE sized to train on the CMU benchmark on 2 CPU cores. Same architecture and losses as
# configs/vibe/paper.py; the optimiser-step budget, batch size, learning rate, validation
# cadence and input adapter match configs/meva/cpu.py (controlled comparison).
# The discriminator's real motion is the training dataset's own train-split motion (CMU).
_base_ = ["./paper.py", "../_base_/budget.py"]

model = dict(
    feat_dim=256,
    hidden=256,
    regressor_hidden=512,
    dropout=0.1,
    disc_hidden=256,
    disc_scheduler="none",
    body_model="skeleton",
)

motion = dict(dataset=None)

train = dict(
    **_base_.budget.cpu,  # the comparison budget: configs/_base_/budget.py
    window_stride=8,  # half a window, as MEVA's cpu config (45 of 90)
)
