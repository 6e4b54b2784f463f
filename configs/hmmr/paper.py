# HMMR at its released sizes and recipe (docs/official_implementations.md §3.4, §4.3): f_movie of 3
# GroupNorm/Conv1d residual blocks (2048 channels, receptive field 13), IEF regressor, ±5-frame
# past/future heads, hallucinator with hallucinated predictions; T = 20, batch 8, Adam lr 1e-5,
# weight decay 1e-4. The adversarial pose prior is off in posebench (see posebench_hmmr.model).
# Needs a GPU and the licensed datasets; `posebench train hmmr --config paper --dataset ...`.
model = dict(
    feat_dim=2048,
    num_blocks=3,
    kernel_size=3,
    groupnorm_groups=32,
    norm_over_time=False,  # True: HMMR's GroupNorm statistics pooled over the window
    regressor_hidden=1024,
    n_iter=3,
    dropout=0.5,
    predict_past_future=True,
    delta_t=5,
    hallucinator=True,
    hallucinator_preds=True,
    body_model="auto",  # SMPL when its files are found, else the built-in skeleton model
    loss_weights=dict(kp2d=60.0, kp3d=60.0, smpl=60.0, shape_const=1.0, hallucinate=1.0, delta=1.0, hal_preds=1.0),
)

train = dict(
    steps=1119816,  # the released model's iteration (max_iteration 5e6)
    batch_size=8,
    lr=1e-5,
    weight_decay=1e-4,
    grad_clip=None,
    val_every=5000,
    checkpoint_every=5000,
    window_stride=None,  # None: 20
    scheduler="none",
    select_metric="pa_mpjpe",
)

dataset_options = dict()
