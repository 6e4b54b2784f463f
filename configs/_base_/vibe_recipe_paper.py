# The paper-size training section VIBE and MEVA share (MEVA trains with VIBE's recipe; configs/vibe/paper.py,
# configs/meva/paper.py): batch 32, Adam lr 5e-5, no weight decay or clipping, validation and checkpoints every
# 500 iterations, ReduceLROnPlateau (0.1, patience 5) on PA-MPJPE, which also selects the best checkpoint.
# Each model's file sets its step budget and window stride.
train = dict(
    batch_size=32,
    lr=5e-5,
    weight_decay=0.0,
    grad_clip=None,
    val_every=500,
    checkpoint_every=500,
    scheduler="plateau",
    plateau_factor=0.1,
    plateau_patience=5,
    select_metric="pa_mpjpe",
)
