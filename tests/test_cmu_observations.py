"""The CMU benchmark's cameras, projection and detector-noise model, on synthetic joints."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from posebench.skeleton import LSP14_FLIP_PERM
from posebench_datasets import cmu_observations as obs

# A standing person (metres, +Y up, facing +Z): pelvis, then the LSP-14 joints.
_PELVIS = [0.0, 0.95, 0.0]
_LSP14 = [
    [-0.1, 0.08, 0.0], [-0.1, 0.5, 0.02], [-0.1, 0.92, 0.0], [0.1, 0.92, 0.0], [0.1, 0.5, 0.02], [0.1, 0.08, 0.0],
    [-0.45, 1.0, 0.1], [-0.35, 1.2, 0.05], [-0.2, 1.45, 0.0], [0.2, 1.45, 0.0], [0.35, 1.2, 0.05], [0.45, 1.0, 0.1],
    [0.0, 1.5, 0.0], [0.0, 1.75, 0.0],
]  # fmt: skip


def walking_figure(T: int = 300, distance_m: float = 3.0) -> np.ndarray:
    """(T, 15, 3): pelvis + LSP-14, walking ``distance_m`` along +X with a small bounce."""
    body = np.array([_PELVIS] + _LSP14)
    t = np.linspace(0.0, 1.0, T)
    offset = np.stack([distance_m * t, 0.03 * np.sin(20 * t), 0.5 * t], axis=1)
    return body[None] + offset[:, None]


def test_camera_sees_the_subject_and_looks_at_it():
    joints = walking_figure()
    for seed in range(30):
        cam = obs.sample_camera(np.random.default_rng(seed), joints)
        pc = cam.to_camera(joints)
        assert cam.in_view(pc).mean() > 0.95, seed
        assert 500 <= cam.f <= 1500 and (cam.w, cam.h) in obs.IMAGE_SIZES
        assert np.allclose(cam.R @ cam.R.T, np.eye(3), atol=1e-9) and np.isclose(np.linalg.det(cam.R), 1.0)
        centre = -cam.R.T @ cam.t
        horiz = np.hypot(*(centre - joints[:, 0].mean(0))[[0, 2]])
        assert 3.0 <= horiz <= 8.0 * 1.15**12
        uv = cam.project(pc)
        # image y points down: the head top is above (smaller v than) the ankles
        assert np.all(uv[:, 14, 1] < uv[:, 1, 1])


def test_cameras_differ_by_seed_and_repeat_by_seed():
    joints = walking_figure()
    a = obs.sample_camera(np.random.default_rng(1), joints)
    b = obs.sample_camera(np.random.default_rng(1), joints)
    c = obs.sample_camera(np.random.default_rng(2), joints)
    assert np.array_equal(a.R, b.R) and a.f == b.f
    assert not np.allclose(a.R, c.R)


def test_projection_matches_opencv():
    joints = walking_figure(50)
    cam = obs.sample_camera(np.random.default_rng(3), joints)
    pts = joints.reshape(-1, 3)
    rvec, _ = cv2.Rodrigues(cam.R)
    ref, _ = cv2.projectPoints(pts, rvec, cam.t, cam.K, np.zeros(5))
    ours = cam.project(cam.to_camera(pts))
    np.testing.assert_allclose(ours, ref[:, 0], atol=1e-6)


def test_look_at_world_up_maps_to_image_up():
    R = obs.look_at(np.array([0.0, 1.0, -5.0]), np.array([0.0, 1.0, 0.0]))  # looking along +Z
    np.testing.assert_allclose(R, [[-1, 0, 0], [0, -1, 0], [0, 0, 1]], atol=1e-12)


def _static_scene(T: int):
    """Noise-free pixels of a still figure centred in a 1920x1080 image, box about 400 px."""
    body = np.array(_LSP14)[None].repeat(T, 0)
    gt = np.stack([960 + 400 * body[..., 0] / 1.75, 800 - 400 * body[..., 1] / 1.75], -1)
    return gt, np.ones((T, 14), dtype=bool)


def test_noise_statistics_match_parameters():
    T = 20000
    gt, vis = _static_scene(T)
    det = obs.simulate_detections(np.random.default_rng(0), gt, vis, (1920, 1080), severity=1.0)
    box = float(det.box_px[0])
    kp = det.kp2d_px

    dropped = kp[..., 2] == 0
    assert abs(dropped.mean() - obs.DROPOUT_P) < 0.004
    starts = (dropped[1:] & ~dropped[:-1]).sum()
    assert 2.5 < dropped[1:].sum() / starts < 3.5  # mean burst length
    assert abs(det.swapped.mean() - obs.SWAP_P) < 0.002
    assert abs(det.outlier.mean() - obs.OUTLIER_P * (1 - obs.DROPOUT_P)) < 0.0015

    labelled = gt.copy()
    labelled[det.swapped] = labelled[det.swapped][:, list(LSP14_FLIP_PERM)]
    clean = ~dropped & ~det.outlier
    err = (kp[..., :2] - labelled) / box
    # total per-axis sd: jitter and drift add in quadrature
    sd = err[clean].std(axis=0)
    expected = np.hypot(obs.JITTER_SIGMA_BOX, obs.DRIFT_SIGMA_BOX)
    np.testing.assert_allclose(sd, expected, rtol=0.05)
    # frame-to-frame differences separate white jitter from the slow AR(1) drift
    both = clean[1:] & clean[:-1]
    d = (err[1:] - err[:-1])[both]
    expected_d = np.sqrt(2 * obs.JITTER_SIGMA_BOX**2 + 2 * obs.DRIFT_SIGMA_BOX**2 * (1 - obs.DRIFT_RHO))
    np.testing.assert_allclose(d.std(axis=0), expected_d, rtol=0.05)
    # outliers sit about 0.3 box away
    out_err = np.linalg.norm(err[det.outlier], axis=-1)
    assert 0.2 < np.median(out_err) < 0.4
    conf = kp[..., 2][~dropped]
    assert conf.min() >= 0.5 and conf.max() <= 1.0
    assert kp[..., :2][dropped].max() == 0.0


def test_severity_scales_noise_and_zero_is_exact():
    gt, vis = _static_scene(3000)
    det0 = obs.simulate_detections(np.random.default_rng(5), gt, vis, (1920, 1080), severity=0.0)
    np.testing.assert_allclose(det0.kp2d_px[..., :2], gt, atol=1e-3)
    assert np.all(det0.kp2d_px[..., 2] == 1.0) and not det0.swapped.any()
    det1 = obs.simulate_detections(np.random.default_rng(5), gt, vis, (1920, 1080), severity=1.0)
    det2 = obs.simulate_detections(np.random.default_rng(5), gt, vis, (1920, 1080), severity=2.0)
    assert (det2.kp2d_px[..., 2] == 0).mean() > 1.6 * (det1.kp2d_px[..., 2] == 0).mean()
    keep = (det1.kp2d_px[..., 2] > 0) & (det2.kp2d_px[..., 2] > 0) & ~det1.outlier & ~det2.outlier
    keep &= ~det2.swapped[:, None]
    e1 = (det1.kp2d_px[..., :2] - gt)[keep].std()
    e2 = (det2.kp2d_px[..., :2] - gt)[keep].std()
    assert 1.8 < e2 / e1 < 2.2
    with pytest.raises(Exception, match="severity"):
        obs.simulate_detections(np.random.default_rng(5), gt, vis, (1920, 1080), severity=3.0)


def test_out_of_view_joints_are_dropped():
    gt, vis = _static_scene(10)
    vis[:, 3] = False
    det = obs.simulate_detections(np.random.default_rng(0), gt, vis, (1920, 1080), severity=0.0)
    assert np.all(det.kp2d_px[:, 3, 2] == 0) and np.all(det.kp2d_px[:, 2, 2] == 1)


def test_bbox_normalisation_and_features():
    gt, vis = _static_scene(60)
    det = obs.simulate_detections(np.random.default_rng(0), gt, vis, (1920, 1080), severity=0.0)
    bbox = obs.track_bbox(det.kp2d_px)
    # still figure: box centred on the keypoint box, side 1.1 * diagonal
    lo, hi = gt[0].min(0), gt[0].max(0)
    np.testing.assert_allclose(bbox[30, :2], (lo + hi) / 2, atol=1e-3)
    np.testing.assert_allclose(bbox[30, 2], 1.1 * np.linalg.norm(hi - lo), rtol=1e-4)
    norm = obs.normalize_to_box(det.kp2d_px, bbox)
    # VIBE: (x - cx) / (0.6 w)
    np.testing.assert_allclose(norm[30, :, 0], (gt[30, :, 0] - bbox[30, 0]) / (0.6 * bbox[30, 2]), atol=1e-5)
    assert np.abs(norm[..., :2]).max() < 1.0

    feats = obs.observation_features(norm, bbox, (1920, 1080))
    assert feats.shape == (60, obs.FEATURE_DIM) and feats.dtype == np.float32
    assert len(obs.feature_names()) == obs.FEATURE_DIM
    np.testing.assert_allclose(feats[:, :28], norm[..., :2].reshape(60, 28))  # conf is 1
    np.testing.assert_allclose(feats[:, 28:42], 1.0)
    np.testing.assert_allclose(feats[:, 42], bbox[:, 0] / 1920, rtol=1e-6)
    assert np.all(feats[0, 45:] == 0) and np.abs(feats[1:, 45:]).max() < 1e-5  # still figure


def test_features_zero_missing_joints():
    gt, vis = _static_scene(40)
    det = obs.simulate_detections(np.random.default_rng(1), gt, vis, (1920, 1080), severity=2.0)
    bbox = obs.track_bbox(det.kp2d_px)
    norm = obs.normalize_to_box(det.kp2d_px, bbox)
    feats = obs.observation_features(norm, bbox, (1920, 1080))
    missing = norm[..., 2] == 0
    assert missing.any()
    xy = feats[:, :28].reshape(40, 14, 2)
    diff = feats[:, 45:].reshape(40, 14, 2)
    assert np.all(xy[missing] == 0) and np.all(diff[missing] == 0) and np.all(diff[1:][missing[:-1]] == 0)
