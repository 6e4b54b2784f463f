"""False-detection filter and multi-person tracker (posebench.tracking) on synthetic detections:
no detector, no mediapipe."""
from __future__ import annotations

import numpy as np
import pytest

from posebench.errors import ShapeError
from posebench.tracking import (
    REJECT_REASONS,
    DetectionFilter,
    TrackerConfig,
    box_iou,
    filter_detections,
    keypoint_box,
    limb_ratio,
    reject_reason,
    track_people,
)

IMAGE_WH = (768, 432)

# Height fractions above the feet and sideways offsets (fractions of the height) per LSP-14 joint,
# for an upright person facing the camera (the person's right is the image's left).
_UP = np.array([0.0, 0.28, 0.5, 0.5, 0.28, 0.0, 0.48, 0.63, 0.8, 0.8, 0.63, 0.48, 0.82, 1.0])
_SIDE = np.array([-0.08, -0.08, -0.1, 0.1, 0.08, 0.08, -0.15, -0.14, -0.12, 0.12, 0.14, 0.15, 0.0, 0.0])


def person(cx: float, feet_y: float, height: float, conf: float = 0.9) -> np.ndarray:
    """(14, 3) LSP-14 pixels + confidence of an upright person ``height`` px tall."""
    kp = np.zeros((14, 3))
    kp[:, 0] = cx + _SIDE * height
    kp[:, 1] = feet_y - _UP * height
    kp[:, 2] = conf
    return kp


def stool(cx: float = 300, y: float = 300, size: float = 60) -> np.ndarray:
    """A bar stool's crossed legs fitted as a skeleton: a torso of a few pixels, long 'limbs'."""
    kp = person(cx, y, size)
    kp[[12, 13, 8, 9, 2, 3], 1] = y - 0.5 * size  # neck, head, shoulders and hips bunched together
    kp[12, 1] -= 2
    kp[[0, 5, 6, 11], 0] += np.array([-1, 1, -1, 1]) * size  # feet and hands spread like legs
    return kp


def frames_of(*people_per_frame) -> list[np.ndarray]:
    return [np.stack(p) if len(p) else np.zeros((0, 14, 3)) for p in people_per_frame]


# -- the per-detection checks ----------------------------------------------------------------

def test_a_real_looking_person_passes_every_check():
    kp = person(300, 400, 300)
    assert reject_reason(kp, IMAGE_WH, DetectionFilter()) is None
    assert limb_ratio(kp) == pytest.approx(0.28 / 0.32)  # shin 0.28 h / torso (neck to mid-hip) 0.32 h
    np.testing.assert_allclose(keypoint_box(kp), [300 - 45, 100, 300 + 45, 400])


def test_each_reason_is_the_one_that_fails():
    cfg = DetectionFilter()
    few = person(300, 400, 300)
    few[:7, 2] = 0
    assert reject_reason(few, IMAGE_WH, cfg) == "visibility"
    assert reject_reason(person(300, 400, 0.19 * 432), IMAGE_WH, cfg) == "box_size"
    lying = person(300, 400, 300)[:, [1, 0, 2]]  # x and y swapped: 300 px wide, 90 px high
    assert reject_reason(lying, IMAGE_WH, cfg) == "box_aspect"
    # The stool is small (box_size) and, judged on its shape alone, implausible (limb_lengths).
    assert reject_reason(stool(), IMAGE_WH, cfg) == "box_size"
    assert reject_reason(stool(), IMAGE_WH, DetectionFilter(min_box_height=0.0, max_aspect=10)) == "limb_lengths"
    assert limb_ratio(stool()) > 10


