"""posebench.data.observations: the box, normalisation and 73-d features every model reads."""
from __future__ import annotations

import numpy as np
import pytest

from posebench.data import observations as core
from posebench.errors import ShapeError


def test_cmu_plugin_uses_the_core_definition():
    from posebench_datasets import cmu_observations as cmu

    for name in ("observation_features", "feature_names", "track_bbox", "normalize_to_box", "FEATURE_DIM", "NUM_KP"):
        assert getattr(cmu, name) is getattr(core, name), name


def test_feature_values_by_hand():
    kp = np.zeros((2, 14, 3), np.float32)
    kp[0, 0] = (0.5, -0.25, 0.8)
    kp[1, 0] = (0.6, -0.25, 1.0)
    kp[0, 1] = (0.1, 0.2, 0.9)  # joint 1 missing in frame 1: no difference for it
    bbox = np.array([[100, 50, 40, 40], [110, 50, 40, 40]], np.float32)
    f = core.observation_features(kp, bbox, (200, 100))
    assert f.shape == (2, core.FEATURE_DIM) and f.dtype == np.float32
    names = core.feature_names()
    assert names[0] == "rankle_x*conf" and names[28] == "rankle_conf" and names[45] == "d_rankle_x"
    np.testing.assert_allclose(f[0, :4], [0.4, -0.2, 0.09, 0.18], rtol=1e-6)
    np.testing.assert_allclose(f[:, 28:30], [[0.8, 0.9], [1.0, 0.0]])
    np.testing.assert_allclose(f[:, 42:45], [[0.5, 0.5, 0.4], [0.55, 0.5, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(f[0, 45:], 0.0)
    np.testing.assert_allclose(f[1, 45:49], [0.1, 0.0, 0.0, 0.0], atol=1e-6)


def test_normalize_to_box_by_hand():
    kp = np.array([[[130, 100, 1.0], [100, 70, 0.7], [5, 5, 0.0]]], np.float32)
    kp = np.concatenate([kp, np.zeros((1, 11, 3), np.float32)], axis=1)
    out = core.normalize_to_box(kp, np.array([[100, 100, 50, 50]], np.float32))
    # crop side 1.2 * 50 = 60 px around the centre -> [-1, 1]
    np.testing.assert_allclose(out[0, :3], [[1.0, 0.0, 1.0], [0.0, -1.0, 0.7], [0.0, 0.0, 0.0]], atol=1e-6)


def test_observe_keypoints_matches_the_cmu_build_bit_for_bit():
    from posebench_datasets import cmu_observations as cmu

    rng = np.random.default_rng(3)
    T = 75
    t = np.linspace(0, 2.5, T)[:, None]
    gt = np.stack([300 + 40 * np.arange(14)[None] + 60 * np.sin(t), 200 + 25 * np.arange(14)[None] + 0 * t], -1)
    det = cmu.simulate_detections(rng, gt, np.ones((T, 14), bool), (1280, 720), 1.5)
    # What datasets/cmu.py does: box from the float32 detections, cached as float32, then normalise.
    bbox = cmu.track_bbox(det.kp2d_px).astype(np.float32)
    norm = cmu.normalize_to_box(det.kp2d_px, bbox)
    feats = cmu.observation_features(norm, bbox, (1280, 720))
    obs = core.observe_keypoints(det.kp2d_px, (1280, 720))
    assert np.array_equal(obs.bbox_px, bbox) and np.array_equal(obs.kp2d_norm, norm)
    assert np.array_equal(obs.features, feats)
    assert (det.kp2d_px[..., 2] == 0).any()  # the check covered missing joints


def test_observe_keypoints_fills_undetected_ends_with_the_nearest_box():
    kp = np.zeros((30, 14, 3), np.float32)
    kp[5:25, :, 0] = np.linspace(100, 200, 14)
    kp[5:25, :, 1] = np.linspace(50, 250, 14)
    kp[5:25, :, 2] = 0.9
    obs = core.observe_keypoints(kp, (640, 480))
    np.testing.assert_array_equal(obs.bbox_px[:5], np.repeat(obs.bbox_px[5:6], 5, axis=0))
    np.testing.assert_array_equal(obs.bbox_px[25:], np.repeat(obs.bbox_px[24:25], 5, axis=0))
    assert np.all(obs.features[:5, 28:42] == 0) and np.all(obs.features[5:25, 28:42] == pytest.approx(0.9))


def test_observe_keypoints_errors_name_the_track():
    with pytest.raises(ShapeError, match="clip7.*no visible keypoint"):
        core.observe_keypoints(np.zeros((10, 14, 3)), (640, 480), name="clip7")
    with pytest.raises(ShapeError, match="clip7.*kp2d_px"):
        core.observe_keypoints(np.zeros((10, 13, 3)), (640, 480), name="clip7")
