"""Network parts shared by the model plugins (MEVA, VIBE, HMMR; the joints-only lifters TCN and MLP)."""
from posebench.nn.adapter import InputAdapter
from posebench.nn.camera import cam_to_translation, translation_to_cam, weak_perspective_project
from posebench.nn.losses import (
    NonFiniteLossError,
    SmplLossWeights,
    centre_midhip,
    check_finite,
    keypoint_2d_loss,
    keypoint_3d_loss,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    pose_loss,
    shape_loss,
    supervised_losses,
)
from posebench.nn.lifter import JointsLifter
from posebench.nn.regressor import (
    IterativeRegressor,
    default_mean_params,
    drop_official_smpl_keys,
    load_mean_params,
)
from posebench.nn.smpl_head import params_to_output
from posebench.nn.temporal import TemporalEncoder

__all__ = [
    "InputAdapter", "IterativeRegressor", "JointsLifter", "NonFiniteLossError", "SmplLossWeights", "TemporalEncoder",
    "cam_to_translation", "centre_midhip", "check_finite", "default_mean_params", "drop_official_smpl_keys",
    "keypoint_2d_loss", "keypoint_3d_loss", "load_mean_params", "lsgan_discriminator_loss", "lsgan_generator_loss", "params_to_output",
    "pose_loss", "shape_loss", "supervised_losses", "translation_to_cam", "weak_perspective_project",
]  # fmt: skip
