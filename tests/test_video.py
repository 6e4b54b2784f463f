"""posebench.video: landmarks -> LSP-14, the video reader, detection over a whole video (several people),
the MediaPipe detector (telemetry blocked). `posebench demo` itself: tests/test_demo.py."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from posebench import video as pv
from posebench.errors import DataFormatError, PosebenchError, ShapeError

CLIP = "video/intel_sample_videos/one-by-one-person-detection_cut_006s_14s.mp4"
DETECTOR_BUNDLE = "models/mediapipe/pose_landmarker_full.task"


@pytest.fixture(scope="module")
def clip_path() -> Path:
    from conftest import find_realdata_dir

    root = find_realdata_dir()
    if root is None or not (root / CLIP).is_file():
        pytest.skip(f"real video {CLIP} not found (set POSEBENCH_REALDATA or put shared/realdata beside the repo)")
    return root / CLIP


# -- landmarks -> LSP-14 ---------------------------------------------------------------------

def hand_made_landmarks() -> np.ndarray:
    """(33, 3) a person facing the camera in a 400x300 image; every landmark scores 0.9."""
    lm = np.zeros((33, 3))
    lm[:, 2] = 0.9
    lm[:, :2] = (200, 150)  # landmarks without a role here (fingers, mouth, feet)
    pts = {0: (100, 70), 2: (105, 62), 5: (95, 62), 7: (110, 60), 8: (90, 60), 11: (120, 100), 12: (80, 100),
           13: (130, 140), 14: (70, 140), 15: (135, 175), 16: (65, 175), 23: (112, 180), 24: (88, 180),
           25: (114, 230), 26: (86, 230), 27: (115, 280), 28: (85, 280)}
    for i, xy in pts.items():
        lm[i, :2] = xy
    return lm


def test_landmarks_to_lsp14_direct_joints_and_neck():
    out = pv.landmarks_to_lsp14(hand_made_landmarks(), (400, 300))
    assert out.shape == (14, 3) and out.dtype == np.float32
    expected_xy = [(85, 280), (86, 230), (88, 180), (112, 180), (114, 230), (115, 280), (65, 175), (70, 140),
                   (80, 100), (120, 100), (130, 140), (135, 175), (100, 100)]
    np.testing.assert_allclose(out[:13, :2], expected_xy)
    np.testing.assert_allclose(out[:, 2], 0.5 + 0.5 * 0.9, rtol=1e-6)  # visibility 0.9 -> confidence 0.95


def test_landmarks_to_lsp14_headtop_rule_with_fallbacks():
    lm = hand_made_landmarks()
    # ears (100, 60), neck (100, 100): headtop = H + 0.6 (H - neck)
    np.testing.assert_allclose(pv.landmarks_to_lsp14(lm, (400, 300))[13], [100, 36, 0.95], rtol=1e-6)
    lm[7, 2] = 0.05  # one ear below the 0.1 threshold -> eyes (100, 62)
    lm[5, 2] = 0.7
    np.testing.assert_allclose(pv.landmarks_to_lsp14(lm, (400, 300))[13], [100, 62 - 0.6 * 38, 0.85], rtol=1e-6)
    lm[2, 2] = 0.0  # an eye too -> nose (100, 70)
    lm[0, 2] = 0.6
    np.testing.assert_allclose(pv.landmarks_to_lsp14(lm, (400, 300))[13], [100, 70 - 0.6 * 30, 0.8], rtol=1e-6)
    lm[11, 2] = 0.2  # the weaker of head and neck sets the confidence
    np.testing.assert_allclose(pv.landmarks_to_lsp14(lm, (400, 300))[13], [100, 52, 0.6], rtol=1e-6)
    lm[0, 2] = 0.02  # no head landmark left
    np.testing.assert_allclose(pv.landmarks_to_lsp14(lm, (400, 300))[13], [0, 0, 0])


def test_landmarks_to_lsp14_drops_low_scores_and_points_outside_the_image():
    lm = hand_made_landmarks()
    lm[27, 1] = 310  # left ankle below the 300 px image
    lm[14, 2] = 0.08  # right elbow: visibility under 0.1
    lm[12, 2] = 0.05  # right shoulder -> the neck and the headtop go too
    lm[26, 2] = np.nan  # a NaN score counts as 0
    out = pv.landmarks_to_lsp14(lm, (400, 300))
    for joint in (1, 5, 7, 8, 12, 13):
        np.testing.assert_array_equal(out[joint], 0.0)
    np.testing.assert_allclose(out[[0, 2, 3, 4, 6, 9, 10, 11], 2], 0.95, rtol=1e-6)
    # A lower threshold keeps what the default drops.
    kept = pv.landmarks_to_lsp14(lm, (400, 300), min_visibility=0.05)
    np.testing.assert_allclose(kept[12], [100, 100, 0.525], rtol=1e-6)
    np.testing.assert_allclose(kept[7], [70, 140, 0.54], rtol=1e-6)
    assert kept[5, 2] == 0  # still outside the image
    # A headtop extrapolated above the image is dropped as well.
    lm = hand_made_landmarks()
    lm[[7, 8], 1] = 5
    lm[[11, 12], 1] = 20
    assert pv.landmarks_to_lsp14(lm, (400, 300))[13, 2] == 0


def test_landmarks_to_lsp14_batched_and_bad_shape():
    lm = np.stack([hand_made_landmarks(), hand_made_landmarks() + [10, 0, 0]])
    out = pv.landmarks_to_lsp14(lm, (400, 300))
    np.testing.assert_allclose(out[1, :, 0] - out[0, :, 0], 10, rtol=1e-6)
    with pytest.raises(ShapeError, match=r"\(\.\.\., 33, 3\)"):
        pv.landmarks_to_lsp14(np.zeros((17, 3)), (400, 300))


def test_frame_timestamps_increase():
    assert [pv.frame_timestamp_ms(i, 10.0) for i in range(3)] == [0, 100, 200]
    assert pv.frame_timestamp_ms(5, 3000.0) == 5


# -- the video reader ------------------------------------------------------------------------

def test_video_reader_on_the_real_clip(clip_path):
    info = pv.read_video_info(clip_path)
    assert (info.fps, info.n_frames, info.width, info.height) == (10.0, 140, 768, 432)
    frames = list(pv.iter_frames(clip_path))
    assert len(frames) == 140
    assert frames[0].shape == (432, 768, 3) and frames[0].dtype == np.uint8
    assert not np.array_equal(frames[0], frames[70])
    first = next(pv.iter_frames(clip_path, max_frames=1))
    np.testing.assert_array_equal(first, frames[0])
    assert len(list(pv.iter_frames(clip_path, max_frames=7))) == 7
    assert pv.read_video_info(clip_path, fps=25.0).fps == 25.0


def test_video_reader_errors(tmp_path):
    with pytest.raises(DataFormatError, match="missing.mp4: video file not found"):
        pv.read_video_info(tmp_path / "missing.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(DataFormatError, match="bad.mp4"):
        pv.read_video_info(bad)


def test_detector_model_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv(pv.DETECTOR_MODEL_ENV, raising=False)
    with pytest.raises(PosebenchError, match="--detector-model"):
        pv.resolve_detector_model(None)
    bundle = tmp_path / "x.task"
    bundle.write_bytes(b"zip")
    monkeypatch.setenv(pv.DETECTOR_MODEL_ENV, str(bundle))
    assert pv.resolve_detector_model(None) == bundle
    with pytest.raises(PosebenchError, match="not found"):
        pv.resolve_detector_model(tmp_path / "nope.task")


def test_missing_mediapipe_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_mediapipe(name, *args, **kwargs):
        if name.startswith("mediapipe"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mediapipe)
    with pytest.raises(PosebenchError, match="pip install --no-deps mediapipe==1.2.3"):
        pv.import_mediapipe()


# -- a whole video ---------------------------------------------------------------------------

class ListDetector:
    """A keypoint-detector double: answers frame i with ``answers[i]`` and records the timestamps."""

    def __init__(self, answers):
        self.answers = answers
        self.timestamps: list[int] = []

    def detect(self, frame_rgb, timestamp_ms):
        self.timestamps.append(timestamp_ms)
        return self.answers[len(self.timestamps) - 1]


def test_detect_video_keeps_every_person_per_frame(clip_path):
    one = hand_made_landmarks().astype(np.float32)
    two = np.stack([one, one + [300, 0, 0]])
    det = ListDetector([None, one, two, two[:0]])
    out = pv.detect_video(clip_path, det, max_frames=4)
    assert len(out) == 4 and out.people_per_frame.tolist() == [0, 1, 2, 0]
    assert det.timestamps == [0, 100, 200, 300] and out.fps == 10.0 and out.image_wh == (768, 432)
    assert out.kp2d_px[2].shape == (2, 14, 3) and out.landmarks33_px[0].shape == (0, 33, 3)
    np.testing.assert_allclose(out.kp2d_px[2][1, :, 0] - out.kp2d_px[2][0, :, 0],
                               np.where(out.kp2d_px[2][1, :, 2] > 0, 300, 0))
    np.testing.assert_array_equal(out.kp2d_px[1][0], pv.landmarks_to_lsp14(one, (768, 432)))
    with pytest.raises(ShapeError, match="frame 0"):
        pv.detect_video(clip_path, ListDetector([np.zeros((2, 17, 3))]), max_frames=1)


def test_mediapipe_detector_blocks_telemetry_while_open(monkeypatch):
    pytest.importorskip("mediapipe")
    from conftest import find_realdata_dir

    root = find_realdata_dir()
    bundle = root.parent / "models" / "mediapipe" / "pose_landmarker_full.task" if root else None
    if bundle is None or not bundle.is_file():
        pytest.skip("MediaPipe bundle not found")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    with pv.MediaPipePoseDetector(bundle, num_poses=2) as det:
        assert os.environ["https_proxy"] == os.environ["HTTPS_PROXY"] == pv.TELEMETRY_BLOCK_PROXY
        assert det.detect(np.zeros((64, 64, 3), np.uint8), 0) is None
    assert os.environ["https_proxy"] == "http://proxy.example:3128" and "HTTPS_PROXY" not in os.environ
    with pv.MediaPipePoseDetector(bundle, allow_telemetry=True):
        assert os.environ["https_proxy"] == "http://proxy.example:3128"


def test_mediapipe_detector_names_a_bad_bundle(tmp_path, monkeypatch):
    pytest.importorskip("mediapipe")
    bad = tmp_path / "junk.task"
    bad.write_bytes(b"not a model bundle")
    monkeypatch.delenv("https_proxy", raising=False)
    with pytest.raises(PosebenchError, match="junk.task: MediaPipe cannot load"):
        pv.MediaPipePoseDetector(bad)
    assert "https_proxy" not in os.environ  # restored after the failure too
