"""Recipe datasets (vibe-recipe, meva-recipe) over schema-exact fixtures of the VIBE-format files.

Poses in the fixtures are real CMU motion (skip when the real data is absent).
"""
from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from format_fixtures import clip_axis_angle, real_motion_clips, write_insta_h5, write_vibe_db
from posebench.registry import load_dataset
from posebench.testing import check_dataset
from posebench.training.windows import TrackWindows, collate_windows
from posebench_datasets.common import DatasetFilesMissing

RNG = np.random.default_rng(11)


def _db(lengths, k2d, k3d=None, with_pose=True, prefix="vid"):
    """A VIBE db dict: rows time-ordered per vid_name, poses from real motion."""
    clips = real_motion_clips(len(lengths), max(lengths)) if with_pose else [None] * len(lengths)
    db = {"vid_name": [], "frame_id": [], "features": [], "joints2D": [], "bbox": []}
    if k3d:
        db["joints3D"] = []
    if with_pose:
        db["pose"], db["shape"] = [], []
    for v, (clip, n) in enumerate(zip(clips, lengths)):
        db["vid_name"] += [f"{prefix}{v}"] * n
        db["frame_id"].append(np.arange(n))
        db["features"].append(RNG.normal(size=(n, 2048)).astype(np.float32))
        kp = np.concatenate([RNG.uniform(100, 400, (n, k2d, 2)), RNG.uniform(size=(n, k2d, 1)) > 0.2], -1)
        db["joints2D"].append(kp)
        db["bbox"].append(np.column_stack([RNG.uniform(200, 300, (n, 2)), np.full((n, 2), 250.0)]))
        if k3d:
            db["joints3D"].append(RNG.normal(scale=0.3, size=(n, k3d, 3)))
        if with_pose:
            db["pose"].append(clip_axis_angle(clip, n))
            db["shape"].append(np.repeat(RNG.normal(size=(1, 10)), n, 0))
    return {k: np.array(v) if isinstance(v[0], str) else np.concatenate(v, 0) for k, v in db.items()}


def _write_insta(root, lengths=(40, 20)):
    n = sum(lengths)
    kp = np.concatenate([RNG.uniform(0, 224, (n, 25, 2)), RNG.uniform(size=(n, 25, 1)) > 0.3], -1)
    names = np.concatenate([[f"clip{i}"] * L for i, L in enumerate(lengths)])
    write_insta_h5(root / "insta" / "insta_train_db.h5", vid_name=names,
                   frame_id=np.concatenate([np.arange(L) for L in lengths]), joints2D=kp,
                   features=RNG.normal(size=(n, 2048)))


def _write_vibe_recipe(root, with_mpii3d=True):
    _write_insta(root)
    if with_mpii3d:
        write_vibe_db(root / "mpii3d" / "mpii3d_train_db.pt", _db([36, 24], k2d=49, k3d=49, with_pose=False))
    write_vibe_db(root / "3dpw-vibe" / "3dpw_val_db.pt", _db([30], k2d=14, k3d=14, prefix="val"))
    write_vibe_db(root / "3dpw-vibe" / "3dpw_test_db.pt", _db([20, 18], k2d=14, k3d=14, prefix="test"))


def test_vibe_recipe_concatenates_components(tmp_path):
    _write_vibe_recipe(tmp_path)
    ds = load_dataset("vibe-recipe", root=tmp_path)
    assert ds.name == "vibe-recipe" and ds.fps == 30.0 and ds.kp2d_joint_set == "lsp14"
    assert ds.splits() == ("train", "val", "test")
    train = ds.tracks("train")
    insta = load_dataset("insta", root=tmp_path / "insta").tracks("train")
    mpii = load_dataset("mpii3d", root=tmp_path / "mpii3d").tracks("train")
    assert len(train) == len(insta) + len(mpii) == 4
    assert [t.name for t in train] == ["insta/clip0", "insta/clip1", "mpii3d/vid0", "mpii3d/vid1"]
    assert [len(t) for t in train] == [40, 20, 36, 24]
    assert all(t.fps == 30.0 for t in train)
    assert [t.meta["source_fps"] for t in train] == [30.0, 30.0, 25.0, 25.0]
    # same data as the components' own tracks, which keep their names and rates
    np.testing.assert_array_equal(train[2].joints3d_m, mpii[0].joints3d_m)
    np.testing.assert_array_equal(train[0].kp2d, insta[0].kp2d)
    assert mpii[0].fps == 25.0 and mpii[0].name == "vid0"
    assert [t.name for t in ds.tracks("test")] == ["3dpw-vibe/test0", "3dpw-vibe/test1"]
    assert len(ds.tracks("val")) == 1
    check_dataset(ds)
    st = ds.status()
    assert st.ready and sorted(st.found) == ["3dpw-vibe/3dpw_test_db.pt", "3dpw-vibe/3dpw_val_db.pt",
                                             "insta/insta_train_db.h5", "mpii3d/mpii3d_train_db.pt"]
    assert "MPI-INF-3DHP" in st.licence and "InstaVariety" in st.licence
    # 25 fps (mpii3d) and 30 fps (insta) windows collate into one 30 fps batch
    windows = TrackWindows(train, 16, 16)
    names = [windows[i]["name"] for i in range(len(windows))]
    batch = collate_windows([windows[names.index("insta/clip0")], windows[names.index("mpii3d/vid0")]])
    assert batch.fps == 30.0 and batch.features.shape == (2, 16, 2048)
    assert batch.w_3d[0].sum() == 0 and batch.w_3d[1].sum() == 16


