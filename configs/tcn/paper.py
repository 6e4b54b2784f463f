_base_ = ["../_base_/lifter_paper.py"]

# The TCN lifter at the paper's sizes (Pavllo et al. CVPR 2019, VideoPose3D): receptive field 243
# frames (dilations 3, 9, 27, 81), 1024 channels, dropout 0.25, batch norm, flip augmentation at
# train and test time, Adam lr 1e-3. Approximate schedule: the paper trains 80 epochs on Human3.6M
# with batches of 1024 and a per-epoch lr decay (0.95), which the core loop does not reproduce.
model = dict(
    receptive_field=243,
    channels=1024,
    dropout=0.25,
    causal=False,  # True: the paper's causal (online) variant, frame t sees t-242 .. t
    bn_momentum=0.1,
    flip_train=True,
    flip_test=True,
    window=243,
)

train = dict(batch_size=8)  # windows of 243 frames, every frame supervised (sequence training); the rest: configs/_base_/lifter_paper.py

dataset_options = dict()