def test_filter_counts_reasons_and_drops_a_body_fitted_inside_a_head():
    big = person(300, 420, 380)
    head_body = person(300, 420 - 0.78 * 380, 0.21 * 432)  # a second, small "person" on the first's head
    frames = frames_of([big, head_body], [stool()], [], [person(600, 400, 300), person(150, 400, 300)])
    keep, counts = filter_detections(frames, IMAGE_WH)
    assert [k.tolist() for k in keep] == [[True, False], [False], [], [True, True]]
    assert counts == {**{r: 0 for r in REJECT_REASONS}, "duplicate": 1, "box_size": 1}
    with pytest.raises(ShapeError):
        filter_detections([np.zeros((1, 17, 3))], IMAGE_WH)


def test_box_iou():
    a = np.array([0, 0, 10, 10.0])
    assert box_iou(a, a) == 1.0 and box_iou(a, a + [20, 0, 20, 0]) == 0.0
    assert box_iou(a, np.array([5, 0, 15, 10.0])) == pytest.approx(50 / 150)


# -- the tracker -----------------------------------------------------------------------------

def test_two_people_crossing_keep_their_ids():
    """One walks right, a smaller one (further away) walks left; they overlap mid-way. The order of the
    detections within a frame is shuffled, as MediaPipe's is."""
    rng = np.random.default_rng(0)
    frames = []
    for t in range(40):
        a, b = person(100 + 14 * t, 420, 320), person(660 - 14 * t, 380, 250)
        frames.append(np.stack([a, b] if rng.random() < 0.5 else [b, a]))
    tracks, dropped = track_people(frames, fps=10.0)
    assert dropped == 0 and [t.track_id for t in tracks] == [1, 2]
    for tr in tracks:
        assert (tr.start, tr.end, tr.n_observed) == (0, 39, 40)
        heights = np.ptp(tr.kp2d_px[:, :, 1], axis=1)
        assert np.ptp(heights) < 1e-3  # every frame of a track is the same person
    direction = {np.sign(np.diff(tr.kp2d_px[:, 12, 0])).mean() for tr in tracks}
    assert direction == {1.0, -1.0}


def test_a_short_gap_keeps_the_id_and_a_long_one_starts_a_new_track():
    def walk(missing):
        return frames_of(*[[] if t in missing else [person(100 + 8 * t, 420, 320)] for t in range(60)])

    tracks, _ = track_people(walk(set(range(20, 27))), fps=10.0)  # 0.7 s unseen < max_gap 1 s
    assert len(tracks) == 1 and len(tracks[0]) == 60 and tracks[0].n_observed == 53
    assert not tracks[0].observed[20:27].any() and (tracks[0].kp2d_px[20:27] == 0).all()
    tracks, _ = track_people(walk(set(range(20, 35))), fps=10.0)  # 1.5 s unseen
    assert [(t.track_id, t.start, t.end) for t in tracks] == [(1, 0, 19), (2, 35, 59)]
    # The gap is declared in seconds: the same 7 frames at 5 fps are 1.4 s, too long.
    assert len(track_people(walk(set(range(20, 27))), fps=5.0)[0]) == 2
    assert TrackerConfig().max_gap_frames(30.0) == 30


def test_short_tracks_are_dropped_and_counted():
    frames = frames_of(*[[person(100 + 8 * t, 420, 320)] + ([person(650, 420, 300)] if t < 3 else [])
                         for t in range(30)])
    tracks, dropped = track_people(frames, fps=10.0)
    assert len(tracks) == 1 and dropped == 3
    assert len(track_people(frames, fps=10.0, cfg=TrackerConfig(min_track_frames=3))[0]) == 2


def test_keep_masks_and_extras_are_honoured():
    frames = frames_of(*[[person(100 + 8 * t, 420, 320), stool()] for t in range(20)])
    keep, counts = filter_detections(frames, IMAGE_WH)
    extras = [np.stack([np.full((33, 3), t), np.full((33, 3), -1)]) for t in range(20)]
    tracks, dropped = track_people(frames, 10.0, keep=keep, extras_per_frame=extras)
    assert counts["box_size"] == 20 and dropped == 0 and len(tracks) == 1
    np.testing.assert_array_equal(tracks[0].landmarks33_px[:, 0, 0], np.arange(20))
