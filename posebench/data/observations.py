"""From detected 2D keypoints to the per-frame model input: the ONE definition every model uses.

Whatever produced the keypoints (the CMU benchmark's simulated detector, a real detector on a
video in ``posebench demo``), a track's observations go through the same three steps:

1. :func:`track_bbox`: the smoothed box of the visible keypoints, as VIBE does (docs/official_implementations.md
   §2.1 and §6.1, :func:`posebench.data.keypoints.smooth_bbox_from_keypoints`): per-frame
   centre + scale = 150 / diagonal of the keypoints with confidence > 0, median 11 + Gaussian
   sigma 8, ``[cx, cy, w, h]`` with w = h = 1.1 * diagonal; frames before the first / after
   the last frame with a box reuse the nearest box.
2. :func:`normalize_to_box`: keypoints normalised to the 224 crop at scale 1.2 around the box,
   ``2 u / 224 - 1`` (:func:`posebench.data.keypoints.normalize_kp2d_to_crop`); missing joints
   (confidence 0) get x = y = 0.
3. :func:`observation_features`: ``FEATURE_DIM`` = 73 float32 channels per frame
   (:func:`feature_names`):

   - 0-27: normalised keypoints x, y (LSP-14 order, x then y per joint), times confidence;
   - 28-41: confidence per joint;
   - 42-44: box centre x / image width, centre y / image height, box side / image height;
   - 45-72: first differences of the normalised keypoints (frame t minus t-1), 0 at t = 0 and
     where the joint is missing in either frame.

:func:`observe_keypoints` runs the three steps with the dtypes the CMU benchmark uses
(pixel keypoints and box stored as float32 before normalising), so a new source of
keypoints gives exactly the features the models were trained on.

Keypoints are LSP-14 (:data:`posebench.skeleton.LSP14_JOINT_NAMES`), ``(T, 14, 3)`` pixels +
confidence; a missing joint has confidence 0 and position 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posebench.data.keypoints import normalize_kp2d_to_crop, smooth_bbox_from_keypoints
from posebench.errors import ShapeError
from posebench.skeleton import LSP14_JOINT_NAMES

FEATURE_DIM = 73
NUM_KP = 14
CROP_SCALE = 1.2
CROP_SIZE = 224


def track_bbox(kp_px: np.ndarray) -> np.ndarray:
    """(T, 14, 3) pixel detections -> (T, 4) smoothed ``[cx, cy, w, h]`` VIBE box for every frame.

    Frames outside the span that has visible keypoints reuse the nearest box. A track with no
    visible keypoint at all raises :class:`ShapeError`.
    """
    bbox, t0, t1 = smooth_bbox_from_keypoints(kp_px, vis_thresh=0.0)
    out = np.empty((kp_px.shape[0], 4))
    out[t0:t1] = bbox
    out[:t0] = bbox[0]
    out[t1:] = bbox[-1]
    return out


def normalize_to_box(kp_px: np.ndarray, bbox: np.ndarray) -> np.ndarray:
    """(T, 14, 3) pixels + conf -> (T, 14, 3) crop-normalised (VIBE's scale-1.2, 224 crop), conf kept."""
    return normalize_kp2d_to_crop(kp_px, bbox, crop_scale=CROP_SCALE, crop_size=CROP_SIZE)


def feature_names() -> list[str]:
    """Names of the FEATURE_DIM channels of :func:`observation_features`, in order."""
    xy = [f"{n}_{a}*conf" for n in LSP14_JOINT_NAMES for a in ("x", "y")]
    conf = [f"{n}_conf" for n in LSP14_JOINT_NAMES]
    box = ["bbox_cx/W", "bbox_cy/H", "bbox_size/H"]
    diff = [f"d_{n}_{a}" for n in LSP14_JOINT_NAMES for a in ("x", "y")]
    names = xy + conf + box + diff
    assert len(names) == FEATURE_DIM
    return names


def feature_mirror() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(perm, sign, offset)`` with which ``features[..., perm] * sign + offset`` are the features of
    the left/right mirrored image (x -> width - x), for flip augmentation of the 73-d layout.

    Mirroring swaps left and right joints (:data:`posebench.skeleton.LSP14_FLIP_PERM`), negates the
    crop-normalised x (the crop is centred on the box, which mirrors with the image) and its first
    difference, and maps the box centre ``cx/W`` to ``1 - cx/W``. An affine map, so it works on
    numpy arrays and torch tensors alike.
    """
    from posebench.skeleton import LSP14_FLIP_PERM

    names = feature_names()
    index = {n: i for i, n in enumerate(names)}
    joints = LSP14_JOINT_NAMES
    perm, sign, offset = [], [], []
    for name in names:
        source, s, o = name, 1.0, 0.0
        for j, joint in enumerate(joints):
            mirrored = joints[LSP14_FLIP_PERM[j]]
            if name.startswith(joint + "_") or name.startswith("d_" + joint + "_"):
                source = name.replace(joint, mirrored, 1)
                s = -1.0 if name.endswith("_x*conf") or name.endswith("_x") else 1.0
                break
        if name == "bbox_cx/W":
            s, o = -1.0, 1.0
        perm.append(index[source])
        sign.append(s)
        offset.append(o)
    return np.asarray(perm), np.asarray(sign, np.float32), np.asarray(offset, np.float32)


def observation_features(kp2d_norm: np.ndarray, bbox: np.ndarray, image_wh: tuple[int, int]) -> np.ndarray:
    """The per-frame model input, (T, 73) float32 (layout in the module docstring).

    kp2d_norm (T, 14, 3) crop-normalised keypoints + confidence; bbox (T, 4) ``[cx, cy, w, h]``
    pixels; image_wh (width, height) pixels.
    """
    kp = np.asarray(kp2d_norm, dtype=np.float32)
    bbox = np.asarray(bbox, dtype=np.float32)
    T = kp.shape[0]
    if kp.shape != (T, NUM_KP, 3) or bbox.shape != (T, 4):
        raise ShapeError(f"observation_features: expected kp2d_norm (T, 14, 3) and bbox (T, 4), got {kp.shape}"
                         f" and {bbox.shape}")
    conf = kp[..., 2]
    xy = kp[..., :2]
    width, height = image_wh
    box = np.stack([bbox[:, 0] / width, bbox[:, 1] / height, bbox[:, 2] / height], axis=1)
    diff = np.zeros_like(xy)
    both = (conf[1:] > 0) & (conf[:-1] > 0)
    diff[1:] = np.where(both[..., None], xy[1:] - xy[:-1], 0.0)
    out = np.concatenate([(xy * conf[..., None]).reshape(T, -1), conf, box, diff.reshape(T, -1)], axis=1)
    return out.astype(np.float32)


@dataclass
class Observations:
    """A track's model inputs built from pixel keypoints (all float32).

    kp2d_px (T, 14, 3) pixels + confidence; bbox_px (T, 4) ``[cx, cy, w, h]``;
    kp2d_norm (T, 14, 3) crop-normalised + confidence; features (T, FEATURE_DIM).
    """

    kp2d_px: np.ndarray
    bbox_px: np.ndarray
    kp2d_norm: np.ndarray
    features: np.ndarray


def observe_keypoints(kp2d_px: np.ndarray, image_wh: tuple[int, int], name: str = "track") -> Observations:
    """Box, normalised keypoints and features of one track, exactly as the CMU benchmark builds them.

    ``kp2d_px`` (T, 14, 3) LSP-14 pixels + confidence (0 = missing); ``image_wh`` (width, height).
    The benchmark caches the pixel keypoints and the box as float32 and normalises from those,
    so this does too. Raises :class:`ShapeError` naming ``name`` when the shape is wrong or no
    frame has a visible keypoint.
    """
    kp = np.asarray(kp2d_px, dtype=np.float32)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_KP, 3):
        raise ShapeError(f"{name}: field 'kp2d_px' must be (T, 14, 3), got {kp.shape}")
    if not (kp[..., 2] > 0).any():
        raise ShapeError(f"{name}: field 'kp2d_px' has no visible keypoint in any of its {len(kp)} frames")
    bbox = track_bbox(kp).astype(np.float32)
    kp_norm = normalize_to_box(kp, bbox)
    return Observations(kp2d_px=kp, bbox_px=bbox, kp2d_norm=kp_norm,
                        features=observation_features(kp_norm, bbox, image_wh))
