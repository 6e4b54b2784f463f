"""The aistpp dataset on the real AIST++ annotation files (real detections in, multi-view 3D as GT)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from posebench.data.noise_stats import measure
from posebench.data.track import PoseDataset
from posebench.errors import DataFormatError, PosebenchError


@pytest.fixture(scope="module")
def root(realdata_dir):
    path = realdata_dir / "aistpp"
    if not (path / "keypoints2d").is_dir():
        pytest.skip("aistpp annotations not staged under realdata")
    return path


@pytest.fixture(scope="module")
def aist(root):
    from posebench.registry import load_dataset

    ds = load_dataset("aistpp", root)
    ds.tracks("test")
    return ds


def test_tracks_are_sequence_views_at_30fps_in_metres(aist):
    assert isinstance(aist, PoseDataset) and aist.splits() == ("test",) and aist.fps == 30.0
    tracks = aist.tracks("test")
    assert len(tracks) == 2 * 9 and len({t.name for t in tracks}) == 18
    for t in tracks:
        assert len(t) == 288 and t.features.shape == (288, 73) and t.kp2d.shape == (288, 14, 3)
        assert t.joints3d_m.shape == (288, 14, 3) and t.valid.sum() > 270
        assert 2.0 < np.median(t.joints3d_m[..., 2]) < 8.0  # in front of the camera, metres
        thigh = np.linalg.norm(t.joints3d_m[:, 2] - t.joints3d_m[:, 1], axis=-1)  # rhip - rknee
        assert 0.25 < np.median(thigh) < 0.5
        hips = np.linalg.norm(t.joints3d_m[:, 2] - t.joints3d_m[:, 3], axis=-1)
        assert 0.15 < np.median(hips) < 0.3  # COCO hips, wider than a skeleton's
    assert aist.motion("test") == []
    with pytest.raises(PosebenchError, match="unknown split"):
        aist.tracks("train")


def test_gt_reprojects_onto_the_detections_and_view_offsets_are_measured(aist):
    tracks = aist.tracks("test")
    for t in tracks:
        det, gt = t.meta["det_coco_px"], t.meta["gt_coco_px"]
        conf = det[..., 2] > 0.5
        err = np.linalg.norm(det[..., :2] - gt, axis=-1)[conf & t.valid[:, None]]
        assert 2.0 < np.median(err) < 10.0, t.name
    offsets = {t.name: t.meta["time_offset_frames"] for t in tracks}
    # view c05 lags the others by more than a 60 fps frame in both sequences; most views are near 0
    assert all(v >= 0.8 for k, v in offsets.items() if k.endswith("_c05"))
    assert np.median(np.abs(list(offsets.values()))) < 0.5


def test_inputs_are_real_detections_through_the_shared_features(aist):
    from posebench.data.detector_noise import derive_lsp14_detections
    from posebench.data.observations import observe_keypoints

    t = aist.tracks("test")[4]
    obs = observe_keypoints(derive_lsp14_detections(t.meta["det_coco_px"]), (1920, 1080))
    np.testing.assert_array_equal(obs.features, t.features)
    assert np.abs(t.meta["gt_kp2d"][..., :2]).max() < 2.0  # clean 2D in the detections' crop


def test_real_detector_statistics(aist):
    s = measure(aist.noise_tracks("test"))
    assert 0.6 < s["accel_to_err_ratio"] < 1.2
    assert 0.5 < s["autocorr"]["1"] < 0.75 and 0.15 < s["autocorr"]["5"] < 0.35
    assert -0.6 < s["conf_err_spearman"] < -0.35
    assert 1.0 < s["err_pct_box"] < 3.5 and s["outlier_rate"] < 0.03


def test_protocol_and_registration(aist):
    from posebench.registry import get_plugin_system, get_protocol

    p = get_protocol("aistpp-v1")
    assert p.id == "aistpp-v1" and p.pelvis == "midhip" and "12 limb joints" in p.description
    assert "CC BY 4.0" in get_plugin_system().datasets.get("aistpp").metadata["licence"]
    assert aist.describe()["preset"] == "real"


def test_missing_and_broken_files_are_named(root, tmp_path):
    from posebench_datasets.aistpp import AistPP

    with pytest.raises(PosebenchError, match="no sequence under"):
        AistPP(tmp_path / "nothing").tracks("test")
    shutil.copytree(root / "cameras", tmp_path / "cameras")
    (tmp_path / "keypoints2d").mkdir()
    (tmp_path / "keypoints3d").mkdir()
    seq = "gJS_sBM_cAll_d03_mJS2_ch07"
    shutil.copy(root / "keypoints3d" / f"{seq}.pkl", tmp_path / "keypoints3d" / f"{seq}.pkl")
    (tmp_path / "keypoints2d" / f"{seq}.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DataFormatError, match=f"keypoints2d/{seq}.pkl"):
        AistPP(tmp_path).tracks("test")
    with pytest.raises(PosebenchError, match="not found"):
        AistPP(root, sequences=["gXX_missing"]).tracks("test")


def test_fetch_from_a_mirror_gives_the_release_layout(realdata_dir, tmp_path):
    from posebench_datasets.aistpp import AistPP, fetch

    paths = fetch(root=tmp_path / "aist", mirror=realdata_dir, progress=False)
    assert len(paths) == 7 and (tmp_path / "aist" / "keypoints2d").is_dir()
    assert AistPP(tmp_path / "aist").sequences() == ["gBR_sBM_cAll_d06_mBR2_ch06", "gJS_sBM_cAll_d03_mJS2_ch07"]
