"""People in a video: drop false detections, then link the rest into one track per person.

Input: per frame, the LSP-14 keypoints of every detected person, ``(P_t, 14, 3)`` pixels +
confidence (0 = missing joint), as :func:`posebench.video.landmarks_to_lsp14` gives them.

1. :func:`filter_detections` drops a detection that fails one of these checks, in this order,
   and counts the first reason it fails (:data:`REJECT_REASONS`):

   - ``visibility``: fewer than ``min_joints`` of the 14 joints kept;
   - ``box_size``: the box around the kept joints is lower than ``min_box_height`` x image height
     (a head alone, furniture near the floor);
   - ``box_aspect``: the box is more than ``max_aspect`` times wider than high (nobody upright is);
   - ``limb_lengths``: a thigh, shin, upper arm or forearm is more than ``max_limb_ratio`` x the
     torso (neck to mid-hip) long. A real body's limbs are shorter than its torso
     (about 0.8 x for the thigh); a chair's or a bar stool's crossed legs fitted as a
     skeleton have a torso of a few pixels and "limbs" many times longer;
   - ``duplicate``: more than ``max_containment`` of its box lies inside a kept box of the same
     frame at least ``duplicate_height_ratio`` times as high (the landmarker sometimes fits a
     second, small body to one person's head; two people of similar size crossing are kept).

2. :func:`track_people` links the kept detections frame by frame. Every live track predicts its
   box and keypoints at the new frame (constant velocity of the box centre); the similarity of a
   track and a detection is ``iou_weight x IoU(boxes) + (1 - iou_weight) x keypoint similarity``,
   the keypoint similarity being the mean over joints seen in both of
   ``exp(-d^2 / (2 (keypoint_sigma x box height)^2))`` (an OKS-like score). Tracks and detections
   are paired by the Hungarian algorithm (:func:`scipy.optimize.linear_sum_assignment`) on
   ``1 - similarity``; a pair below ``min_similarity`` is refused. An unpaired detection starts a
   new track; a track unseen for more than ``max_gap_s`` seconds ends. Tracks observed in fewer
   than ``min_track_frames`` frames are dropped (reason ``short_track``: temporal persistence).
   Track ids are 1, 2, ... in order of first appearance, after dropping.

Every threshold is a field of :class:`DetectionFilter` or :class:`TrackerConfig`; both go into
the demo's report.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from posebench.errors import ShapeError

REJECT_REASONS = ("visibility", "box_size", "box_aspect", "limb_lengths", "duplicate", "short_track")

# LSP-14 indices (posebench.skeleton.LSP14_JOINT_NAMES).
_RHIP, _LHIP, _NECK = 2, 3, 12
# Thighs, shins, upper arms, forearms as (joint, joint) pairs.
LIMBS = ((2, 1), (3, 4), (1, 0), (4, 5), (8, 7), (9, 10), (7, 6), (10, 11))


@dataclass(frozen=True)
class DetectionFilter:
    """Thresholds of the per-detection checks (module docstring)."""

    min_joints: int = 8
    min_box_height: float = 0.2  # fraction of the image height
    max_aspect: float = 2.0  # box width / height
    max_limb_ratio: float = 1.5  # limb length / torso length
    max_containment: float = 0.8  # fraction of a box inside a larger one of the same frame
    duplicate_height_ratio: float = 2.0  # ... that is at least this many times as high

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrackerConfig:
    """Thresholds of the tracker (module docstring)."""

    max_gap_s: float = 1.0
    min_similarity: float = 0.3
    iou_weight: float = 0.5
    keypoint_sigma: float = 0.15  # fraction of the box height
    min_track_frames: int = 10

    def max_gap_frames(self, fps: float) -> int:
        """Frames a track may go unseen and still continue: ``round(max_gap_s x fps)``."""
        return max(0, int(round(self.max_gap_s * fps)))

    def as_dict(self) -> dict:
        return asdict(self)


def keypoint_box(kp: np.ndarray) -> np.ndarray:
    """(14, 3) pixels + confidence -> ``[x0, y0, x1, y1]`` around the kept joints (NaN if none)."""
    ok = kp[:, 2] > 0
    if not ok.any():
        return np.full(4, np.nan)
    xy = kp[ok, :2]
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)]).astype(np.float64)


def limb_ratio(kp: np.ndarray) -> float:
    """Longest kept limb segment / torso length (neck to mid-hip); NaN when either is unmeasurable."""
    ok = kp[:, 2] > 0
    if not ok[_NECK] or not (ok[_RHIP] or ok[_LHIP]):
        return math.nan
    hips = [j for j in (_RHIP, _LHIP) if ok[j]]
    torso = float(np.linalg.norm(kp[_NECK, :2] - kp[hips, :2].mean(axis=0)))
    limbs = [float(np.linalg.norm(kp[a, :2] - kp[b, :2])) for a, b in LIMBS if ok[a] and ok[b]]
    if not limbs:
        return math.nan
    return max(limbs) / max(torso, 1e-6)


def _area(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0))


def _intersection(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return float(max(w, 0.0) * max(h, 0.0))


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``[x0, y0, x1, y1]`` boxes (0 when either is empty)."""
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def reject_reason(kp: np.ndarray, image_wh: tuple[int, int], cfg: DetectionFilter) -> str | None:
    """The first single-detection check (not ``duplicate``) that ``kp`` (14, 3) fails, or None."""
    if int((kp[:, 2] > 0).sum()) < cfg.min_joints:
        return "visibility"
    box = keypoint_box(kp)
    width, height = box[2] - box[0], box[3] - box[1]
    if height < cfg.min_box_height * image_wh[1]:
        return "box_size"
    if width > cfg.max_aspect * height:
        return "box_aspect"
    ratio = limb_ratio(kp)
    if math.isfinite(ratio) and ratio > cfg.max_limb_ratio:
        return "limb_lengths"
    return None


