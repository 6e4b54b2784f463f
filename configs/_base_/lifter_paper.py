# The paper-size training section the two lifting baselines (configs/tcn/paper.py, configs/mlp/paper.py)
# share: Adam lr 1e-3, no weight decay, validation and checkpoints every 1000 steps, selection on PA-MPJPE.
# Each model's file sets only its batch size (windows per step).
train = dict(
    steps=60000,
    lr=1e-3,
    weight_decay=0.0,
    val_every=1000,
    checkpoint_every=1000,
    window_stride=None,
    scheduler="none",
    select_metric="pa_mpjpe",
)
