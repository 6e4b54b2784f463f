"""3DPW sequenceFiles read back through the registry, with real CMU motion in the fixtures."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from format_fixtures import clip_axis_angle, real_motion_clips, write_3dpw_sequence
from posebench.body_models import get_body_model
from posebench.errors import DataFormatError, PosebenchError
from posebench.geometry.rotations import axis_angle_to_matrix
from posebench.registry import load_dataset

F = 90
# SMPL-24 joint standing in for each COCO-18 slot when projecting (eyes/ears ~ head)
COCO18_FROM_SMPL = [15, 12, 17, 19, 21, 16, 18, 20, 2, 5, 8, 1, 4, 7, 15, 15, 15, 15]
K = np.array([[1500.0, 0, 540], [0, 1500.0, 960], [0, 0, 1]])


def _rotmat(aa):
    return axis_angle_to_matrix(torch.as_tensor(aa, dtype=torch.float64)).numpy()


def _camera(F):
    """A camera panning slowly around the vertical axis, 4 m away: world -> camera (F, 4, 4)."""
    cam = np.zeros((F, 4, 4))
    for t in range(F):
        yaw = 0.3 + 0.004 * t
        flip = np.diag([1.0, -1.0, -1.0])  # SMPL world (+Y up, faces +Z) seen by an OpenCV camera
        Ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
        cam[t, :3, :3] = flip @ Ry
        cam[t, :3, 3] = [0.1, 0.3, 4.0]
        cam[t, 3, 3] = 1
    return cam


@pytest.fixture(scope="module")
def threedpw_root(tmp_path_factory):
    clips = real_motion_clips(2, F)
    body = get_body_model("auto")
    root = tmp_path_factory.mktemp("3dpw")
    cam = _camera(F)
    rng = np.random.default_rng(3)
    people = []
    for i, clip in enumerate(clips):
        aa = clip_axis_angle(clip, F)
        trans = np.asarray(clip.transl_m[:F], np.float64) - clip.transl_m[0] + [0.8 * i - 0.4, 0, 0]
        betas = np.concatenate([rng.normal(scale=0.5, size=10), [9.0] * 6])  # real files hold > 10
        with torch.no_grad():
            out = body(torch.as_tensor(np.repeat(betas[None, :10], F, 0), dtype=torch.float32),
                       torch.as_tensor(_rotmat(aa.reshape(F, 24, 3)), dtype=torch.float32),
                       torch.as_tensor(trans, dtype=torch.float32))
        world = out.joints24_m.numpy().astype(np.float64)
        cam_j = np.einsum("tij,tkj->tki", cam[:, :3, :3], world) + cam[:, None, :3, 3]
        proj = np.einsum("ij,tkj->tki", K, cam_j)
        px = proj[..., :2] / proj[..., 2:]
        conf = rng.uniform(0, 1, size=(F, 18))
        kp = np.concatenate([px[:, COCO18_FROM_SMPL], conf[..., None]], -1)  # (F, 18, 3)
        valid = (np.arange(F) % 7 != 0).astype(np.int64)
        people.append(dict(aa=aa, trans=trans, betas=betas, kp=kp, cam_j=cam_j, valid=valid))
    write_3dpw_sequence(
        root / "sequenceFiles" / "test" / "downtown_walk_00.pkl", sequence="downtown_walk_00",
        poses=[p["aa"] for p in people], trans=[p["trans"] for p in people], betas=[p["betas"] for p in people],
        genders=["m", "f"], poses2d=[np.transpose(p["kp"], (0, 2, 1)) for p in people],
        campose_valid=[p["valid"] for p in people], cam_poses=cam, cam_intrinsics=K,
    )
    return root, people, cam


def test_tracks_round_trip(threedpw_root):
    root, people, cam = threedpw_root
    ds = load_dataset("3dpw", root=root)
    assert ds.kp2d_joint_set == "lsp14" and ds.fps == 30 and set(ds.splits()) == {"train", "val", "test"}
    tracks = ds.tracks("test")
    assert [t.name for t in tracks] == ["downtown_walk_00_0", "downtown_walk_00_1"]
    for tr, p in zip(tracks, people):
        assert len(tr) == F and tr.features is None and tr.fps == 30
        R = _rotmat(p["aa"].reshape(F, 24, 3))
        np.testing.assert_allclose(tr.pose_rotmat[:, 1:], R[:, 1:], atol=1e-5)
        np.testing.assert_allclose(tr.pose_rotmat[:, 0], cam[:, :3, :3] @ R[:, 0], atol=1e-5)
        np.testing.assert_allclose(tr.betas, np.repeat(p["betas"][None, :10], F, 0), atol=1e-6)
        np.testing.assert_array_equal(tr.valid, p["valid"].astype(bool))
        # camera-frame joints equal the independently computed world joints moved into the camera
        np.testing.assert_allclose(tr.joints24_m, p["cam_j"], atol=2e-4)
        assert np.all(tr.joints24_m[..., 2] > 2.0)  # in front of the camera, metres
        # 2D: confidences binarised at 0.3, neck/headtop empty; xy inverts through the stored box
        coco = p["kp"]
        lsp_from_coco = [10, 9, 8, 11, 12, 13, 4, 3, 2, 5, 6, 7]
        np.testing.assert_array_equal(tr.kp2d[:, :12, 2], (coco[:, lsp_from_coco, 2] > 0.3).astype(np.float32))
        np.testing.assert_array_equal(tr.kp2d[:, 12:], 0)
        box = tr.meta["bbox"]
        vis = tr.kp2d[..., 2] > 0
        px = box[:, None, :2] + tr.kp2d[..., :2] * 1.2 * box[:, None, 2:] / 2
        np.testing.assert_allclose(px[:, :12][vis[:, :12]], coco[:, lsp_from_coco, :2][vis[:, :12]], rtol=1e-4)
        assert np.median(np.abs(tr.kp2d[..., :2][vis])) < 0.8  # the smoothed box keeps the body in the crop
        assert tr.meta["gender"] in ("m", "f")


def test_motion_is_world_frame(threedpw_root):
    root, people, _ = threedpw_root
    clips = load_dataset("3dpw", root=root).motion("test")
    assert len(clips) == 2
    for clip, p in zip(clips, people):
        np.testing.assert_allclose(clip.pose_rotmat, _rotmat(p["aa"].reshape(F, 24, 3)), atol=1e-5)
        np.testing.assert_allclose(clip.transl_m, p["trans"], atol=1e-6)
        assert clip.fps == 30 and clip.betas.shape == (10,)


def test_status_and_missing_split(tmp_path, threedpw_root):
    root, _, _ = threedpw_root
    st = load_dataset("3dpw", root=root).status()
    assert st.found == ["sequenceFiles/test"] and "sequenceFiles/train" in st.missing
    with pytest.raises(PosebenchError, match=r"sequenceFiles/train"):
        load_dataset("3dpw", root=root).tracks("train")
    with pytest.raises(PosebenchError, match="unknown split"):
        load_dataset("3dpw", root=root).tracks("bogus")


def test_bad_files_name_file_and_key(tmp_path, threedpw_root):
    root, people, cam = threedpw_root
    bad = tmp_path / "sequenceFiles" / "test"
    p = people[0]
    write_3dpw_sequence(bad / "x.pkl", sequence="x", poses=[p["aa"][:, :69]], trans=[p["trans"]],
                        betas=[p["betas"]], genders=["m"], poses2d=[np.transpose(p["kp"], (0, 2, 1))],
                        campose_valid=[p["valid"]], cam_poses=cam, cam_intrinsics=K)
    with pytest.raises(DataFormatError, match=r"x\.pkl.*poses\[0\].*\(N?90, 72\)|x\.pkl.*poses\[0\]"):
        load_dataset("3dpw", root=tmp_path).tracks("test")
    (bad / "x.pkl").write_bytes((root / "sequenceFiles/test/downtown_walk_00.pkl").read_bytes()[:5000])
    with pytest.raises(DataFormatError, match=r"x\.pkl"):
        load_dataset("3dpw", root=tmp_path).tracks("test")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_malicious_sequence_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    d = tmp_path / "sequenceFiles" / "test"
    d.mkdir(parents=True)
    (d / "evil.pkl").write_bytes(pickle.dumps({"sequence": "e", "poses": [_Evil(marker)]}, protocol=2))
    with pytest.raises(DataFormatError, match=r"evil\.pkl.*posix\.system"):
        load_dataset("3dpw", root=tmp_path).tracks("test")
    assert not marker.exists()
