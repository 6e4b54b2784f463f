_base_ = ["../_base_/lifter_paper.py"]

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

train = dict(batch_size=64)  # 64 windows x 16 frames = 1024 frames, the paper's batch (they batch frames); the rest: configs/_base_/lifter_paper.py

dataset_options = dict()
