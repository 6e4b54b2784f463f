# MEVA sized to train on the CMU benchmark on 2 CPU cores in well under an hour
# (VAE stage 1000 steps, e2e stage 1000 steps: ~25 min). Same architecture and losses as configs/meva/paper.py.
_base_ = ["./paper.py"]

vae_net = dict(nx=144, nz=128, nx_rnn=256, nh_mlp=[512, 256], t_total=90)

model = dict(
    feat_dim=256,
    ste_hidden=256,
    vme_hidden=128,
    regressor_hidden=512,
    dropout=0.1,
    vae_init_hidden=128,
    vae=vae_net,
    body_model="skeleton",
)

vae = dict(
    dataset=None,  # the dataset being trained on (CMU motion clips)
    epochs=10,
    steps_per_epoch=100,
    batch_size=64,
    lr=1e-3,
    crop_stride=3,
    body_model="skeleton",
)

train = dict(
    steps=1000,
    batch_size=16,
    lr=2e-4,
    val_every=250,
    checkpoint_every=250,
    window_stride=45,
    scheduler="none",
)
