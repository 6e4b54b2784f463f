"""VIBE ``*_db.pt``, ``insta_train_db.h5`` and AMASS read back through the registry.

Poses in the fixtures are real CMU motion (skip when the real data is absent).
"""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from format_fixtures import (clip_axis_angle, real_motion_clips, smpl72_to_smplh156, write_amass_npz,
                             write_insta_h5, write_vibe_db)
from posebench.errors import DataFormatError, PosebenchError
from posebench.geometry.rotations import axis_angle_to_matrix
from posebench.registry import load_dataset

RNG = np.random.default_rng(7)


def _rotmat(aa):
    return axis_angle_to_matrix(torch.as_tensor(aa, dtype=torch.float64)).numpy()


def _rows(lengths, k2d, k3d=None, with_pose=True):
    """A VIBE db dict of two videos from real motion: per-frame rows, time-ordered per vid_name."""
    clips = real_motion_clips(len(lengths), max(lengths))
    db = {"vid_name": [], "frame_id": [], "features": [], "joints2D": [], "bbox": [], "img_name": []}
    if k3d:
        db["joints3D"] = []
    if with_pose:
        db["pose"], db["shape"] = [], []
    for v, (clip, n) in enumerate(zip(clips, lengths)):
        db["vid_name"] += [f"vid{v}"] * n
        db["frame_id"].append(np.arange(n))
        db["img_name"] += [f"vid{v}/{i:06d}.jpg" for i in range(n)]
        db["features"].append(RNG.normal(size=(n, 2048)).astype(np.float32))
        kp = np.concatenate([RNG.uniform(100, 400, (n, k2d, 2)), (RNG.uniform(size=(n, k2d, 1)) > 0.2)], -1)
        db["joints2D"].append(kp)
        db["bbox"].append(np.column_stack([RNG.uniform(200, 300, (n, 2)), np.full((n, 2), 250.0)]))
        if k3d:
            db["joints3D"].append(RNG.normal(size=(n, k3d, 3)))
        if with_pose:
            db["pose"].append(clip_axis_angle(clip, n))
            db["shape"].append(np.repeat(RNG.normal(size=(1, 10)), n, 0))
    for k, v in db.items():
        db[k] = np.array(v) if isinstance(v[0], str) else np.concatenate(v, 0)
    return db


def test_3dpw_vibe_round_trip(tmp_path):
    db = _rows([40, 25], k2d=14, k3d=14)
    db["valid"] = (np.arange(65) % 5 != 0).astype(np.int64)
    write_vibe_db(tmp_path / "3dpw_test_db.pt", db)
    ds = load_dataset("3dpw-vibe", root=tmp_path)
    tracks = ds.tracks("test")
    assert [t.name for t in tracks] == ["vid0", "vid1"] and [len(t) for t in tracks] == [40, 25]
    tr = tracks[1]
    rows = slice(40, 65)
    np.testing.assert_array_equal(tr.features, db["features"][rows])
    np.testing.assert_allclose(tr.joints3d_m, db["joints3D"][rows], atol=1e-6)
    np.testing.assert_allclose(tr.pose_rotmat, _rotmat(db["pose"][rows].reshape(-1, 24, 3)), atol=1e-5)
    np.testing.assert_allclose(tr.betas, db["shape"][rows], atol=1e-6)
    np.testing.assert_array_equal(tr.valid, db["valid"][rows].astype(bool))
    # kp2d inverts to the stored pixels through VIBE's crop (scale 1.2 around bbox)
    box, kp = db["bbox"][rows], db["joints2D"][rows]
    vis = kp[..., 2] > 0
    px = box[:, None, :2] + tr.kp2d[..., :2] * 1.2 * box[:, None, 2:] / 2
    np.testing.assert_allclose(px[vis], kp[..., :2][vis], rtol=1e-4)
    np.testing.assert_array_equal(tr.kp2d[..., 2], kp[..., 2])
    with pytest.raises(PosebenchError, match="3dpw_val_db.pt"):
        ds.tracks("val")
    st = ds.status()
    assert st.found == ["3dpw_test_db.pt"] and st.missing == ["3dpw_val_db.pt"]


