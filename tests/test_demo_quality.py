"""No-ground-truth quality measures (posebench.track_quality) and the demo's frame-rate
resampling (posebench.video_pipeline), on synthetic data: no detector, no mediapipe."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.geometry.rotations import axis_angle_to_matrix
from posebench.track_quality import (
    bone_length_cv,
    fit_weak_perspective,
    foot_sliding,
    jitter,
    pelvis_from_camera,
    reprojection_error,
    track_quality,
)
from posebench.video_pipeline import resample_keypoints, resample_prediction, resampling_note


def lsp_body(T: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(scale=0.3, size=(14, 3))
    return base[None] + 0.01 * np.arange(T)[:, None, None] * np.array([1.0, 0.0, 0.5])


def project(joints_m, s, t):
    kp = np.ones(joints_m.shape[:-1] + (3,))
    kp[..., :2] = s[:, None, None] * joints_m[..., :2] + t[:, None]
    return kp


def test_weak_perspective_fit_recovers_the_camera_and_error_is_zero():
    j = lsp_body()
    s, t = np.linspace(200, 260, 20), np.stack([np.linspace(300, 400, 20), np.full(20, 220)], -1)
    kp = project(j, s, t)
    s_fit, t_fit = fit_weak_perspective(j, kp)
    np.testing.assert_allclose(s_fit, s, rtol=1e-9)
    np.testing.assert_allclose(t_fit, t, atol=1e-6)
    err, pct = reprojection_error(j, kp)
    assert np.abs(err).max() < 1e-6 and np.abs(pct).max() < 1e-6
    # Moving one keypoint by 14 px gives a known error (the fit moves a little too, so bounded).
    kp[3, 5, :2] += [14.0, 0.0]
    err, pct = reprojection_error(j, kp)
    assert 0.5 < err[3] < 14 and err[np.arange(20) != 3].max() < 1e-6
    box_h = np.ptp(kp[3, :, 1])
    assert pct[3] == pytest.approx(100 * err[3] / box_h)
    # Too few joints: no fit.
    kp[4, 2:, 2] = 0
    assert np.isnan(fit_weak_perspective(j, kp)[0][4]) and np.isnan(reprojection_error(j, kp)[0][4])


def test_pelvis_from_camera_depth_and_gap_fill():
    s = np.array([200.0, np.nan, 100.0])
    t = np.array([[384.0, 216.0], [np.nan, np.nan], [484.0, 216.0]])
    p = pelvis_from_camera(s, t, (768, 432), focal_px=1000.0)
    np.testing.assert_allclose(p[0], [0, 0, 5.0])
    np.testing.assert_allclose(p[2], [1.0, 0, 10.0])
    np.testing.assert_allclose(p[1], (p[0] + p[2]) / 2)
    # Smoothing the scale ignores one wild frame.
    s = np.full(9, 200.0)
    s[4] = 20.0
    p = pelvis_from_camera(s, np.full((9, 2), [384.0, 216.0]), (768, 432), focal_px=1000.0, smooth_frames=5)
    np.testing.assert_allclose(p[:, 2], 5.0)


def test_jitter_bones_and_foot_sliding():
    T = 30
    linear = lsp_body(T)
    assert jitter(linear, 30.0) == pytest.approx(0.0, abs=1e-9)  # constant velocity: no jerk
    shaky = linear.copy()
    shaky[::2, 0] += 0.002  # one joint flickers (a whole-body shake is removed by pelvis-centring)
    assert jitter(shaky, 30.0) == pytest.approx(4 * 0.002 * np.sqrt(3) / 14 * 30**3)  # |a - 3b + 3a - b| = 4 x 0.002
    assert np.isnan(jitter(linear[:3], 30.0))
    # Bones: constant lengths -> 0; one bone stretching by 10 % per frame -> > 0.
    j24 = np.cumsum(np.tile(np.random.default_rng(1).normal(size=(1, 24, 3)), (T, 1, 1)), axis=1)
    assert bone_length_cv(j24).max() < 1e-12
    j24[:, 4] = j24[:, 1] + (j24[:, 4] - j24[:, 1]) * (1 + 0.1 * np.arange(T) % 2)[:, None]
    assert bone_length_cv(j24)[3] > 0.01  # bone (1, 4) is the 4th of the 23
    # Feet: left planted, right swinging above the ground; the planted one slides 2 mm per frame.
    world = np.zeros((T, 24, 3))
    world[:, 10] = np.stack([0.002 * np.arange(T), np.zeros(T), np.zeros(T)], -1)
    world[:, 11] = np.stack([np.zeros(T), 0.2 + 0.1 * np.sin(np.arange(T)), 0.05 * np.arange(T)], -1)
    slide, contact = foot_sliding(world)
    assert slide == pytest.approx(2.0) and contact == pytest.approx(0.5)


def test_track_quality_report_fields():
    T = 25
    j = lsp_body(T)
    s, t = np.full(T, 220.0), np.tile([380.0, 200.0], (T, 1))
    kp = project(j, s, t)
    observed = np.ones(T, bool)
    observed[[3, 4]] = False
    world = np.zeros((T, 14, 3))
    q = track_quality(j, kp, observed, 10.0, 100, world)
    assert q["frames"] == T and q["frames_detected"] == T - 2 and q["coverage_of_track"] == pytest.approx(0.92)
    assert q["coverage_of_video"] == pytest.approx(0.25) and q["reprojection_px"] < 1e-6
    for key in ("accel_mm_per_frame2", "jitter_m_per_s3", "bone_length_cv_mean", "foot_sliding_mm_per_frame",
                "foot_sliding_pelvis_fixed_mm_per_frame"):
        assert key in q
    # A standing body whose pelvis estimate wobbles in depth: sliding with the pelvis, none without it.
    world = np.zeros((T, 14, 3))
    world[:, [0, 5], 0] = [-0.1, 0.1]
    world[:, [2, 3], 1] = 0.9
    world += np.array([0, 0, 0.05])[None, None] * (np.arange(T) % 2)[:, None, None]
    q = track_quality(j, kp, observed, 10.0, 100, world)
    assert q["foot_sliding_mm_per_frame"] == pytest.approx(50.0)
    assert q["foot_sliding_pelvis_fixed_mm_per_frame"] == pytest.approx(0.0, abs=1e-9)


# -- frame rates -----------------------------------------------------------------------------

def test_resample_keypoints_10_to_30_fps_and_gaps_stay_gaps():
    T = 5
    kp = np.zeros((T, 14, 3), np.float32)
    kp[..., 0] = np.arange(T)[:, None] * 30.0
    kp[..., 2] = 0.9
    kp[2, 4, 2] = 0  # joint 4 missing in frame 2
    kp[2, 4, :2] = 0
    out = resample_keypoints(kp, 10.0, 30.0)
    assert out.shape == (13, 14, 3)
    np.testing.assert_allclose(out[:, 0, 0], np.arange(13) * 10.0, atol=1e-4)
    np.testing.assert_allclose(out[::3], kp)  # the video's own frames are kept exactly
    assert (out[4:9, 4, 2] == 0).all() and out[[3, 9], 4, 2].tolist() == pytest.approx([0.9, 0.9])
    # Down: 60 -> 30 fps keeps every other frame; equal rates change nothing.
    np.testing.assert_array_equal(resample_keypoints(kp, 60.0, 30.0), kp[::2])
    np.testing.assert_array_equal(resample_keypoints(kp, 25.0, 25.0), kp)


def test_resample_prediction_back_to_video_times():
    T = 13  # model output at 30 fps for a 10 fps video of 5 frames
    angle = np.linspace(0, 1.2, T)
    aa = np.zeros((T, 24, 3))
    aa[:, 5, 2] = angle
    pred = {"rotmat": axis_angle_to_matrix(torch.from_numpy(aa)).numpy(),
            "joints_lsp14_m": np.tile(np.linspace(0, 1.2, T)[:, None, None], (1, 14, 3)),
            "betas": np.zeros((T, 10)), "covered": np.ones(T, bool), "joints24_m": None}
    out = resample_prediction(pred, 30.0, np.arange(5) / 10.0)
    np.testing.assert_allclose(out["rotmat"], pred["rotmat"][::3], atol=1e-6)
    np.testing.assert_allclose(out["joints_lsp14_m"][:, 0, 0], [0, 0.3, 0.6, 0.9, 1.2], atol=1e-6)
    assert out["joints24_m"] is None and out["covered"].all()
    # A 25 fps video: a time between two model samples is slerped (the angle is linear in time).
    out = resample_prediction(pred, 30.0, np.array([0.04]))
    got = np.arctan2(out["rotmat"][0, 5, 1, 0], out["rotmat"][0, 5, 0, 0])
    assert got == pytest.approx(0.04 * 30 * 0.1, abs=1e-6)
    assert "slerp" in resampling_note(10.0, 30.0) and resampling_note(30.0, 30.0).startswith("none")


def test_foot_sliding_on_a_tilted_ground_plane():
    """A walk seen by a camera looking down 20 degrees: the feet plant and swing in turn; planted feet do
    not slide. A level-ground assumption would call most swings 'contact' or no frame at all."""
    T, step_frames, stride = 80, 10, 0.6
    feet = np.zeros((T, 2, 3))
    for t in range(T):
        phase, k = divmod(t, step_frames)
        for f in range(2):
            moving = (phase % 2) == f  # this foot swings during this phase
            planted_z = stride * ((phase + (1 - f)) // 2) + (stride / 2 if f else 0.0)
            if moving:
                a = k / step_frames
                feet[t, f] = [0.15 * (2 * f - 1), 0.15 * np.sin(np.pi * a), planted_z + stride * a]
            else:
                feet[t, f] = [0.15 * (2 * f - 1), 0.0, planted_z]
    tilt = np.deg2rad(20)
    R = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    world = np.zeros((T, 24, 3))
    world[:, [10, 11]] = feet @ R.T
    slide, contact = foot_sliding(world)
    level = np.zeros((T, 24, 3))
    level[:, [10, 11]] = feet
    slide_level, contact_level = foot_sliding(level)
    # Planted feet do not move; only the frames next to lift-off and touch-down (under 5 cm) add a little.
    assert slide < 10.0 and slide_level < 10.0
    assert contact_level == pytest.approx(0.65) and abs(contact - contact_level) < 0.1
    # The 5th-percentile "level floor" of a tilted view finds contact in only a few frames.
    y = world[:, [10, 11], 1]
    assert (y < np.percentile(y, 5) + 0.05).mean() < 0.1