def filter_detections(kp_per_frame: list[np.ndarray], image_wh: tuple[int, int], cfg: DetectionFilter | None = None
                      ) -> tuple[list[np.ndarray], dict[str, int]]:
    """Keep masks per frame (``(P_t,)`` bool) and how many detections each reason dropped.

    ``kp_per_frame``: per frame, ``(P_t, 14, 3)`` LSP-14 pixels + confidence.
    """
    cfg = cfg or DetectionFilter()
    counts = {r: 0 for r in REJECT_REASONS}
    keeps = []
    for kps in kp_per_frame:
        kps = np.asarray(kps)
        if kps.ndim != 3 or kps.shape[1:] != (14, 3):
            raise ShapeError(f"filter_detections: each frame must be (P, 14, 3), got {kps.shape}")
        keep = np.ones(len(kps), bool)
        for p, kp in enumerate(kps):
            reason = reject_reason(kp, image_wh, cfg)
            if reason:
                keep[p] = False
                counts[reason] += 1
        # Duplicates: visit the kept boxes from the largest down; drop one mostly inside a much taller kept one.
        boxes = [keypoint_box(kp) for kp in kps]
        heights = [b[3] - b[1] for b in boxes]
        order = sorted(np.flatnonzero(keep), key=lambda p: -_area(boxes[p]))
        for i, p in enumerate(order):
            inside = [_intersection(boxes[p], boxes[q]) / max(_area(boxes[p]), 1e-9) for q in order[:i]
                      if keep[q] and heights[q] >= cfg.duplicate_height_ratio * heights[p]]
            if inside and max(inside) > cfg.max_containment:
                keep[p] = False
                counts["duplicate"] += 1
        keeps.append(keep)
    return keeps, counts


@dataclass
class PersonTrack:
    """One person over frames ``start .. start + T - 1`` of the video.

    kp2d_px (T, 14, 3) LSP-14 pixels + confidence, zeros on frames where the person was not
    observed (a gap up to ``max_gap_s``); observed (T,) bool; landmarks33_px (T, 33, 3) the raw
    detector landmarks (zeros where not observed) or None.
    """

    track_id: int
    start: int
    kp2d_px: np.ndarray
    observed: np.ndarray
    landmarks33_px: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.observed.shape[0])

    @property
    def end(self) -> int:
        """Last frame (inclusive)."""
        return self.start + len(self) - 1

    @property
    def frames(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self))

    @property
    def n_observed(self) -> int:
        return int(self.observed.sum())


