# MEVA at the released sizes and schedules (ZhengyiLuo/MEVA meva/cfg/vae_rec_2.yml, train_meva_2.yml):
# VAE vae_rec_2 (nz 512, 1000 epochs, lr 1e-4, batch 512) and train_meva_2
# (feat 2048, SEQLEN 90, batch 32, Adam lr 5e-5, 500 iters x 100 epochs, plateau on PA-MPJPE).
# Needs a GPU and the licensed datasets; `posebench train meva --config paper --dataset ...`.
_base_ = ["../_base_/vibe_recipe_paper.py"]

vae_net = dict(nx=144, nz=512, nx_rnn=512, nh_mlp=[1024, 512], t_total=90)

model = dict(
    feat_dim=2048,
    ste_hidden=1024,
    ste_layers=2,
    vme_hidden=512,
    vme_layers=2,
    regressor_hidden=1024,
    n_iter=3,
    dropout=0.5,
    vae_init_hidden=256,
    vae=vae_net,
    vme_only=False,  # Table 4 ablation: VME poses only, no MRR refinement
    pretrained_vae=True,  # Table 4 ablation: False trains a random VAE decoder end to end
    body_model="auto",  # SMPL when its files are found, else the built-in skeleton model
    loss_weights=dict(kp2d=300.0, kp3d=300.0, pose=60.0, shape=0.06),
)

vae = dict(
    dataset=None,  # None: the dataset MEVA is trained on; its train + val subjects (minus held-out ones) train the prior
    train_splits=["train", "val"],
    select_split="val",
    select_every=2,  # every 2nd val subject (sorted) is held out for model selection
    test_split="test",  # never seen by the prior; Table 1 analog and the prior check run here, in camera frame
    extra_motion=["amass"],  # the paper's prior is trained on AMASS: added whenever its files are present
    epochs=1000,
    steps_per_epoch=977,  # 500000 samples per epoch / batch 512
    batch_size=512,
    lr=1e-4,
    decay_start_frac=0.5,  # LambdaLR: constant for 500 epochs, then linear decay
    grad_clip=5.0,
    crop_stride=1,
    body_model="auto",
    allow_weak_prior=False,  # True lets the e2e stage start from a VAE that fails the prior check
    loss_weights=dict(mse=1.0, root=20.0, kld=0.1),
    # Table 3 ablation switches: FR = speed, LR = flip, RR = root_rotation.
    # root_pitch_deg: MEVA's first-frame root pitch range (R_x(U[180, 240) deg) @ R_y(U[0, 360) deg)).
    augment=dict(speed=True, speed_factors=[0.75, 1.0, 1.5], flip=True, root_rotation=True,
                 root_pitch_deg=[180.0, 240.0], time_reverse=True, p_reverse=0.5),
)

train = dict(
    steps=50000,  # 500 iterations x 100 epochs; the rest of the recipe: configs/_base_/vibe_recipe_paper.py
    window_stride=None,  # None: MEVA's per-dataset stride (posebench_meva.train.MEVA_STRIDES)
)

dataset_options = dict()
