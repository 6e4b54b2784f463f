# The README's quick job (`posebench compare --quick`) on the CMU benchmark; same budget as configs/meva/quick.py.
_base_ = ["./cpu.py"]

model = dict(feat_dim=128, regressor_hidden=256)

train = dict(steps=400, batch_size=8, lr=5e-4, val_every=200, checkpoint_every=100, log_every=20)


