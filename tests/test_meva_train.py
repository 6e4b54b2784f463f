"""MEVA training: the tiny config trains VAE and e2e steps on synthetic data and the losses go down;
schedule, augmentation switches, short-data and missing-VAE errors, exact VAE resume. (e2e resume is the
core loop's test, tests/test_training*.py.)"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench.training.logging import read_metrics
from posebench_meva.train import train_e2e
from posebench_meva.train_vae import _val_loss, load_vae, lr_factor, train_vae
from posebench_meva.vae import MotionVAE, VAEConfig, VAELossWeights
from posebench_meva.vae_data import AugmentConfig, build_variants, crop_dataset, eval_windows
from posebench_meva.vae_eval import vae_reconstruction_eval

from training_fixtures import body_model, make_tracks


pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(autouse=True)
def _skeleton_body_model(monkeypatch):
    """The fixtures' explicit skeleton parameters, so the tests do not depend on shipped files."""
    import posebench_meva.model
    import posebench_meva.train_vae

    monkeypatch.setattr(posebench_meva.model, "get_body_model", lambda kind: body_model())
    monkeypatch.setattr(posebench_meva.train_vae, "get_body_model", lambda kind: body_model())


class SyntheticDataset:
    """Tracks from the training fixtures (pose a smooth function of the features) and their motion."""

    name = "synthetic"
    fps = 30.0
    kp2d_joint_set = "lsp14"

    def __init__(self, n_frames: int = 120):
        self._tracks = {s: make_tracks(2, n_frames, seed=i) for i, s in enumerate(("train", "val", "test"))}

    def splits(self):
        return ("train", "val", "test")

    def tracks(self, split):
        return self._tracks[split]

    def motion(self, split):
        return [MotionClip(t.name, t.fps, t.pose_rotmat, np.zeros((len(t), 3), np.float32)) for t in self._tracks[split]]


TINY_CFG = {
    "model": dict(feat_dim=16, ste_hidden=16, ste_layers=1, vme_hidden=8, vme_layers=1, regressor_hidden=32,
                  n_iter=2, dropout=0.0, vae_init_hidden=8, vae=dict(nz=8, nx_rnn=16, nh_mlp=[16, 8]),
                  body_model="skeleton"),
    "vae": dict(epochs=3, steps_per_epoch=4, batch_size=8, lr=3e-3, crop_stride=10),
    "train": dict(steps=8, batch_size=2, lr=3e-3, val_every=8, checkpoint_every=4, log_every=1, window_stride=15),
}  # fmt: skip


def test_lr_schedule_shape_matches_meva():
    # MEVA: 1000 epochs, lr * (1 - max(0, e - 500) / 501)
    assert [lr_factor(e, 1000, 0.5) for e in (0, 500, 501, 999)] == pytest.approx([1, 1, 1 - 1 / 501, 1 - 499 / 501])
    assert lr_factor(5, 10, 0.5) == 1.0 and lr_factor(9, 10, 0.5) == pytest.approx(1 - 4 / 6)


def test_augmentation_switches():
    clip = SyntheticDataset(400).motion("train")[0]
    clip = MotionClip(clip.name, 120.0, clip.pose_rotmat, clip.transl_m)  # 400 frames at 120 fps
    full = build_variants([clip], AugmentConfig(), 90)
    # skips 6, 4, 3 -> 66 (dropped, < 90), 100, 134 frames; each with its mirror
    assert sorted(len(v) for v in full) == [100, 100, 134, 134]
    none = build_variants([clip], AugmentConfig(speed=False, flip=False), 90)
    assert [len(v) for v in none] == [100]  # skip 4: 30 fps
    aug = AugmentConfig(speed=False, flip=False, root_rotation=False, time_reverse=False)
    crops = crop_dataset([clip], aug, 90, 5, seed=0, source="test")
    np.testing.assert_array_equal(crops[0].numpy(), clip.pose_rotmat[::4][:90])
    rotated = crop_dataset([clip], AugmentConfig(speed=False, flip=False, time_reverse=False), 90, 5, 0, "test")[0]
    np.testing.assert_allclose(rotated[:, 1:].numpy(), clip.pose_rotmat[::4][:90, 1:])  # only the root turns
    assert not np.allclose(rotated[:, 0].numpy(), clip.pose_rotmat[::4][:90, 0])


