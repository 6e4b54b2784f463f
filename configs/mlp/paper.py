# The per-frame lifter at the paper's sizes (Martinez et al. ICCV 2017): Linear 1024, 2 residual
# blocks of (Linear, BN, ReLU, dropout 0.5) x 2, Linear out; Adam lr 1e-3. The paper's max-norm
# constraint and exponential lr decay are not reproduced (the core loop's schedule is used).
model = dict(
    hidden=1024,
    blocks=2,
    dropout=0.5,
    input_channels="per-frame",  # no temporal-difference channels: frame t sees frame t only
    window=16,  # windows the harness feeds; the model treats each frame on its own
)

train = dict(
    steps=60000,
    batch_size=64,  # 64 windows x 16 frames = 1024 frames, the paper's batch (they batch frames)
    lr=1e-3,
    weight_decay=0.0,
    val_every=1000,
    checkpoint_every=1000,
    window_stride=None,
    scheduler="none",
    select_metric="pa_mpjpe",
)

dataset_options = dict()
