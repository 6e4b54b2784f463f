"""Detector model v2 (posebench.data.detector_noise) and the noise statistics that calibrate it."""
from __future__ import annotations

import numpy as np
import pytest

from posebench.data import detector_noise as dn
from posebench.data.noise_stats import NoiseTrack, measure, run_lengths


def _walk(T=600, seed=0):
    """A plausible COCO-17 track in pixels: a 300 px figure swaying across a 1280x720 image."""
    rng = np.random.default_rng(seed)
    base = np.array([[0, -130], [8, -135], [-8, -135], [16, -130], [-16, -130], [40, -100], [-40, -100], [55, -50],
                     [-55, -50], [60, 0], [-60, 0], [25, 0], [-25, 0], [28, 70], [-28, 70], [30, 140], [-30, 140]],
                    float)
    t = np.arange(T)[:, None, None]
    sway = np.concatenate([300 * np.sin(t / 90.0), 10 * np.sin(t / 7.0)], -1)
    wiggle = 5 * np.sin(t / 5.0 + rng.uniform(0, 6, size=(1, 17, 1)))
    return np.array([640.0, 360.0]) + base + sway + wiggle


def _noise_track(det, gt, pairs=dn.COCO17_PAIRS, scored=dn.LIMB12_COCO, fps=30.0):
    valid = np.ones(gt.shape[:2], bool)
    box = (gt.max(1) - gt.min(1)).max(-1)
    return NoiseTrack(det_px=det, gt_px=gt, gt_valid=valid, box_px=box, fps=fps, scored=scored, pairs=pairs)


# -- keypoint definition ------------------------------------------------------------------------
def test_coco_offset_model_widens_hips_and_places_the_face():
    from posebench.body_models import get_body_model
    import torch

    body = get_body_model("skeleton")
    T = 3
    rot = torch.eye(3, dtype=torch.float64).expand(T, 24, 3, 3).clone()
    with torch.no_grad():
        out = body(torch.zeros(T, 10, dtype=torch.float64), rot, torch.zeros(T, 3, dtype=torch.float64))
    j, R = out.joints24_m.numpy(), out.global_rotmat.numpy()
    coco = dn.coco17_from_body(j, R)
    smpl_hips = np.linalg.norm(j[:, 1] - j[:, 2], axis=-1)
    coco_hips = np.linalg.norm(coco[:, 11] - coco[:, 12], axis=-1)
    assert np.allclose(coco_hips, dn.HIP_WIDEN * smpl_hips)
    assert (coco[:, 11, 1] < j[:, 1, 1] - 0.02).all()  # lower than the skeleton's hip joint
    assert (coco[:, 0, 2] > j[:, 15, 2] + 0.05).all()  # the nose is in front of the head (body faces +Z)
    assert (coco[:, 3, 0] > coco[:, 4, 0]).all()  # left ear on the body's left (+X)
    lsp = dn.derive_lsp14(coco)
    assert np.allclose(lsp[:, 12], (coco[:, 5] + coco[:, 6]) / 2)
    assert (lsp[:, 13, 1] > coco[:, 0, 1]).all()  # head top above the nose


def test_derived_detections_take_the_smallest_source_confidence():
    coco = np.zeros((2, 17, 3))
    coco[..., :2] = _walk(2)
    coco[..., 2] = 0.9
    coco[0, 5, 2] = 0.3
    coco[1, 6, 2] = 0.0  # right shoulder missing -> neck and head top missing
    coco[1, 6, :2] = 0.0
    lsp = dn.derive_lsp14_detections(coco)
    assert lsp.shape == (2, 14, 3)
    assert lsp[0, 12, 2] == pytest.approx(0.3) and lsp[0, 13, 2] == pytest.approx(0.3)
    assert lsp[1, 12, 2] == 0 and (lsp[1, 12, :2] == 0).all() and lsp[1, 13, 2] == 0
    assert np.array_equal(lsp[0, 2], coco[0, 12])  # LSP rhip = COCO right hip


# -- the simulator --------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", sorted(dn.PRESETS))
def test_same_seed_same_bits_and_seed_matters(preset):
    gt = _walk()
    vis = np.ones(gt.shape[:2], bool)

    def run(seed):
        return dn.simulate(np.random.default_rng(seed), gt, vis, (1280, 720), 30.0, preset).kp_px

    a, b, c = run(3), run(3), run(4)
    assert a.dtype == np.float32 and a.shape == (600, 17, 3)
    assert a.tobytes() == b.tobytes()
    assert (a.tobytes() != c.tobytes()) == (preset != "gt")


@pytest.mark.parametrize("preset,severity", [("gt", 1.0), ("aistpp", 0.0), ("h36m-hrnet", 0.0)])
def test_gt_preset_and_zero_severity_are_exact(preset, severity):
    gt = _walk()
    det = dn.simulate(np.random.default_rng(0), gt, np.ones(gt.shape[:2], bool), (1280, 720), 30.0, preset,
                      severity)
    assert np.allclose(det.kp_px[..., :2], gt, atol=1e-3) and (det.kp_px[..., 2] == 1).all()
    stats = measure([_noise_track(det.kp_px, gt)])
    assert stats["err_px"] < 1e-3 and stats["swap_rate"] == 0 and stats["outlier_rate"] == 0


