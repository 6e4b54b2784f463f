# Tiny MEVA for CI ("meva-test"): trains a few VAE and e2e steps in seconds.
_base_ = ["./quick.py"]

vae_net = dict(nx=144, nz=8, nx_rnn=16, nh_mlp=[16, 8], t_total=90, residual_decoder=False, linear_path=False)

model = dict(
    feat_dim=16,
    ste_hidden=16,
    ste_layers=1,
    vme_hidden=8,
    vme_layers=1,
    regressor_hidden=32,
    n_iter=2,
    dropout=0.0,
    vae_init_hidden=8,
    vae=vae_net,
)

vae = dict(epochs=2, steps_per_epoch=3, batch_size=4, lr=1e-3, crop_stride=30,
           allow_weak_prior=True)  # far too small to beat the middle-frame baseline

train = dict(**_base_.budget.test)  # the comparison budget: configs/_base_/budget.py