@dataclass
class _Live:
    frames: list[int] = field(default_factory=list)
    kps: list[np.ndarray] = field(default_factory=list)
    extras: list[np.ndarray | None] = field(default_factory=list)
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # box centre, px / frame

    def predicted(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (14, 3) and box at frame t, moved by the box centre's velocity."""
        shift = self.velocity * (t - self.frames[-1])
        kp = self.kps[-1].copy()
        kp[:, :2] += np.where(kp[:, 2:] > 0, shift, 0.0)
        return kp, keypoint_box(self.kps[-1]) + np.tile(shift, 2)

    def add(self, t: int, kp: np.ndarray, extra: np.ndarray | None) -> None:
        if self.frames:
            old, new = keypoint_box(self.kps[-1]), keypoint_box(kp)
            step = ((new[:2] + new[2:]) - (old[:2] + old[2:])) / 2 / (t - self.frames[-1])
            # Half of the new step, half of the old velocity: one noisy box does not throw the prediction.
            self.velocity = 0.5 * self.velocity + 0.5 * step if len(self.frames) > 1 else step
        self.frames.append(t)
        self.kps.append(kp)
        self.extras.append(extra)


def keypoint_similarity(a: np.ndarray, b: np.ndarray, box_height_px: float, sigma: float) -> float:
    """Mean ``exp(-d^2 / (2 (sigma h)^2))`` over joints kept in both (14, 3) sets; 0 if none shared."""
    both = (a[:, 2] > 0) & (b[:, 2] > 0)
    if not both.any():
        return 0.0
    d2 = ((a[both, :2] - b[both, :2]) ** 2).sum(axis=1)
    scale2 = (sigma * max(box_height_px, 1.0)) ** 2
    return float(np.exp(-d2 / (2.0 * scale2)).mean())


def track_similarity(track_kp: np.ndarray, track_box: np.ndarray, det_kp: np.ndarray, cfg: TrackerConfig) -> float:
    """``iou_weight x IoU + (1 - iou_weight) x keypoint similarity`` of a predicted track and a detection."""
    det_box = keypoint_box(det_kp)
    height = max(track_box[3] - track_box[1], det_box[3] - det_box[1])
    return (cfg.iou_weight * box_iou(track_box, det_box)
            + (1.0 - cfg.iou_weight) * keypoint_similarity(track_kp, det_kp, height, cfg.keypoint_sigma))


def track_people(kp_per_frame: list[np.ndarray], fps: float, cfg: TrackerConfig | None = None, *,
                 keep: list[np.ndarray] | None = None, extras_per_frame: list[np.ndarray] | None = None
                 ) -> tuple[list[PersonTrack], int]:
    """Link detections into tracks (module docstring).

    kp_per_frame: per frame ``(P_t, 14, 3)``; keep: per frame ``(P_t,)`` bool from
    :func:`filter_detections` (all kept when None); extras_per_frame: per frame ``(P_t, ...)``
    carried along per detection (the raw landmarks). Returns the tracks (ids 1, 2, ... by first
    frame) and the number of detections dropped as too-short tracks.
    """
    from scipy.optimize import linear_sum_assignment

    cfg = cfg or TrackerConfig()
    max_gap = cfg.max_gap_frames(fps)
    live: list[_Live] = []
    done: list[_Live] = []
    for t, kps in enumerate(kp_per_frame):
        kps = np.asarray(kps, dtype=np.float64)
        idx = np.arange(len(kps)) if keep is None else np.flatnonzero(keep[t])
        extras = extras_per_frame[t] if extras_per_frame is not None else None
        # Tracks unseen for longer than the gap end here.
        still = [tr for tr in live if t - tr.frames[-1] <= max_gap + 1]
        done += [tr for tr in live if t - tr.frames[-1] > max_gap + 1]
        live = still
        paired: set[int] = set()
        if live and len(idx):
            sim = np.zeros((len(live), len(idx)))
            for i, tr in enumerate(live):
                pkp, pbox = tr.predicted(t)
                for j, p in enumerate(idx):
                    sim[i, j] = track_similarity(pkp, pbox, kps[p], cfg)
            rows, cols = linear_sum_assignment(1.0 - sim)
            for i, j in zip(rows, cols):
                if sim[i, j] >= cfg.min_similarity:
                    live[i].add(t, kps[idx[j]], None if extras is None else extras[idx[j]])
                    paired.add(int(idx[j]))
        for p in idx:
            if int(p) not in paired:
                tr = _Live()
                tr.add(t, kps[p], None if extras is None else extras[p])
                live.append(tr)
    done += live
    kept = sorted((tr for tr in done if len(tr.frames) >= cfg.min_track_frames), key=lambda tr: tr.frames[0])
    dropped = sum(len(tr.frames) for tr in done if len(tr.frames) < cfg.min_track_frames)
    return [_to_track(i + 1, tr) for i, tr in enumerate(kept)], dropped


def _to_track(track_id: int, tr: _Live) -> PersonTrack:
    start, end = tr.frames[0], tr.frames[-1]
    T = end - start + 1
    kp = np.zeros((T, 14, 3), np.float32)
    observed = np.zeros(T, bool)
    extra = None
    if tr.extras[0] is not None:
        extra = np.zeros((T, *np.shape(tr.extras[0])), np.float32)
    for t, k, e in zip(tr.frames, tr.kps, tr.extras):
        kp[t - start] = k
        observed[t - start] = True
        if extra is not None:
            extra[t - start] = e
    return PersonTrack(track_id=track_id, start=start, kp2d_px=kp, observed=observed, landmarks33_px=extra)
