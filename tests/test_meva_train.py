"""MEVA training: the tiny config trains VAE and e2e steps on synthetic data and the losses go down;
schedule, augmentation switches, short-data and missing-VAE errors, exact VAE resume. (e2e resume is the
core loop's test, tests/test_training*.py.)"""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench.training.logging import read_metrics
from posebench_meva.train import train_e2e
from posebench_meva.train_vae import _val_loss, load_vae, lr_factor, prior_check_failure, train_vae
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
        for split, tracks in self._tracks.items():
            for i, t in enumerate(tracks):
                t.meta["subject"] = f"{split}{i}"

    def splits(self):
        return ("train", "val", "test")

    def tracks(self, split):
        return self._tracks[split]

    def motion(self, split):
        return [MotionClip(t.name, t.fps, t.pose_rotmat, np.zeros((len(t), 3), np.float32), subject=t.meta["subject"])
                for t in self._tracks[split]]


TINY_CFG = {
    "model": dict(feat_dim=16, ste_hidden=16, ste_layers=1, vme_hidden=8, vme_layers=1, regressor_hidden=32,
                  n_iter=2, dropout=0.0, vae_init_hidden=8, vae=dict(nz=8, nx_rnn=16, nh_mlp=[16, 8]),
                  body_model="skeleton"),
    "vae": dict(epochs=3, steps_per_epoch=4, batch_size=8, lr=3e-3, crop_stride=10, allow_weak_prior=True),
    "train": dict(steps=8, batch_size=2, lr=3e-3, val_every=8, checkpoint_every=4, log_every=1, window_stride=15),
}  # fmt: skip


def test_lr_schedule_shape_matches_meva():
    # MEVA: 1000 epochs, lr * (1 - max(0, e - 500) / 501)
    assert [lr_factor(e, 1000, 0.5) for e in (0, 500, 501, 999)] == pytest.approx([1, 1, 1 - 1 / 501, 1 - 499 / 501])
    assert lr_factor(5, 10, 0.5) == 1.0 and lr_factor(9, 10, 0.5) == pytest.approx(1 - 4 / 6)


def test_augmentation_switches():
    clip = SyntheticDataset(400).motion("train")[0]
    clip = MotionClip(clip.name, 120.0, clip.pose_rotmat, clip.transl_m)  # 400 frames at 120 fps -> 100 at 30 fps
    full = build_variants([clip], AugmentConfig(), 90)
    # speeds 0.75x, 1x, 1.5x -> 133, 100, 67 (dropped, < 90) frames; each with its mirror
    assert sorted(len(v) for v in full) == [100, 100, 133, 133]
    none = build_variants([clip], AugmentConfig(speed=False, flip=False), 90)
    assert [len(v) for v in none] == [100] and none[0].fps == 30.0
    aug = AugmentConfig(speed=False, flip=False, root_rotation=False, time_reverse=False)
    crops = crop_dataset([clip], aug, 90, 5, seed=0, source="test")
    np.testing.assert_allclose(crops[0].numpy(), none[0].pose_rotmat[:90], atol=1e-6)
    rotated = crop_dataset([clip], AugmentConfig(speed=False, flip=False, time_reverse=False), 90, 5, 0, "test")[0]
    np.testing.assert_allclose(rotated[:, 1:].numpy(), none[0].pose_rotmat[:90, 1:], atol=1e-6)  # only the root turns
    up = rotated[0, 0, :, 1].numpy()  # first frame's body up: within MEVA's 60 deg pitch range of -y
    assert -up[1] >= np.cos(np.radians(60)) - 1e-6
    with pytest.raises(PosebenchError, match="root_pitch_deg"):
        AugmentConfig.from_dict({"root_pitch_deg": [200, 180]})


def test_short_motion_is_a_clear_error():
    clip = SyntheticDataset(60).motion("train")[0]
    with pytest.raises(PosebenchError, match="dataset 'x', split 'train'.*90 frames"):
        crop_dataset([clip], AugmentConfig(), 90, 1, 0, "dataset 'x', split 'train'")


def test_vae_trains_and_reconstruction_improves(tmp_path):
    ds = SyntheticDataset()
    cfg = copy.deepcopy(TINY_CFG)
    cfg["vae"]["augment"] = {"root_rotation": False}  # the synthetic tracks' roots are not in camera axes
    best = train_vae(cfg, ds, tmp_path / "vae", "cpu")
    torch.manual_seed(0)  # train_vae's seed: the same initial weights
    initial = MotionVAE(VAEConfig.from_dict(cfg["model"]["vae"]))
    trained = load_vae(best)
    val = eval_windows(ds.motion("val"), 90)
    assert _val_loss(trained, val, VAELossWeights(), "cpu") < 0.8 * _val_loss(initial, val, VAELossWeights(), "cpu")
    rows = read_metrics(tmp_path / "vae" / "metrics.csv")
    assert [r["split"] for r in rows] == ["train", "val"] * 3
    before = vae_reconstruction_eval(initial, ds.motion("val"), body_model())
    after = vae_reconstruction_eval(trained, ds.motion("val"), body_model())
    assert after["mpjpe"] < before["mpjpe"] and after["n_frames"] == 240
    assert (tmp_path / "vae" / "report.json").is_file()


