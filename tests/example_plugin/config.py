# Tiny config for the example plugin: trains in a few seconds.
model = dict(feat_dim=32, hidden=32)
train = dict(steps=6, batch_size=4, lr=1e-3, val_every=6, checkpoint_every=6, log_every=3)