def test_mpii3d_spin49_and_test_alias(tmp_path):
    train = _rows([30, 20], k2d=49, k3d=49, with_pose=False)
    write_vibe_db(tmp_path / "mpii3d_train_db.pt", train)
    test = _rows([20], k2d=49, k3d=17, with_pose=False)
    test["valid_i"] = (np.arange(20) % 3 != 0).astype(np.int64)
    write_vibe_db(tmp_path / "mpii3d_val_db.pt", test)
    ds = load_dataset("mpii3d", root=tmp_path)
    tr = ds.tracks("train")[0]
    np.testing.assert_allclose(tr.joints3d_m, train["joints3D"][:30, 25:39], atol=1e-6)
    np.testing.assert_array_equal(tr.kp2d[..., 2], train["joints2D"][:30, 25:39, 2])
    assert tr.pose_rotmat is None and tr.meta["kp2d_native"].shape == (30, 49, 3)
    for split in ("val", "test"):
        t = ds.tracks(split)[0]
        mpii17_to_lsp = [10, 9, 8, 11, 12, 13, 4, 3, 2, 5, 6, 7, 1, 0]
        np.testing.assert_allclose(t.joints3d_m, test["joints3D"][:, mpii17_to_lsp], atol=1e-6)
        np.testing.assert_array_equal(t.valid, test["valid_i"].astype(bool))


def test_h36m_has_smpl_and_pennaction(tmp_path):
    db = _rows([30], k2d=14, k3d=17)
    db["has_smpl"] = np.ones(30)
    write_vibe_db(tmp_path / "h36m_train_db.pt", db)
    ds = load_dataset("h36m", root=tmp_path)
    tr = ds.tracks("train")[0]
    np.testing.assert_array_equal(tr.meta["has_smpl"], True)
    clips = ds.motion("train")
    np.testing.assert_allclose(clips[0].pose_rotmat, _rotmat(db["pose"].reshape(-1, 24, 3)), atol=1e-5)
    penn = _rows([25], k2d=13, with_pose=False)
    write_vibe_db(tmp_path / "pennaction_train_db.pt", penn)
    t = load_dataset("pennaction", root=tmp_path).tracks("train")[0]
    np.testing.assert_array_equal(t.kp2d[:, 12], 0)  # no neck in Penn Action
    np.testing.assert_array_equal(t.kp2d[:, 13, 2], penn["joints2D"][:, 0, 2])  # headtop


def test_db_key_and_shape_errors(tmp_path):
    db = _rows([20], k2d=14, k3d=14)
    db["pose"] = db["pose"][:, :69]
    write_vibe_db(tmp_path / "3dpw_test_db.pt", db)
    with pytest.raises(DataFormatError, match=r"3dpw_test_db\.pt, field 'pose'"):
        load_dataset("3dpw-vibe", root=tmp_path).tracks("test")
    del db["features"]
    write_vibe_db(tmp_path / "3dpw_test_db.pt", db)
    with pytest.raises(DataFormatError, match=r"3dpw_test_db\.pt, field 'features'"):
        load_dataset("3dpw-vibe", root=tmp_path).tracks("test")


def test_malicious_db_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    import joblib

    joblib.dump({"vid_name": np.array(["a"]), "features": Evil()}, tmp_path / "pennaction_train_db.pt")
    with pytest.raises(DataFormatError, match=r"pennaction_train_db\.pt.*posix\.system"):
        load_dataset("pennaction", root=tmp_path).tracks("train")
    assert not marker.exists()


