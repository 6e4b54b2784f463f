"""Keypoint orders, name-based conversion and VIBE's crop normalisation.

Pure-format tests: keypoint values are random numbers (no pose is involved).
"""
from __future__ import annotations

import numpy as np
import pytest

from posebench.data.keypoints import (JOINT_NAMES, convert_kps, normalize_crop_pixels, normalize_kp2d_to_crop,
                                      smooth_bbox_from_keypoints)
from posebench.errors import ShapeError
from posebench.skeleton import LSP14_JOINT_NAMES

RNG = np.random.default_rng(1)


def test_orders_have_documented_sizes_and_unique_names():
    sizes = {"spin49": 49, "common14": 14, "lsp14": 14, "coco18": 18, "insta25": 25, "mpii3d28": 28,
             "mpii3d17": 17, "pennaction13": 13, "h36m17": 17}
    for order, k in sizes.items():
        assert len(JOINT_NAMES[order]) == k and len(set(JOINT_NAMES[order])) == k, order
    assert len(LSP14_JOINT_NAMES) == 14


def test_spin49_to_lsp14_is_indices_25_to_38():
    x = RNG.normal(size=(4, 49, 3))
    np.testing.assert_array_equal(convert_kps(x, "spin49", "lsp14"), x[:, 25:39])


def test_h36m17_to_lsp14_matches_h36m_to_j14():
    x = RNG.normal(size=(2, 17, 3))
    h36m_to_j14 = [6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10]  # docs/official_implementations.md §1.1
    np.testing.assert_array_equal(convert_kps(x, "h36m17", "lsp14"), x[:, h36m_to_j14])


def test_coco18_to_lsp14_leaves_neck_and_headtop_empty():
    x = RNG.uniform(0.5, 1, size=(3, 18, 3))
    y = convert_kps(x, "coco18", "lsp14")
    np.testing.assert_array_equal(y[:, 12:], 0)
    np.testing.assert_array_equal(y[:, 1], x[:, 9])  # rknee
    np.testing.assert_array_equal(y[:, 11], x[:, 7])  # lwrist


def test_insta_openpose_fallback_only_on_request():
    x = RNG.uniform(0.5, 1, size=(2, 25, 3))
    strict = convert_kps(x, "insta25", "lsp14")
    assert np.count_nonzero(strict[..., 2].any(axis=0)) == 1  # only headtop shares a name
    loose = convert_kps(x, "insta25", "lsp14", openpose_as_common=True)
    np.testing.assert_array_equal(loose[:, 0], x[:, 24])  # OP RAnkle
    np.testing.assert_array_equal(loose[:, 12], x[:, 12])  # OP Neck
    np.testing.assert_array_equal(loose[:, 13], x[:, 13])  # headtop


def test_convert_round_trip_keeps_shared_joints_and_rejects_wrong_size():
    x = RNG.normal(size=(5, 14, 3))
    back = convert_kps(convert_kps(x, "lsp14", "spin49"), "spin49", "lsp14")
    np.testing.assert_array_equal(back, x)
    with pytest.raises(ShapeError):
        convert_kps(x, "spin49", "lsp14")


def test_normalize_matches_vibe_affine():
    kp = np.concatenate([RNG.uniform(0, 500, size=(6, 14, 2)), np.ones((6, 14, 1))], axis=-1)
    kp[0, 3, 2] = 0
    bbox = np.column_stack([RNG.uniform(200, 300, 6), RNG.uniform(200, 300, 6), RNG.uniform(100, 200, (6, 2))])
    out = normalize_kp2d_to_crop(kp, bbox)
    # VIBE: crop of side scale*w around the centre -> 224 px -> 2u/224 - 1
    u = (kp[..., 0] - bbox[:, None, 0]) * (224 / (1.2 * bbox[:, None, 2])) + 112
    expected_x = 2 * u / 224 - 1
    expected_x[0, 3] = 0
    np.testing.assert_allclose(out[..., 0], expected_x, rtol=1e-5, atol=1e-5)
    corner = normalize_kp2d_to_crop(np.array([[[260.0 + 60, 240.0 + 60, 1]]]), np.array([[260.0, 240, 100, 100]]))
    np.testing.assert_allclose(corner[0, 0, :2], [1, 1], atol=1e-6)  # box edge * 1.2 = crop edge
    assert out[0, 3, 2] == 0
    np.testing.assert_allclose(normalize_crop_pixels(np.array([[[0.0, 224, 1]]]))[0, 0, :2], [-1, 1])


def test_smooth_bbox_cuts_empty_ends_and_is_smooth():
    T = 40
    kp = np.zeros((T, 14, 3))
    kp[:, :, :2] = RNG.uniform(100, 300, size=(1, 14, 2)) + np.linspace(0, 50, T)[:, None, None]
    kp[5:35, :, 2] = 1.0
    kp[20, :, 2] = 0.0  # a gap in the middle is interpolated
    box, t0, t1 = smooth_bbox_from_keypoints(kp)
    assert (t0, t1) == (5, 35) and box.shape == (30, 4)
    np.testing.assert_allclose(box[:, 2], box[:, 3])
    assert np.all(np.abs(np.diff(box[5:25, 0])) < 5)
