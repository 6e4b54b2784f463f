# The TCN lifter sized to train on the CMU benchmark on 2 CPU cores, at the comparison budget
# (configs/_base_/budget.py: same optimiser steps, batch size, lr and validation as MEVA, VIBE, HMMR).
# Receptive field 27 frames (dilations 3, 9); 64-frame windows: every CMU training track is at least
# 64 frames long, so the TCN trains on exactly the tracks the other models do. Sequence training:
# all 64 frames of a window are supervised in one pass.
_base_ = ["./paper.py", "../_base_/budget.py"]

model = dict(receptive_field=27, channels=256, window=64)

train = dict(
    **_base_.budget.cpu,  # the comparison budget: configs/_base_/budget.py
    window_stride=32,  # half a window, as the other cpu configs
)