def test_insta_h5_round_trip(tmp_path):
    n0, n1 = 30, 20
    kp = np.concatenate([RNG.uniform(0, 224, (n0 + n1, 25, 2)), RNG.uniform(size=(n0 + n1, 25, 1)) > 0.3], -1)
    feats = RNG.normal(size=(n0 + n1, 2048))
    write_insta_h5(tmp_path / "insta_train_db.h5", vid_name=np.array(["clip_a"] * n0 + ["clip_b"] * n1),
                   frame_id=np.r_[np.arange(n0), np.arange(n1)], joints2D=kp, features=feats)
    ds = load_dataset("insta", root=tmp_path)
    tracks = ds.tracks("train")
    assert [t.name for t in tracks] == ["clip_a", "clip_b"] and tracks[0].joints3d_m is None
    tb = tracks[1]
    np.testing.assert_allclose(tb.features, feats[n0:], rtol=1e-6)
    src = kp[n0:]
    vis = src[:, 24, 2] > 0  # OP RAnkle -> LSP rankle
    np.testing.assert_allclose(tb.kp2d[vis, 0, :2], 2 * src[vis, 24, :2] / 224 - 1, atol=1e-5)
    np.testing.assert_array_equal(tb.kp2d[:, 13, 2], src[:, 13, 2])  # headtop
    assert ds.motion("train") == []
    (tmp_path / "bad").mkdir()
    write_insta_h5(tmp_path / "bad" / "insta_train_db.h5", vid_name=np.array(["a"] * 3), frame_id=np.arange(3),
                   joints2D=np.zeros((3, 17, 3)), features=np.zeros((3, 2048)))
    with pytest.raises(DataFormatError, match=r"insta_train_db\.h5, field 'joints2D'"):
        load_dataset("insta", root=tmp_path / "bad").tracks("train")


def test_amass_npz_subsampling_and_skips(tmp_path):
    clip = real_motion_clips(1, 300)[0]
    T = 300
    aa = clip_axis_angle(clip, T)
    poses = smpl72_to_smplh156(aa)
    trans = np.asarray(clip.transl_m[:T], np.float64)
    betas = RNG.normal(size=16)
    write_amass_npz(tmp_path / "CMU" / "01" / "01_01_poses.npz", poses156=poses, trans=trans, betas16=betas,
                    mocap_framerate=120.0)
    write_amass_npz(tmp_path / "CMU" / "01" / "short_poses.npz", poses156=poses[:200], trans=trans[:200],
                    betas16=betas, mocap_framerate=120.0)  # 50 frames after subsampling: skipped
    np.savez(tmp_path / "CMU" / "01" / "shape.npz", betas=betas, gender=np.array("male"))
    ds = load_dataset("amass", root=tmp_path)
    clips = ds.motion("train")
    assert [c.name for c in clips] == ["CMU/01/01_01_poses"]
    c = clips[0]
    keep = np.arange(0, T, 4)
    assert c.fps == 30.0 and len(c) == len(keep) and c.meta["gender"] == "male"
    np.testing.assert_allclose(c.pose_rotmat, _rotmat(aa[keep].reshape(-1, 24, 3)), atol=1e-5)
    np.testing.assert_allclose(c.transl_m, trans[keep], atol=1e-6)
    np.testing.assert_allclose(c.betas, betas[:10], atol=1e-6)
    assert ds.tracks("train") == []

    theta = np.concatenate([aa[:90], np.repeat(betas[None, :10], 90, 0)], 1)
    write_vibe_db(tmp_path / "amass_db.pt", {"theta": theta, "vid_name": np.array(["CMU_01_01"] * 90)})
    vc = ds.motion("vibe_db")
    assert len(vc) == 1 and len(vc[0]) == 90
    np.testing.assert_allclose(vc[0].pose_rotmat, _rotmat(aa[:90].reshape(-1, 24, 3)), atol=1e-5)


def test_amass_bad_files(tmp_path):
    d = tmp_path / "X" / "s"
    d.mkdir(parents=True)
    np.savez(d / "obj_poses.npz", poses=np.array([object()], dtype=object))
    with pytest.raises(DataFormatError, match=r"obj_poses\.npz"):
        load_dataset("amass", root=tmp_path).motion("train")
    (d / "obj_poses.npz").unlink()
    write_amass_npz(d / "a_poses.npz", poses156=np.zeros((100, 150)), trans=np.zeros((100, 3)),
                    betas16=np.zeros(16), mocap_framerate=60)
    with pytest.raises(DataFormatError, match=r"a_poses\.npz, field 'poses'"):
        load_dataset("amass", root=tmp_path).motion("train")
    (d / "a_poses.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataFormatError, match=r"a_poses\.npz"):
        load_dataset("amass", root=tmp_path).motion("train")
    with pytest.raises(PosebenchError, match="nowhere"):
        load_dataset("amass", root=tmp_path / "nowhere").motion("train")
