"""Shared by tests/test_training*.py (and the DDP worker script): a tiny PoseModel made of the
real shared parts (InputAdapter + TemporalEncoder + IterativeRegressor + skeleton body model)
and synthetic tracks whose targets are a smooth function of the features."""
from __future__ import annotations

import numpy as np
import torch

from posebench.body_models.skeleton_model import SkeletonBodyModel
from posebench.data.track import Track
from posebench.geometry.rotations import axis_angle_to_matrix
from posebench.models.base import PoseModel, WindowBatch
from posebench.nn import (
    InputAdapter,
    IterativeRegressor,
    TemporalEncoder,
    params_to_output,
    supervised_losses,
    weak_perspective_project,
)

FEAT = 8


def skeleton_params() -> dict:
    """Explicit, plausible skeleton parameters (bone lengths of an adult, +Y up, metres)."""
    rng = np.random.default_rng(7)
    offsets = np.zeros((24, 3))
    offsets[0] = (0.0, 0.93, 0.0)
    for j in range(1, 24):
        # hips and collars go sideways (left = +x), the rest mostly along the parent's bone
        side = 1.0 if j % 3 == 1 else (-1.0 if j % 3 == 2 else 0.0)
        down = -1.0 if j in (1, 2, 4, 5, 7, 8, 10, 11) else 1.0
        offsets[j] = (0.08 * side, 0.12 * down, 0.01 * rng.standard_normal())
    return {
        "rest_offsets_mean_m": offsets,
        "shape_components_m": 0.01 * rng.standard_normal((10, 24, 3)),
        "shape_std": np.ones(10),
        "head_top_offset_m": np.array([0.0, 0.12, 0.0]),
    }


def body_model() -> SkeletonBodyModel:
    return SkeletonBodyModel(skeleton_params())


class TinyModel(PoseModel):
    name = "tiny"
    window = 8
    inputs = ("features",)

    def __init__(self, hparams: dict | None = None):
        super().__init__({"feat": FEAT, "width": 16, **(hparams or {})})
        width = self.hparams["width"]
        self.adapter = InputAdapter(self.hparams["feat"], width)
        self.encoder = TemporalEncoder(width, width, num_layers=1)
        self.regressor = IterativeRegressor(width, hidden=32, n_iter=2, dropout=0.1)
        self.body = body_model()
        self.fail_at_step = None  # tests: raise inside after_step at this step (a "kill")
        self.nan_at_step = None  # tests: make the loss NaN at this step
        self.steps_done = 0

    def forward(self, batch: WindowBatch):
        B, T, _ = batch.features.shape
        x = self.encoder(self.adapter(batch.features))
        r = self.regressor(x.reshape(B * T, -1))
        return params_to_output(self.body, r["rotmat"].reshape(B, T, 24, 3, 3), r["betas"].reshape(B, T, 10),
                                r["cam"].reshape(B, T, 3))

    def training_losses(self, batch, out):
        if self.nan_at_step is not None and self.steps_done + 1 == self.nan_at_step:
            out.joints_lsp14_m = out.joints_lsp14_m * float("nan")
        return supervised_losses(batch, out)

    def after_step(self, batch, out):
        self.steps_done += 1
        if self.fail_at_step is not None and self.steps_done == self.fail_at_step:
            raise KeyboardInterrupt("simulated kill")
        return {}


def make_tracks(n_tracks: int = 3, n_frames: int = 40, seed: int = 0) -> list[Track]:
    """Tracks whose pose is a fixed smooth function of the features (so a model can learn it)."""
    rng = np.random.default_rng(seed)
    W = np.random.default_rng(123).standard_normal((FEAT, 24 * 3)) * 0.3
    body = body_model().double()
    flip = torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64))
    tracks = []
    for k in range(n_tracks):
        t = np.arange(n_frames)[:, None]
        feats = np.sin(t * rng.uniform(0.05, 0.3, FEAT) + rng.uniform(0, 6, FEAT))
        aa = 0.4 * np.tanh(feats @ W).reshape(n_frames, 24, 3)
        rot = axis_angle_to_matrix(torch.as_tensor(aa))
        rot[:, 0] = flip @ rot[:, 0]  # upright, facing the camera
        betas = torch.zeros(n_frames, 10, dtype=torch.float64)
        joints = body(betas, rot).lsp14_m
        cam = torch.tensor([0.9, 0.0, 0.0], dtype=torch.float64).expand(n_frames, 3)
        kp = weak_perspective_project(joints, cam)
        kp2d = torch.cat([kp, torch.ones(n_frames, 14, 1, dtype=torch.float64)], -1)
        tracks.append(Track(
            name=f"synthetic{seed}_{k}", fps=30.0, features=feats.astype(np.float32),
            kp2d=kp2d.numpy().astype(np.float32), joints3d_m=(joints + torch.tensor([0, 0, 4.0])).numpy().astype(np.float32),
            pose_rotmat=rot.numpy().astype(np.float32), betas=betas.numpy().astype(np.float32),
            valid=np.ones(n_frames, bool),
        ))  # fmt: skip
    return tracks
