# VIBE at the released sizes and recipe (docs/official_implementations.md §3.2, §4.1): unidirectional
# 2-layer GRU 1024, SPIN IEF regressor, motion discriminator (GRU 1024 x 2 + attention) on AMASS,
# SEQLEN 16, batch 32, generator Adam lr 5e-5, discriminator Adam lr 1e-4 wd 1e-4,
# 500 iters x 30 epochs, plateau on PA-MPJPE for both optimisers.
# Needs a GPU and the licensed datasets; `posebench train vibe --config paper --dataset ...`.
_base_ = ["../_base_/vibe_recipe_paper.py"]

model = dict(
    feat_dim=2048,
    hidden=1024,
    num_layers=2,
    bidirectional=False,  # the released weights are unidirectional (mkocabas/VIBE#151)
    add_linear=True,
    residual=True,
    regressor_hidden=1024,
    n_iter=3,
    dropout=0.5,
    disc_hidden=1024,
    disc_layers=2,
    disc_attention_layers=3,
    disc_attention_dropout=0.2,
    disc_lr=1e-4,
    disc_weight_decay=1e-4,
    disc_scheduler="plateau",
    adv_weight=0.5,
    disc_loss_weight=0.5,
    body_model="auto",  # SMPL when its files are found, else the built-in skeleton model
    loss_weights=dict(kp2d=300.0, kp3d=300.0, pose=60.0, shape=0.06),
)

# Real motion for the discriminator: 16-frame windows, one batch of train.batch_size per step.
motion = dict(dataset="amass", split="train", stride=None, batch_size=None)

train = dict(
    steps=15000,  # 500 iterations x 30 epochs; the rest of the recipe: configs/_base_/vibe_recipe_paper.py
    window_stride=None,  # None: 16 (VIBE's Insta/MPII3D windows do not overlap)
)

dataset_options = dict()