def test_short_motion_is_a_clear_error():
    clip = SyntheticDataset(60).motion("train")[0]
    with pytest.raises(PosebenchError, match="dataset 'x', split 'train'.*90 frames"):
        crop_dataset([clip], AugmentConfig(), 90, 1, 0, "dataset 'x', split 'train'")


def test_vae_trains_and_reconstruction_improves(tmp_path):
    ds = SyntheticDataset()
    cfg = copy.deepcopy(TINY_CFG)
    best = train_vae(cfg, ds, tmp_path / "vae", "cpu")
    torch.manual_seed(0)  # train_vae's seed: the same initial weights
    initial = MotionVAE(VAEConfig.from_dict(cfg["model"]["vae"]))
    trained = load_vae(best)
    val = eval_windows(ds.motion("val"), 90)
    assert _val_loss(trained, val, VAELossWeights(), "cpu") < 0.7 * _val_loss(initial, val, VAELossWeights(), "cpu")
    rows = read_metrics(tmp_path / "vae" / "metrics.csv")
    assert [r["split"] for r in rows] == ["train", "val"] * 3
    before = vae_reconstruction_eval(initial, ds.motion("val"), body_model())
    after = vae_reconstruction_eval(trained, ds.motion("val"), body_model())
    assert after["mpjpe"] < before["mpjpe"] and after["n_frames"] == 240
    assert (tmp_path / "vae" / "report.json").is_file()


def test_e2e_needs_the_vae_stage(tmp_path):
    with pytest.raises(PosebenchError, match=r"--stage vae"):
        train_e2e(copy.deepcopy(TINY_CFG), SyntheticDataset(), tmp_path, "cpu")


def test_e2e_short_tracks_error_names_dataset_and_split(tmp_path):
    with pytest.raises(PosebenchError, match="dataset 'synthetic', split 'train'.*90 frames"):
        train_e2e(copy.deepcopy(TINY_CFG), SyntheticDataset(60), tmp_path, "cpu")


def test_e2e_trains_with_frozen_vae_and_loss_goes_down(tmp_path):
    ds = SyntheticDataset()
    cfg = copy.deepcopy(TINY_CFG)
    train_vae(cfg, ds, tmp_path / "vae", "cpu")
    vae_before = load_vae(tmp_path / "vae" / "best.pt").state_dict()
    best = train_e2e(cfg, ds, tmp_path, "cpu")
    assert best == tmp_path / "best.pt"
    ckpt = torch.load(best, weights_only=True)
    assert ckpt["model_name"] == "meva"
    for k, v in vae_before.items():  # the pretrained VAE stayed frozen
        torch.testing.assert_close(ckpt["state_dict"][f"vae_model.{k}"], v)
    rows = [r for r in read_metrics(tmp_path / "metrics.csv") if r["split"] == "train"]
    losses = [r["loss"] for r in rows]
    assert len(losses) == 8
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    assert any(r["split"] == "val" and np.isfinite(r["pa_mpjpe"]) for r in read_metrics(tmp_path / "metrics.csv"))


def test_vae_resume_after_a_kill_gives_the_same_weights(tmp_path, monkeypatch):
    """3 epochs straight vs a run killed after writing epoch 2's last.pt, then --resume: identical weights."""
    import posebench_meva.train_vae as tv

    ds = SyntheticDataset()
    straight = train_vae(copy.deepcopy(TINY_CFG), ds, tmp_path / "straight", "cpu")

    class Killed(Exception):
        pass

    real_save, saved_last = tv.save_checkpoint, []

    def save_then_die(path, **kwargs):
        real_save(path, **kwargs)
        if path.name == "last.pt":
            saved_last.append(path)
            if len(saved_last) == 2:
                raise Killed

    monkeypatch.setattr(tv, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        train_vae(copy.deepcopy(TINY_CFG), ds, tmp_path / "killed", "cpu")
    monkeypatch.setattr(tv, "save_checkpoint", real_save)
    resumed = train_vae(copy.deepcopy(TINY_CFG), ds, tmp_path / "killed", "cpu", resume=True)
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "killed" / "last.pt", weights_only=True)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert straight.name == resumed.name == "best.pt"
