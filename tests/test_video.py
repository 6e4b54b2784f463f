"""posebench.video and `posebench demo`: landmarks -> LSP-14, the video reader, the whole command."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from posebench import video as pv
from posebench.errors import DataFormatError, PosebenchError, ShapeError

CLIP = "video/intel_sample_videos/one-by-one-person-detection_cut_006s_14s.mp4"
DETECTOR_BUNDLE = "models/mediapipe/pose_landmarker_full.task"


def realdata_dir() -> Path | None:
    env = os.environ.get("POSEBENCH_REALDATA")
    if env:
        return Path(env)
    candidate = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
    return candidate if (candidate / "manifest.json").is_file() else None


@pytest.fixture(scope="module")
def clip_path() -> Path:
    root = realdata_dir()
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


# -- the demo command ------------------------------------------------------------------------

class RecordedDetector:
    """A keypoint-detector double: replays landmarks saved in an npz (``landmarks`` (T, 33, 3),
    ``detected`` (T,)), one frame per call, and records the frames and timestamps it was given."""

    def __init__(self, path: Path):
        with np.load(path) as z:
            self.landmarks, self.detected = z["landmarks"], z["detected"]
        self.timestamps: list[int] = []
        self.frame_shapes: list[tuple] = []
        self.closed = False

    def detect(self, frame_rgb, timestamp_ms):
        i = len(self.timestamps)
        self.timestamps.append(timestamp_ms)
        self.frame_shapes.append(frame_rgb.shape)
        return self.landmarks[i].copy() if self.detected[i] else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True


def walking_landmarks(n_frames: int) -> np.ndarray:
    """(T, 33, 3) the hand-made person scaled up and walking right across a 768x432 frame."""
    base = hand_made_landmarks()
    lm = np.repeat(base[None], n_frames, axis=0)
    lm[..., :2] = (lm[..., :2] - [100, 150]) * 1.3 + [250, 220]
    lm[..., 0] += np.arange(n_frames)[:, None] * 6.0
    lm[:, 27, 1] += 8 * np.sin(np.arange(n_frames) / 2.0)
    return lm.astype(np.float32)


def _tiny_checkpoint(tmp_path: Path) -> Path:
    from posebench.registry import build_model
    from posebench.training.checkpoint import save_checkpoint

    torch.manual_seed(0)
    model = build_model("meva-test", {"input_dim": 73})
    return save_checkpoint(tmp_path / "meva-test.pt", model_name="meva-test", model=model, hparams=model.hparams,
                           rng_state=False)


def _run_cli(args):
    from posebench.cli.main import cli

    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_demo_end_to_end_with_a_recorded_detector(clip_path, tmp_path, monkeypatch):
    from posebench.data.observations import observe_keypoints
    from posebench.data.track import Track
    from posebench.evaluation import predict_track
    from posebench.training.checkpoint import load_model

    n = 20  # 2 s of the 10 fps clip
    detected = np.ones(n, bool)
    detected[[0, 7, 8]] = False
    recorded = tmp_path / "recorded.npz"
    np.savez(recorded, landmarks=walking_landmarks(n), detected=detected)
    doubles = []

    def open_recorded(detector_model):
        assert detector_model is None  # not given on the command line
        doubles.append(RecordedDetector(recorded))
        return doubles[-1]

    monkeypatch.setattr("posebench.cli.demo.open_detector", open_recorded)
    ckpt = _tiny_checkpoint(tmp_path)
    out = tmp_path / "out"
    result = _run_cli(["demo", str(clip_path), "--model", "meva-test", "--checkpoint", str(ckpt), "--out", str(out),
                       "--max-frames", str(n), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert f"{n} frames at 10 fps, a person detected in {n - 3}" in result.output
    det = doubles[0]
    assert det.closed and det.timestamps == [100 * i for i in range(n)] and det.frame_shapes[0] == (432, 768, 3)

    stem = clip_path.stem
    z = dict(np.load(out / f"{stem}_pose.npz"))
    assert float(z["fps"]) == 10.0 and tuple(z["image_wh"]) == (768, 432) and str(z["model"]) == "meva-test"
    np.testing.assert_array_equal(z["detected"], detected)
    expected_kp = pv.landmarks_to_lsp14(walking_landmarks(n), (768, 432))
    expected_kp[~detected] = 0
    np.testing.assert_array_equal(z["kp2d_px"], expected_kp)
    np.testing.assert_array_equal(z["confidence"][~detected], 0)
    assert (z["confidence"][detected] > 0).all()
    obs = observe_keypoints(expected_kp, (768, 432))
    np.testing.assert_array_equal(z["features"], obs.features)
    np.testing.assert_array_equal(z["bbox_px"], obs.bbox_px)
    # The model output is what predict_track gives on those features (posebench-v1: full coverage).
    model = load_model(ckpt)
    pred = predict_track(model, Track(name=stem, fps=10.0, features=obs.features), policy="full", device="cpu")
    np.testing.assert_allclose(z["joints_lsp14_m"], pred.joints_lsp14_m, atol=1e-6)
    np.testing.assert_allclose(z["rotmat"], pred.rotmat, atol=1e-6)
    assert z["joints24_m"].shape == (n, 24, 3) and z["betas"].shape == (n, 10) and z["covered"].all()
    assert np.isfinite(z["joints_lsp14_m"]).all()

    import cv2

    cap = cv2.VideoCapture(str(out / f"{stem}_overlay.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == n and int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 768 + 432
    cap.release()
    sheet = cv2.imread(str(out / f"{stem}_sheet.png"))
    assert sheet is not None and sheet.shape[1] > 800
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_demo_errors(clip_path, tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(__import__("posebench.cli.main", fromlist=["cli"]).cli,
                                ["demo", str(clip_path), "--model", "meva"])
    assert result.exit_code != 0
    assert "posebench train meva --dataset cmu --seed 0" in result.output
    ckpt = _tiny_checkpoint(tmp_path)
    result = CliRunner().invoke(__import__("posebench.cli.main", fromlist=["cli"]).cli,
                                ["demo", str(clip_path), "--model", "meva", "--checkpoint", str(ckpt)])
    assert result.exit_code != 0 and "belongs to model 'meva-test'" in result.output

    # A video in which nobody is found.
    monkeypatch.setattr("posebench.cli.demo.open_detector", lambda _: contextlib.nullcontext(NobodyDetector()))
    result = CliRunner().invoke(__import__("posebench.cli.main", fromlist=["cli"]).cli,
                                ["demo", str(clip_path), "--model", "meva-test", "--checkpoint", str(ckpt),
                                 "--max-frames", "5", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and "no person detected in any of its 5 frames" in result.output


class NobodyDetector:
    def detect(self, frame_rgb, timestamp_ms):
        return None


def test_demo_with_mediapipe_on_the_real_clip(clip_path, tmp_path):
    pytest.importorskip("mediapipe")
    bundle = realdata_dir().parent / "models" / "mediapipe" / "pose_landmarker_full.task"
    if not bundle.is_file():
        pytest.skip(f"MediaPipe bundle not found at {bundle}")
    ckpt = _tiny_checkpoint(tmp_path)
    out = tmp_path / "out"
    result = _run_cli(["demo", str(clip_path), "--model", "meva-test", "--checkpoint", str(ckpt), "--out", str(out),
                       "--detector-model", str(bundle), "--max-frames", "20", "--no-overlay", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    z = np.load(out / f"{clip_path.stem}_pose.npz")
    # The woman walks into view at about 0.6 s and is seen from then on (one person in the whole cut).
    assert z["detected"][8:].all() and not z["detected"][:4].any()
    kp = z["kp2d_px"][z["detected"]]
    ok = kp[..., 2] > 0
    assert ok.mean() > 0.75 and (kp[..., 2][ok] >= 0.55).all()
    assert (kp[..., 0][ok] < 768).all() and (kp[..., 1][ok] < 432).all()
    # Upright: the headtop above the neck above the hips above the ankles, where all are seen.
    y = np.where(ok, kp[..., 1], np.nan)
    head, neck, hips, ankles = (np.nanmedian(y[:, joints]) for joints in ([13], [12], [2, 3], [0, 5]))
    assert head < neck < hips < ankles
    assert not (out / f"{clip_path.stem}_overlay.mp4").exists()