def test_vae_linear_path_starts_from_pca_and_trains_slowly(tmp_path):
    """With model.vae.linear_path the VAE starts at the PCA of training crops (reconstruction far better
    than a random GRU VAE's before any step), its linear layers move at lr * linear_path_lr_scale
    (0: not at all), and the run is reproducible."""
    ds = SyntheticDataset()
    cfg = copy.deepcopy(TINY_CFG)
    cfg["model"]["vae"].update(linear_path=True, residual_decoder=True)
    cfg["vae"].update(augment={"root_rotation": False}, linear_init_windows=64, linear_path_lr_scale=0.0, epochs=1)
    best = train_vae(cfg, ds, tmp_path / "a", "cpu")
    trained = load_vae(best)
    torch.manual_seed(0)
    random_init = MotionVAE(VAEConfig.from_dict(cfg["model"]["vae"]))
    val = ds.motion("val")
    assert (vae_reconstruction_eval(trained, val, body_model())["mpjpe"]
            < 0.5 * vae_reconstruction_eval(random_init, val, body_model())["mpjpe"])
    # lr scale 0: the linear layers are the PCA the run started from; a rerun gives the same bits
    again = load_vae(train_vae(cfg, ds, tmp_path / "b", "cpu"))
    for k, v in trained.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    cfg["vae"]["linear_path_lr_scale"] = 1.0
    moved = load_vae(train_vae(cfg, ds, tmp_path / "c", "cpu"))
    assert not torch.equal(moved.lin_dec.weight, trained.lin_dec.weight)


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


def _weak_prior_setup(tmp_path):
    ds = SyntheticDataset()
    cfg = copy.deepcopy(TINY_CFG)
    train_vae(cfg, ds, tmp_path / "vae", "cpu")
    cfg["vae"]["allow_weak_prior"] = False
    return ds, cfg


def test_e2e_refuses_a_vae_that_does_not_beat_the_middle_frame(tmp_path):
    ds, cfg = _weak_prior_setup(tmp_path)
    report = json.loads((tmp_path / "vae" / "report.json").read_text())
    check = report["prior_check"]
    assert check["passed"] is False and check["split"] == "test" and check["required_gain"] == 0.4
    test = report["splits"]["test"]
    assert set(test["baselines"]) == {"rest_pose_gt_root", "middle_frame_repeated", "moving_average_15"}
    with pytest.raises(PosebenchError) as err:
        train_e2e(cfg, ds, tmp_path, "cpu")
    msg = str(err.value)
    assert "middle frame repeated" in msg and "vae.allow_weak_prior=True" in msg
    assert f"{test['vae']['mpjpe']:.1f}" in msg and f"{test['baselines']['middle_frame_repeated']['mpjpe']:.1f}" in msg
    assert not (tmp_path / "last.pt").exists()  # refused before training


def _copy_vae_stage(src, dst):
    (dst / "vae").mkdir(parents=True)
    for name in ("best.pt", "report.json"):
        (dst / "vae" / name).write_bytes((src / "vae" / name).read_bytes())


def test_e2e_accepts_a_vae_that_passes_or_the_override(tmp_path):
    ds, cfg = _weak_prior_setup(tmp_path)
    cfg["train"].update(steps=1, val_every=1, checkpoint_every=1)
    path = tmp_path / "vae" / "report.json"
    report = json.loads(path.read_text())
    report["prior_check"]["passed"] = True  # as a strong prior's report says
    path.write_text(json.dumps(report))
    assert prior_check_failure(report, path) is None
    _copy_vae_stage(tmp_path, tmp_path / "passes")
    assert train_e2e(cfg, ds, tmp_path / "passes", "cpu").is_file()

    report["prior_check"]["passed"] = False
    path.write_text(json.dumps(report))
    _copy_vae_stage(tmp_path, tmp_path / "override")
    cfg["vae"]["allow_weak_prior"] = True
    assert train_e2e(cfg, ds, tmp_path / "override", "cpu").is_file()
    # A VAE stage without the check in its report is refused too.
    del report["prior_check"]
    assert "no 'prior_check'" in prior_check_failure(report, path)
