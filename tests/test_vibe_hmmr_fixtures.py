"""Synthetic data shared by the VIBE and HMMR tests (tests/test_vibe.py, tests/test_hmmr.py).

``SyntheticPoseDataset`` is a registered-dataset stand-in that fulfils the PoseDataset contract:
smooth random SMPL-24 motion posed by the built-in skeleton body model, seen through the
weak-perspective camera, with 73-d features that are a fixed linear function of the pose plus
noise (so a model can learn them). ``synthetic_plugin_system`` registers it as "synthetic"
through the public hook, so ``train_vibe``/``train_hmmr`` run end to end on it.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.hookspecs import hookimpl

FEATURE_DIM = 73  # the CMU benchmark's feature size
FPS = 30.0


@pytest.fixture(autouse=True)
def skeleton_body_model_params(monkeypatch):
    """The skeleton body model's parameter file ships with posebench; while it is absent from
    a checkout (it is built from motion capture by another module), use documented-schema
    parameters of a rough human T-pose so model tests do not depend on it."""
    import posebench.body_models.skeleton_model as sm

    if sm.DEFAULT_PARAMS_PATH.is_file():
        return
    rng = np.random.default_rng(3)
    offsets = rng.normal(0.0, 0.08, size=(24, 3))
    offsets[0] = [0.0, 0.95, 0.0]
    params = {"rest_offsets_mean_m": offsets, "shape_components_m": rng.normal(0.0, 0.01, size=(10, 24, 3)),
              "shape_std": np.linspace(1.0, 0.2, 10), "head_top_offset_m": np.array([0.0, 0.18, 0.02])}
    monkeypatch.setattr(sm, "load_default_params", lambda: params)


def smooth_motion(frames: int, rng: np.random.Generator) -> np.ndarray:
    """(frames, 24, 3) axis-angle: per-joint sinusoids (0.2-1 Hz at 30 fps), root turned upright in the camera."""
    t = np.arange(frames)[:, None, None] / FPS
    freq = rng.uniform(0.2, 1.0, size=(1, 24, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(1, 24, 3))
    amp = rng.uniform(0.05, 0.4, size=(1, 24, 3))
    aa = amp * np.sin(2 * np.pi * freq * t + phase)
    aa[:, 0] = [np.pi, 0.0, 0.0] + 0.1 * aa[:, 0]  # R_x(pi): upright, facing the camera
    return aa.astype(np.float32)


class SyntheticPoseDataset:
    name = "synthetic"
    fps = FPS
    kp2d_joint_set = "lsp14"

    def __init__(self, root=None, n_train: int = 4, n_val: int = 1, frames: int = 64, seed: int = 0,
                 n_test: int = 1):
        from posebench.body_models import get_body_model
        from posebench.geometry.rotations import axis_angle_to_matrix
        from posebench.nn import weak_perspective_project

        rng = np.random.default_rng(seed)
        body = get_body_model("skeleton")
        proj = rng.normal(0, 1 / np.sqrt(72), size=(72, FEATURE_DIM)).astype(np.float32)
        self._tracks: dict[str, list[Track]] = {}
        self._clips: dict[str, list[MotionClip]] = {}
        for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
            self._tracks[split], self._clips[split] = [], []
            for i in range(n):
                aa = smooth_motion(frames, rng)
                rotmat = axis_angle_to_matrix(torch.from_numpy(aa))
                betas = torch.from_numpy(np.tile(rng.normal(0, 0.5, 10).astype(np.float32), (frames, 1)))
                with torch.no_grad():
                    out = body.forward_sequence(betas, rotmat, None)
                    centre = out.lsp14_m.float()[..., :2].mean(dim=(0, 1))  # put the body mid-crop
                    cam = torch.cat([torch.tensor([0.8]), -centre]).expand(frames, 3)
                    uv = weak_perspective_project(out.lsp14_m.float(), cam)
                kp2d = np.concatenate([uv.numpy(), np.ones((frames, 14, 1), np.float32)], -1)
                features = aa.reshape(frames, 72) @ proj + rng.normal(0, 0.05, (frames, FEATURE_DIM)).astype(np.float32)
                name = f"{split}_{i:02d}"
                self._tracks[split].append(Track(
                    name=name, fps=FPS, features=features.astype(np.float32), kp2d=kp2d.astype(np.float32),
                    joints3d_m=out.lsp14_m.float().numpy(), joints24_m=out.joints24_m.float().numpy(),
                    pose_rotmat=rotmat.numpy(), betas=betas.numpy(), valid=np.ones(frames, bool)))
                self._clips[split].append(MotionClip(name=name, fps=FPS, pose_rotmat=rotmat.numpy(),
                                                     transl_m=np.zeros((frames, 3), np.float32)))

    def splits(self):
        return ("train", "val", "test")

    def tracks(self, split):
        return list(self._tracks[split])

    def motion(self, split):
        return list(self._clips[split])

    def status(self):
        return DatasetStatus(root=None, found=["generated"], missing=[], licence="synthetic (test data)")


class _SyntheticPlugin:
    """Registers "synthetic" through the public dataset hook, as a dataset plugin would."""

    __name__ = "synthetic-test-plugin"

    @hookimpl
    def posebench_register_datasets(self, register):
        register("synthetic", SyntheticPoseDataset, description="synthetic tracks for the VIBE/HMMR tests",
                 licence="synthetic")


@pytest.fixture
def synthetic_plugin_system():
    """The process plugin system with "synthetic" added; restored afterwards."""
    from posebench.registry import PluginSystem, reset_plugin_system

    system = PluginSystem(extra_plugins=[("synthetic-test", _SyntheticPlugin())])
    reset_plugin_system(system)
    yield system
    reset_plugin_system(None)


def train_test_twin_on_synthetic(system, model: str, out_dir) -> list[dict]:
    """Train ``MODEL-test`` (config ``MODEL/test``, 24 steps of 4 windows, lr 3e-3, seed 0) on the
    synthetic dataset of ``system`` into ``out_dir``; check that ``best.pt`` is written and the loss
    of the last 6 steps is under 0.6 x that of the first 6. Returns the train rows of metrics.csv."""
    import csv

    from posebench.config import load_config

    cfg = load_config(f"{model}/test", ["train.steps=24", "train.val_every=24", "train.checkpoint_every=12",
                                        "train.batch_size=4", "train.lr=3e-3"])
    train = system.models.get(f"{model}-test").metadata["train"]
    best = train(cfg, "synthetic", out_dir, device="cpu", seed=0)
    assert best == out_dir / "best.pt" and best.is_file()
    with open(out_dir / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "train"]
    loss = np.array([float(r["loss"]) for r in rows])
    assert len(loss) == 24
    assert loss[-6:].mean() < 0.6 * loss[:6].mean(), loss
    return rows


def test_synthetic_dataset_fulfils_the_dataset_contract():
    from posebench.testing import check_dataset

    ds = SyntheticPoseDataset(n_train=1, n_val=1, frames=24)
    check_dataset(ds)
    track = ds.tracks("train")[0]
    # The features carry the pose: they are not constant over time.
    assert track.features.std(0).mean() > 0.05
    assert np.abs(track.kp2d[..., :2]).max() < 1.0  # inside the crop
