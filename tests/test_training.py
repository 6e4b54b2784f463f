"""The core training loop: windows, learning, checkpoints, exact resume, NaN handling, config."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.config import load_config, parse_cfg_options
from posebench.data.track import MotionClip
from posebench.errors import CheckpointError, PosebenchError
from posebench.registry import get_protocol
from posebench.training import (
    MotionWindows,
    TrackWindows,
    TrainConfig,
    TrainingError,
    collate_windows,
    fit,
    load_checkpoint,
    save_checkpoint,
    step_batch_indices,
)
from posebench.training.logging import read_metrics
from training_fixtures import TinyModel, make_tracks


def _model(seed=0) -> TinyModel:
    torch.manual_seed(seed)
    return TinyModel()


def test_track_windows_and_collate_weights():
    tracks = make_tracks(2, 20)
    tracks[1].joints3d_m = None
    tracks[0].valid[3] = False
    data = TrackWindows(tracks, window=8, stride=4)
    assert len(data) == 2 * 4  # starts 0, 4, 8, 12 per track
    batch = collate_windows([data[0], data[4]])
    assert batch.features.shape == (2, 8, 8) and batch.kp2d.shape == (2, 8, 14, 3)
    assert batch.w_3d[0].tolist() == [1, 1, 1, 0, 1, 1, 1, 1] and batch.w_3d[1].sum() == 0
    assert batch.w_smpl[1].sum() == 8 and torch.equal(batch.joints3d_m[1], torch.zeros(8, 14, 3))
    np.testing.assert_array_equal(batch.features[1].numpy(), tracks[1].features[:8])
    short = make_tracks(1, 5)
    assert len(TrackWindows(short, window=8)) == 0
    tracks[0].features = None
    with pytest.raises(PosebenchError, match="synthetic0_0.*'features'"):
        TrackWindows(tracks, window=8)


def test_motion_windows_transform_is_seeded():
    clip = MotionClip("walk", 30.0, np.tile(np.eye(3), (20, 24, 1, 1)), np.zeros((20, 3)))

    def jitter(win, rng):
        win.transl_m = win.transl_m + rng.normal(size=3)
        win.pose_rotmat = win.pose_rotmat * rng.uniform(0.5, 1.5)
        return win

    ds = MotionWindows([clip], window=10, stride=5, transform=jitter, seed=3)
    assert len(ds) == 3 and ds[0].shape == (10, 24, 3, 3) and ds[0].dtype == torch.float32
    assert torch.equal(ds[1], ds[1])
    before = ds[1]
    ds.set_epoch(1)
    assert not torch.equal(before, ds[1])
    bad = MotionWindows([clip], window=10, transform=lambda w, rng: MotionClip("x", 30.0, w.pose_rotmat[:5], w.transl_m[:5]))
    with pytest.raises(PosebenchError, match="5 frames"):
        bad[0]


def test_batch_order_is_a_pure_function_of_seed_and_step():
    a = [step_batch_indices(s, 10, 4, seed=1) for s in range(6)]
    assert a == [step_batch_indices(s, 10, 4, seed=1) for s in range(6)]
    flat = sum(a, [])
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:20]) == list(range(10))  # epochs are permutations
    ranks = [step_batch_indices(2, 10, 2, seed=1, world_size=2, rank=r) for r in range(2)]
    # two ranks of 2 windows share exactly the windows of one process taking 4
    assert ranks[0] + ranks[1] == step_batch_indices(2, 10, 4, seed=1)


def test_tiny_model_learns(tmp_path):
    model = _model()
    cfg = TrainConfig(steps=40, batch_size=4, lr=3e-3, val_every=40, checkpoint_every=40, log_every=1, seed=0)
    result = fit(model, make_tracks(3, 40), make_tracks(1, 24, seed=9), cfg, tmp_path, progress=False, protocol=get_protocol(cfg.protocol))
    losses = [r["loss"] for r in result.history if r["split"] == "train"]
    assert len(losses) == 40
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3])
    val = [r for r in result.history if r["split"] == "val"]
    assert len(val) == 1 and np.isfinite(val[0]["pa_mpjpe"]) and val[0]["pa_mpjpe"] > 0
    assert result.best_path.is_file() and result.last_path.is_file()
    rows = read_metrics(tmp_path / "metrics.csv")
    assert [r["loss"] for r in rows if r["split"] == "train"] == losses
    ckpt = load_checkpoint(result.best_path, "tiny", model=_model(5))
    assert ckpt["step"] == 40 and ckpt["best_metric"] == pytest.approx(val[0]["pa_mpjpe"])


def test_validation_takes_the_protocol_object_from_the_caller(tmp_path):
    """fit looks no name up (tests/test_layers.py): validating without the protocol object is an error."""
    cfg = TrainConfig(steps=2, batch_size=2, val_every=2, checkpoint_every=2, seed=0)
    with pytest.raises(PosebenchError, match="protocol"):
        fit(_model(), make_tracks(2, 40), make_tracks(1, 24, seed=9), cfg, tmp_path, progress=False)
    assert not (tmp_path / "last.pt").exists()


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_resume_after_a_kill_is_bit_identical(tmp_path):
    tracks, val = make_tracks(3, 40), make_tracks(1, 24, seed=9)
    cfg = TrainConfig(steps=6, batch_size=3, lr=1e-3, val_every=2, checkpoint_every=3, log_every=1, seed=4,
                      scheduler="plateau", plateau_patience=0, grad_clip=1.0)
    straight = _model()
    res_a = fit(straight, tracks, val, cfg, tmp_path / "a", progress=False, protocol=get_protocol(cfg.protocol))

    killed = _model()
    killed.fail_at_step = 5  # dies after step 5's update; last.pt is from step 3
    with pytest.raises(KeyboardInterrupt):
        fit(killed, tracks, val, cfg, tmp_path / "b", progress=False, protocol=get_protocol(cfg.protocol))
    assert load_checkpoint(tmp_path / "b" / "last.pt")["step"] == 3
    resumed = _model(seed=99)  # different init: everything must come from the checkpoint
    res_b = fit(resumed, tracks, val, cfg, tmp_path / "b", resume=True, progress=False, protocol=get_protocol(cfg.protocol))

    def rows(res):
        return [(r["step"], r["split"], r.get("loss"), r.get("pa_mpjpe"), r.get("lr")) for r in res.history]

    assert rows(res_a) == rows(res_b)
    assert [r["step"] for r in res_b.history if r["split"] == "train"] == [1, 2, 3, 4, 5, 6]
    wa, wb = _weights(straight), _weights(resumed)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert read_metrics(tmp_path / "a" / "metrics.csv") == read_metrics(tmp_path / "b" / "metrics.csv")
    # the plateau scheduler state went through the checkpoint too
    ckpt = load_checkpoint(tmp_path / "b" / "last.pt", "tiny")
    assert ckpt["step"] == 6 and "main" in ckpt["schedulers"] and ckpt["schedulers"]["main"]["patience"] == 0


def test_checkpoint_of_another_model_is_refused(tmp_path):
    model = _model()
    path = save_checkpoint(tmp_path / "vibe.pt", model_name="vibe", model=model, hparams=model.hparams, step=1)
    with pytest.raises(CheckpointError, match=r"vibe\.pt.*'vibe', not 'tiny'"):
        load_checkpoint(path, model_name="tiny")
    other = TinyModel({"width": 12})
    with pytest.raises(CheckpointError, match=r"vibe\.pt.*(missing|shape)"):
        load_checkpoint(path, model=other)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"junk\.pt"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(TrainingError, match="cannot resume"):
        fit(_model(), make_tracks(1, 20), None, TrainConfig(steps=1, batch_size=2), tmp_path / "none", resume=True,
            progress=False)


def test_nan_loss_stops_with_step_and_term_and_keeps_the_checkpoint(tmp_path):
    model = _model()
    model.nan_at_step = 3
    cfg = TrainConfig(steps=5, batch_size=2, checkpoint_every=2, log_every=1, val_every=100)
    with pytest.raises(TrainingError, match=r"'kp3d' is nan at step 3"):
        fit(model, make_tracks(2, 20), None, cfg, tmp_path, progress=False)
    ckpt = load_checkpoint(tmp_path / "last.pt", "tiny", model=_model())
    assert ckpt["step"] == 2


def test_train_config_rejects_unknown_options():
    with pytest.raises(PosebenchError, match="training options: unknown keys.*'stepz'"):
        TrainConfig.from_dict({"stepz": 3})
    with pytest.raises(PosebenchError, match="scheduler"):
        TrainConfig(scheduler="cosine")


def test_load_config_with_overrides(tmp_path):
    (tmp_path / "base.py").write_text("model = dict(window=16, hidden=1024)\ntrain = dict(lr=5e-5, steps=10)\n")
    (tmp_path / "child.py").write_text("_base_ = ['base.py']\ntrain = dict(steps=20)\n")
    cfg = load_config(tmp_path / "child.py", ["train.lr=1e-4", "model.window=8", "model.name=vibe", "x.flag=true"])
    assert cfg == {"model": {"window": 8, "hidden": 1024, "name": "vibe"}, "train": {"lr": 1e-4, "steps": 20},
                   "x": {"flag": True}}
    assert type(cfg["model"]) is dict
    assert parse_cfg_options({"a.b": 1}) == {"a.b": 1}
    with pytest.raises(PosebenchError, match="key=value"):
        parse_cfg_options(["oops"])
    with pytest.raises(PosebenchError, match="not found"):
        load_config("nomodel/nothing")
