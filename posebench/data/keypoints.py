"""Keypoint orders of the licensed datasets, conversion between them by joint name,
and VIBE's crop normalisation of 2D keypoints.

Joint names follow VIBE's naming (``VIBE@851f779:lib/data_utils/kp_utils.py``), so a
conversion picks the joint with the same name and leaves zeros (confidence 0) where the
destination order has a joint the source lacks. OpenPose joints (``"OP RKnee"``) are
distinct names from the LSP/common ones (``"rknee"``), exactly as in VIBE; pass
``openpose_as_common=True`` to accept an OpenPose joint where the common joint of the same
body part is missing (used for InstaVariety, whose 25 joints are mostly OpenPose ones).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import medfilt

from posebench.errors import ShapeError

_COMMON14 = ("rankle", "rknee", "rhip", "lhip", "lknee", "lankle", "rwrist", "relbow", "rshoulder",
             "lshoulder", "lelbow", "lwrist", "neck", "headtop")

_OPENPOSE25 = ("OP Nose", "OP Neck", "OP RShoulder", "OP RElbow", "OP RWrist", "OP LShoulder", "OP LElbow",
               "OP LWrist", "OP MidHip", "OP RHip", "OP RKnee", "OP RAnkle", "OP LHip", "OP LKnee", "OP LAnkle",
               "OP REye", "OP LEye", "OP REar", "OP LEar", "OP LBigToe", "OP LSmallToe", "OP LHeel",
               "OP RBigToe", "OP RSmallToe", "OP RHeel")

JOINT_NAMES: dict[str, tuple[str, ...]] = {
    # SPIN's 49: 25 OpenPose + 24 dataset joints (docs/official_implementations.md §7.3)
    "spin49": _OPENPOSE25 + _COMMON14 + ("hip", "thorax", "Spine (H36M)", "Jaw (H36M)", "Head (H36M)", "nose",
                                          "leye", "reye", "lear", "rear"),
    "common14": _COMMON14,
    "lsp14": _COMMON14,
    # 3DPW poses2d: OpenPose COCO-18. VIBE calls index 1 "thorax" (not the LSP neck), so the
    # LSP neck and headtop stay missing, as VIBE's 3DPW preprocessing leaves them (docs/official_implementations.md §2.1).
    "coco18": ("nose", "thorax", "rshoulder", "relbow", "rwrist", "lshoulder", "lelbow", "lwrist", "rhip", "rknee",
               "rankle", "lhip", "lknee", "lankle", "reye", "leye", "rear", "lear"),
    "insta25": ("OP RHeel", "OP RKnee", "OP RHip", "OP LHip", "OP LKnee", "OP LHeel", "OP RWrist", "OP RElbow",
                "OP RShoulder", "OP LShoulder", "OP LElbow", "OP LWrist", "OP Neck", "headtop", "OP Nose",
                "OP LEye", "OP REye", "OP LEar", "OP REar", "OP LBigToe", "OP RBigToe", "OP LSmallToe",
                "OP RSmallToe", "OP LAnkle", "OP RAnkle"),
    "mpii3d28": ("spine3", "spine4", "spine2", "Spine (H36M)", "hip", "neck", "Head (H36M)", "headtop",
                 "left_clavicle", "lshoulder", "lelbow", "lwrist", "left_hand", "right_clavicle", "rshoulder",
                 "relbow", "rwrist", "right_hand", "lhip", "lknee", "lankle", "left_foot", "left_toe", "rhip",
                 "rknee", "rankle", "right_foot", "right_toe"),
    "mpii3d17": ("headtop", "neck", "rshoulder", "relbow", "rwrist", "lshoulder", "lelbow", "lwrist", "rhip",
                 "rknee", "rankle", "lhip", "lknee", "lankle", "hip", "Spine (H36M)", "Head (H36M)"),
    "pennaction13": ("headtop", "lshoulder", "rshoulder", "lelbow", "relbow", "lwrist", "rwrist", "lhip", "rhip",
                     "lknee", "rknee", "lankle", "rankle"),
    "h36m17": ("hip", "lhip", "lknee", "lankle", "rhip", "rknee", "rankle", "Spine (H36M)", "neck", "Head (H36M)",
               "headtop", "lshoulder", "lelbow", "lwrist", "rshoulder", "relbow", "rwrist"),
}

# OpenPose joint -> the common/LSP joint of the same body part (only used on request).
_OPENPOSE_TO_COMMON = {
    "OP RAnkle": "rankle", "OP RKnee": "rknee", "OP RHip": "rhip", "OP LHip": "lhip", "OP LKnee": "lknee",
    "OP LAnkle": "lankle", "OP RWrist": "rwrist", "OP RElbow": "relbow", "OP RShoulder": "rshoulder",
    "OP LShoulder": "lshoulder", "OP LElbow": "lelbow", "OP LWrist": "lwrist", "OP Neck": "neck",
    "OP Nose": "nose", "OP LEye": "leye", "OP REye": "reye", "OP LEar": "lear", "OP REar": "rear",
}


def joint_names(order: str) -> tuple[str, ...]:
    try:
        return JOINT_NAMES[order]
    except KeyError:
        raise ShapeError(f"unknown keypoint order {order!r}; known: {', '.join(sorted(JOINT_NAMES))}") from None


def conversion_indices(src: str, dst: str, *, openpose_as_common: bool = False) -> np.ndarray:
    """(K_dst,) int: source index of each destination joint, -1 where the source has none."""
    src_names, dst_names = joint_names(src), joint_names(dst)
    index = {n: i for i, n in enumerate(src_names)}
    if openpose_as_common:
        for op_name, common in _OPENPOSE_TO_COMMON.items():
            if op_name in index and common not in index:
                index[common] = index[op_name]
    return np.array([index.get(n, -1) for n in dst_names], dtype=np.int64)


def convert_kps(x: np.ndarray, src: str, dst: str, *, openpose_as_common: bool = False) -> np.ndarray:
    """Reorder keypoints ``x`` (..., K_src, C) from order ``src`` to ``dst`` by joint name.

    Joints of ``dst`` missing from ``src`` are all zeros (so confidence 0 when C = 3).
    """
    x = np.asarray(x)
    k_src = len(joint_names(src))
    if x.ndim < 2 or x.shape[-2] != k_src:
        raise ShapeError(f"convert_kps: expected (..., {k_src}, C) for order {src!r}, got {x.shape}")
    idx = conversion_indices(src, dst, openpose_as_common=openpose_as_common)
    out = np.zeros(x.shape[:-2] + (len(idx), x.shape[-1]), dtype=x.dtype)
    have = idx >= 0
    out[..., have, :] = x[..., idx[have], :]
    return out


def normalize_kp2d_to_crop(kp_px: np.ndarray, bbox: np.ndarray, crop_scale: float = 1.2,
                           crop_size: int = 224) -> np.ndarray:
    """Pixel keypoints (T, K, 3) -> crop-normalised (T, K, 3), x and y in [-1, 1] inside the crop.

    As VIBE's loaders do (``transfrom_keypoints`` then ``normalize_2d_kp``): the crop is
    centred on the box ``[cx, cy, w, h]`` (pixels, per frame) and spans
    ``crop_scale * w`` by ``crop_scale * h``; it is mapped to ``crop_size`` pixels and then
    ``2 * u / crop_size - 1``. Without rotation that affine is
    ``u = 2 (x - cx) / (crop_scale w)``. The confidence channel is kept; joints with
    confidence 0 get x = y = 0 (VIBE leaves transformed garbage there, which its losses
    ignore through the confidence).
    """
    kp_px = np.asarray(kp_px, dtype=np.float64)
    bbox = np.asarray(bbox, dtype=np.float64)
    if kp_px.ndim != 3 or kp_px.shape[-1] != 3:
        raise ShapeError(f"normalize_kp2d_to_crop: kp_px must be (T, K, 3), got {kp_px.shape}")
    if bbox.shape != (kp_px.shape[0], 4):
        raise ShapeError(f"normalize_kp2d_to_crop: bbox must be (T, 4) = (T={kp_px.shape[0]}, 4), got {bbox.shape}")
    if np.any(bbox[:, 2:] <= 0):
        raise ShapeError("normalize_kp2d_to_crop: bbox width and height must be > 0")
    centre = bbox[:, None, :2]
    size = crop_scale * bbox[:, None, 2:]
    crop_px = (kp_px[..., :2] - centre) * (crop_size / size) + crop_size / 2.0
    out = np.empty_like(kp_px)
    out[..., :2] = crop_px / (crop_size / 2.0) - 1.0
    out[..., 2] = kp_px[..., 2]
    out[kp_px[..., 2] <= 0, :2] = 0.0
    return out.astype(np.float32)


def normalize_crop_pixels(kp_crop_px: np.ndarray, crop_size: int = 224) -> np.ndarray:
    """Keypoints already in crop pixels (T, K, 3) -> [-1, 1] (``2 u / crop_size - 1``), conf kept.

    Used by InstaVariety, whose keypoints are stored in 224-crop pixels.
    """
    kp = np.asarray(kp_crop_px, dtype=np.float64)
    out = kp.copy()
    out[..., :2] = 2.0 * kp[..., :2] / crop_size - 1.0
    out[kp[..., 2] <= 0, :2] = 0.0
    return out.astype(np.float32)


def smooth_bbox_from_keypoints(kp_px: np.ndarray, vis_thresh: float = 0.3, sigma: float = 8.0,
                               ) -> tuple[np.ndarray, int, int]:
    """VIBE's smoothed keypoint box for a track (docs/official_implementations.md §2.1, ``get_smooth_bbox_params``).

    ``kp_px`` (T, K, 3) pixels + confidence. Per frame: centre of the box around the
    joints with confidence > ``vis_thresh``, ``scale = 150 / diagonal``; frames without
    a box in the middle are interpolated linearly; then a median filter (kernel 11) and a
    Gaussian filter (``sigma``) per parameter;
    boxes with a diagonal under 0.5 px count as missing. Returns ``(bbox (T', 4) [cx, cy, w, h]
    with w = h = 1.1 * 150 / scale, t_start, t_end)``: frames before the first and after
    the last valid box are cut (the box covers frames ``t_start:t_end``).
    Raises :class:`ShapeError` when no frame has a box.
    """
    kp_px = np.asarray(kp_px, dtype=np.float64)
    if kp_px.ndim != 3 or kp_px.shape[-1] != 3:
        raise ShapeError(f"smooth_bbox_from_keypoints: expected (T, K, 3), got {kp_px.shape}")
    T = kp_px.shape[0]
    params = np.full((T, 3), np.nan)  # cx, cy, scale
    for t in range(T):
        vis = kp_px[t, :, 2] > vis_thresh
        if not vis.any():
            continue
        pts = kp_px[t, vis, :2]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        diag = np.linalg.norm(hi - lo)
        if diag < 0.5:  # VIBE treats a sub-pixel box as no box
            continue
        params[t] = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, 150.0 / diag]
    good = np.flatnonzero(~np.isnan(params[:, 0]))
    if good.size == 0:
        raise ShapeError("smooth_bbox_from_keypoints: no frame has visible keypoints above vis_thresh")
    t0, t1 = int(good[0]), int(good[-1]) + 1
    p = params[t0:t1]
    frames = np.arange(t1 - t0)
    ok = ~np.isnan(p[:, 0])
    for c in range(3):
        p[:, c] = np.interp(frames, frames[ok], p[ok, c])
    # scipy.signal.medfilt zero-pads the ends, as VIBE's filter does
    p = np.stack([medfilt(p[:, c], 11) for c in range(3)], axis=1)
    p = gaussian_filter1d(p, sigma=sigma, axis=0)
    side = 1.1 * 150.0 / p[:, 2]
    return np.stack([p[:, 0], p[:, 1], side, side], axis=1), t0, t1
