# HMMR sized to train on the CMU benchmark on 2 CPU cores. Same architecture and losses as
# configs/hmmr/paper.py; the optimiser-step budget, batch size, learning rate, validation
# cadence and input adapter match configs/meva/cpu.py (controlled comparison). The
# hallucinator (used only for single images, never by the video output) is off to save time.
_base_ = ["./paper.py", "../_base_/budget.py"]

model = dict(
    feat_dim=256,
    regressor_hidden=512,
    dropout=0.1,
    hallucinator=False,
    hallucinator_preds=False,
    body_model="skeleton",
)

train = dict(
    **_base_.budget.cpu,  # the comparison budget: configs/_base_/budget.py
    window_stride=10,  # half a window, as MEVA's cpu config (45 of 90)
)