def test_severity_scales_the_error_and_events():
    gt = _walk(1500)
    vis = np.ones(gt.shape[:2], bool)
    stats = [measure([_noise_track(dn.simulate(np.random.default_rng(1), gt, vis, (1280, 720), 30.0, "aistpp",
                                               s).kp_px, gt)]) for s in (0.5, 1.0, 2.0)]
    errs = [s["err_px"] for s in stats]
    assert errs[0] < errs[1] < errs[2]
    assert stats[0]["outlier_rate"] < stats[2]["outlier_rate"]


def test_out_of_image_keypoints_are_missing_and_geometry_lowers_confidence():
    gt = _walk(300)
    vis = np.ones(gt.shape[:2], bool)
    vis[:50, 9] = False  # left wrist outside the image
    geo = np.zeros_like(vis)
    geo[100:200, :5] = True  # face turned away
    det = dn.simulate(np.random.default_rng(0), gt, vis, (1280, 720), 30.0, "aistpp", 1.0, geo).kp_px
    assert (det[:50, 9] == 0).all() or (det[:50, 10, 2] > 0).all()  # missing unless swapped in from the right
    face = det[100:200, :5, 2]
    assert (face < 0.05).mean() > 0.9
    assert np.median(det[:100, 5:, 2]) > 0.3


def test_bad_preset_and_severity_are_errors():
    from posebench.errors import PosebenchError

    with pytest.raises(PosebenchError, match="unknown detector preset"):
        dn.get_preset("nope")
    gt = _walk(10)
    with pytest.raises(PosebenchError, match="severity"):
        dn.simulate(np.random.default_rng(0), gt, np.ones((10, 17), bool), (1280, 720), 30.0, "aistpp", 3.0)


# -- the statistics -------------------------------------------------------------------------------
def test_white_noise_statistics_match_theory():
    gt = _walk(3000)
    rng = np.random.default_rng(0)
    det = np.concatenate([gt + rng.normal(0, 3.0, gt.shape), np.ones(gt.shape[:2] + (1,))], -1)
    s = measure([_noise_track(det, gt)])
    assert s["accel_to_err_ratio"] == pytest.approx(np.sqrt(6), rel=0.05)  # Rayleigh means scale like sigmas
    assert abs(s["autocorr"]["1"]) < 0.03 and abs(s["autocorr"]["5"]) < 0.03
    assert s["err_px"] == pytest.approx(3.0 * np.sqrt(np.pi / 2), rel=0.03)
    assert s["swap_rate"] == 0 and s["outlier_rate"] == 0 and s["dropout_rate"] == 0


def test_ar1_autocorrelation_is_measured():
    gt = _walk(4000)
    rng = np.random.default_rng(1)
    noise = dn._ar1(rng, gt.shape, tau_frames=5.0) * 4.0
    det = np.concatenate([gt + noise, np.ones(gt.shape[:2] + (1,))], -1)
    s = measure([_noise_track(det, gt)])
    assert s["autocorr"]["1"] == pytest.approx(np.exp(-1 / 5), abs=0.03)
    assert s["autocorr"]["5"] == pytest.approx(np.exp(-1), abs=0.05)


def test_swaps_outliers_dropouts_and_runs_are_counted():
    gt = _walk(100)
    det = np.concatenate([gt.copy(), np.ones(gt.shape[:2] + (1,))], -1)
    det[10:13, [9, 10]] = det[10:13, [10, 9]]  # wrists swapped for 3 frames
    det[50:60] = det[50:60][:, [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]]  # whole-body flip
    det[80:84, 15, 2] = 0.01  # a 4-frame low-confidence run
    s = measure([_noise_track(det, gt)])
    assert s["swap_rate"] == pytest.approx(13 / 100)
    assert s["flip_rate"] == pytest.approx(10 / 100)
    assert s["swap_run_mean"] == pytest.approx(6.5)
    clean = np.concatenate([gt.copy(), np.ones(gt.shape[:2] + (1,))], -1)
    clean[70:72, 13, :2] += 200.0  # one 2-frame outlier run
    s_out = measure([_noise_track(clean, gt)])
    assert s_out["outlier_rate"] == pytest.approx(2 / 1200) and s_out["outlier_run_mean"] == pytest.approx(2.0)
    assert s["dropout_rate"] == pytest.approx(4 / 1200) and s["dropout_run_mean"] == pytest.approx(4.0)
    assert list(run_lengths(np.array([0, 1, 1, 0, 1], bool))) == [2, 1]


@pytest.mark.parametrize("preset,fps,lo,hi", [
    ("aistpp", 60.0, 0.55, 0.85),  # AIST++ measured 0.68 at its native 60 fps
    ("aistpp", 30.0, 0.8, 1.15),  # ... and 0.89 at 30 fps
    ("h36m-hrnet", 50.0, 0.15, 0.3),  # SmoothNet reports 0.22 for HRNet on Human3.6M at 50 fps
])
def test_presets_keep_their_ratio_across_frame_rates(preset, fps, lo, hi):
    gt = _walk(int(40 * fps))
    vis = np.ones(gt.shape[:2], bool)
    tracks = [_noise_track(dn.simulate(np.random.default_rng(s), gt, vis, (1280, 720), fps, preset).kp_px, gt, fps=fps)
              for s in range(3)]
    assert lo < measure(tracks)["accel_to_err_ratio"] < hi