def test_missing_component_names_its_path(tmp_path):
    _write_vibe_recipe(tmp_path, with_mpii3d=False)
    ds = load_dataset("vibe-recipe", root=tmp_path)
    with pytest.raises(DatasetFilesMissing, match=str(tmp_path / "mpii3d" / "mpii3d_train_db.pt")):
        ds.tracks("train")
    st = ds.status()
    assert st.missing == ["mpii3d/mpii3d_train_db.pt"] and not st.ready
    assert len(ds.tracks("test")) == 2  # the other splits still load


def test_meva_recipe_splits_and_motion(tmp_path):
    _write_vibe_recipe(tmp_path)
    write_vibe_db(tmp_path / "pennaction" / "pennaction_train_db.pt", _db([20], k2d=13, with_pose=False))
    h36m = _db([30], k2d=14, k3d=17)
    h36m["has_smpl"] = np.ones(30)
    write_vibe_db(tmp_path / "h36m" / "h36m_train_db.pt", h36m)
    ds = load_dataset("meva-recipe", root=tmp_path)
    train = ds.tracks("train")
    assert [t.meta["component"] for t in train] == ["insta", "insta", "pennaction", "mpii3d", "mpii3d", "h36m"]
    assert {t.fps for t in train} == {30.0}
    assert [t.meta["source_fps"] for t in train] == [30.0, 30.0, 30.0, 25.0, 25.0, 25.0]
    clips = ds.motion("train")  # only h36m has SMPL poses; motion keeps its true rate
    assert [c.name for c in clips] == ["h36m/vid0"] and clips[0].fps == 25.0
    np.testing.assert_allclose(clips[0].pose_rotmat, train[-1].pose_rotmat)
    st = ds.status()
    assert st.ready and "h36m/h36m_test_db.pt" not in st.missing + st.found  # unused split: not reported
    check_dataset(ds)


def test_vibe_trains_on_the_recipe(tmp_path):
    from posebench.config import load_config
    from posebench.registry import get_plugin_system

    torch.set_num_threads(1)
    data = tmp_path / "data"
    _write_vibe_recipe(data)
    h36m = _db([40], k2d=14, k3d=17)
    h36m["has_smpl"] = np.ones(40)
    write_vibe_db(data / "h36m" / "h36m_train_db.pt", h36m)
    cfg = load_config("vibe/test", ["train.steps=6", "train.batch_size=4", "train.val_every=6"])
    # the discriminator's real motion: h36m SMPL fits (25 fps, resampled to the recipe's 30 fps)
    cfg["motion"] = {"dataset": "h36m", "split": "train"}
    cfg["dataset_options"] = {"vibe-recipe": {"root": str(data)}, "h36m": {"root": str(data / "h36m")}}
    train = get_plugin_system().models.get("vibe-test").metadata["train"]
    best = train(cfg, "vibe-recipe", tmp_path / "out", device="cpu", seed=0)
    assert best.is_file()
    with open(tmp_path / "out" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    losses = [float(r["loss"]) for r in rows if r["split"] == "train"]
    assert len(losses) == 6 and np.all(np.isfinite(losses))
    val = [r for r in rows if r["split"] == "val"]
    assert val and np.isfinite(float(val[-1]["pa_mpjpe"]))
