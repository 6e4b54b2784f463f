"""`posebench demo`: several people tracked, false detections dropped, frame rates, BVH / AMASS
export, quality report, errors. A recorded detector stands in for MediaPipe (no mediapipe needed);
the tests at the end run MediaPipe on the real Intel cuts and skip without it."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from test_demo_tracking import person, stool
from test_video import hand_made_landmarks

IMAGE_WH = (384, 216)
INTEL = "video/intel_sample_videos"
CUTS = ("one-by-one-person-detection_cut_006s_14s.mp4", "one-by-one-person-detection_cut_074s_14s.mp4",
        "one-by-one-person-detection_cut_123s_14s.mp4")
STOOL_CUT = CUTS[1]
STOOL_FRAMES = (3, 138)  # the bar stool's crossed legs detected as a person (issue 13)


def write_video(path: Path, n_frames: int, fps: float = 10.0) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, IMAGE_WH)
    for t in range(n_frames):
        frame = np.full((IMAGE_WH[1], IMAGE_WH[0], 3), 40 + t % 50, np.uint8)
        writer.write(frame)
    writer.release()
    return path


def lsp_to_landmarks(kp: np.ndarray) -> np.ndarray:
    """(14, 3) LSP-14 -> (33, 3) MediaPipe landmarks that map back onto it (landmarks_to_lsp14)."""
    from posebench.video import MEDIAPIPE_TO_LSP14_DIRECT

    lm = hand_made_landmarks()
    lm[:, :2] = kp[12, :2]
    lm[:, 2] = 0.9
    for lsp, mp in enumerate(MEDIAPIPE_TO_LSP14_DIRECT):
        lm[mp, :2] = kp[lsp, :2]
    head = kp[12, :2] + (kp[13, :2] - kp[12, :2]) / 1.6  # headtop = H + 0.6 (H - neck)
    lm[[0, 2, 5, 7, 8], :2] = head
    return lm


class RecordedDetector:
    """Replays per-frame lists of LSP-14 people as MediaPipe landmarks; records timestamps."""

    def __init__(self, people_per_frame):
        self.people = people_per_frame
        self.timestamps: list[int] = []
        self.closed = False

    def detect(self, frame_rgb, timestamp_ms):
        people = self.people[len(self.timestamps)]
        self.timestamps.append(timestamp_ms)
        return np.stack([lsp_to_landmarks(p) for p in people]).astype(np.float32) if people else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True


def two_walkers_and_a_stool(n: int) -> list[list[np.ndarray]]:
    """Person A walks right for the whole clip; person B walks left from frame 5, is unseen for frames
    20-24 (a short gap) and stays; a stool is detected in frames 0-3."""
    frames = []
    for t in range(n):
        people = [person(40 + 6 * t, 200, 150)]
        if t >= 5 and not 20 <= t < 25:
            people.append(person(340 - 5 * t, 190, 120))
        if t < 4:
            people.append(stool(200, 180, 30))
        frames.append(people)
    return frames


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    from posebench.registry import build_model
    from posebench.training.checkpoint import save_checkpoint

    torch.manual_seed(0)
    model = build_model("meva-test", {"input_dim": 73})
    path = tmp_path_factory.mktemp("ckpt") / "meva-test.pt"
    return save_checkpoint(path, model_name="meva-test", model=model, hparams=model.hparams, rng_state=False)


def run_cli(args):
    from posebench.cli.main import cli

    return CliRunner().invoke(cli, args)


def demo_args(video, ckpt, out, *extra):
    return ["demo", str(video), "--model", "meva-test", "--checkpoint", str(ckpt), "--out", str(out),
            "--device", "cpu", "--no-progress", *extra]


def test_demo_tracks_each_person_exports_and_reports(tmp_path, monkeypatch, tiny_checkpoint, single_thread):
    from posebench.data.mocap.bvh import bvh_global_positions, read_bvh
    from posebench.skeleton import SMPL_JOINT_NAMES

    n = 40
    video = write_video(tmp_path / "walk.mp4", n)
    doubles = []

    def open_recorded(detector_model, num_poses, allow_telemetry):
        assert detector_model is None and num_poses == 4 and not allow_telemetry
        doubles.append(RecordedDetector(two_walkers_and_a_stool(n)))
        return doubles[-1]

    monkeypatch.setattr("posebench.cli.demo.open_detector", open_recorded)
    out = tmp_path / "out"
    result = run_cli(demo_args(video, tiny_checkpoint, out, "--model-fps", "30"))
    assert result.exit_code == 0, result.output
    assert "2 track(s): ids [1, 2]" in result.output and "box_size 4" in result.output
    assert doubles[0].closed and doubles[0].timestamps == [100 * i for i in range(n)]

    report = json.loads((out / "walk_report.json").read_text())
    assert report["frame_rates"] == {"video_fps": 10.0, "model_fps": 30.0, "output_fps": 10.0,
                                     "resampling": report["frame_rates"]["resampling"]}
    assert "slerp" in report["frame_rates"]["resampling"]
    assert report["rejected_detections"]["box_size"] == 4 and report["tracker"]["max_gap_frames"] == 10
    tracks = {t["id"]: t for t in report["tracks"]}
    assert (tracks[1]["first_frame"], tracks[1]["last_frame"]) == (0, n - 1)
    assert (tracks[2]["first_frame"], tracks[2]["last_frame"]) == (5, n - 1)  # the gap did not split it
    q2 = tracks[2]["quality"]
    assert q2["frames"] == 35 and q2["frames_detected"] == 30 and q2["coverage_of_video"] == pytest.approx(35 / 40)
    for key in ("reprojection_px", "reprojection_pct_box", "accel_mm_per_frame2", "jitter_m_per_s3",
                "bone_length_cv_mean", "foot_sliding_mm_per_frame", "coverage_of_track"):
        assert key in q2
    assert report["timing"]["detector_ms_per_frame"] > 0 and report["timing"]["model_ms_per_frame"] > 0

    for tid, length in ((1, n), (2, 35)):
        pose = np.load(out / f"walk_id{tid}_pose.npz")
        assert pose["joints_lsp14_m"].shape == (length, 14, 3) and pose["rotmat"].shape == (length, 24, 3, 3)
        assert float(pose["fps"]) == 10.0 and float(pose["model_fps"]) == 30.0 and int(pose["track_id"]) == tid
        assert np.isfinite(pose["joints24_export_m"]).all()
        bvh = read_bvh(out / f"walk_id{tid}.bvh")
        assert bvh.num_frames == length and bvh.fps == pytest.approx(10.0)
        rows = [bvh.index(name) for name in SMPL_JOINT_NAMES]
        assert np.abs(bvh_global_positions(bvh)[:, rows] - pose["joints24_export_m"]).max() < 1e-4
        amass = np.load(out / f"walk_id{tid}_amass.npz")
        assert amass["poses"].shape == (length, 72) and amass["trans"].shape == (length, 3)
        assert float(amass["mocap_framerate"]) == 10.0 and amass["betas"].shape == (10,)
    # Person 2's frames from the recorded detector: observed except the gap.
    pose2 = np.load(out / "walk_id2_pose.npz")
    np.testing.assert_array_equal(pose2["observed"], ~np.isin(np.arange(5, n), np.arange(20, 25)))
    np.testing.assert_array_equal(pose2["frame_index"], np.arange(5, n))
    import cv2

    cap = cv2.VideoCapture(str(out / "walk_overlay.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == n
    cap.release()
    assert cv2.imread(str(out / "walk_sheet.png")) is not None
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_demo_one_person_and_min_track_frames(tmp_path, monkeypatch, tiny_checkpoint, single_thread):
    n = 30
    video = write_video(tmp_path / "walk.mp4", n)
    monkeypatch.setattr("posebench.cli.demo.open_detector",
                        lambda *a: RecordedDetector(two_walkers_and_a_stool(n)))
    out = tmp_path / "one"
    result = run_cli(demo_args(video, tiny_checkpoint, out, "--person", "2", "--no-overlay", "--no-export"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["walk_id2_pose.npz", "walk_report.json"]
    # Person 2 is seen in 20 frames; asking for 21 drops the track (and counts its detections).
    out = tmp_path / "strict"
    result = run_cli(demo_args(video, tiny_checkpoint, out, "--min-track-frames", "21", "--no-overlay"))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "walk_report.json").read_text())
    assert [t["id"] for t in report["tracks"]] == [1] and report["rejected_detections"]["short_track"] == 20
    result = run_cli(demo_args(video, tiny_checkpoint, tmp_path / "x", "--person", "7", "--no-overlay"))
    assert result.exit_code == 1 and "no track id 7; the tracks are [1, 2]" in result.output


def test_demo_errors_name_the_video(tmp_path, monkeypatch, tiny_checkpoint):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    result = run_cli(demo_args(bad, tiny_checkpoint, tmp_path / "o"))
    assert result.exit_code == 1 and "broken.mp4" in result.output and "Traceback" not in result.output
    result = run_cli(demo_args(tmp_path / "missing.mp4", tiny_checkpoint, tmp_path / "o"))
    assert result.exit_code == 1 and "missing.mp4: video file not found" in result.output

    video = write_video(tmp_path / "empty.mp4", 6)
    monkeypatch.setattr("posebench.cli.demo.open_detector",
                        lambda *a: contextlib.nullcontext(RecordedDetector([[]] * 6)))
    result = run_cli(demo_args(video, tiny_checkpoint, tmp_path / "o"))
    assert result.exit_code == 1 and "empty.mp4" in result.output
    assert "no person detected in any of its 6 frames" in result.output
    # Only false detections: named as such, with the reasons.
    monkeypatch.setattr("posebench.cli.demo.open_detector",
                        lambda *a: contextlib.nullcontext(RecordedDetector([[stool(200, 180, 30)]] * 6)))
    result = run_cli(demo_args(video, tiny_checkpoint, tmp_path / "o"))
    assert result.exit_code == 1 and "no person found" in result.output and "box_size 6" in result.output

    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path / "cache"))
    result = run_cli(["demo", str(video), "--model", "meva"])
    assert result.exit_code != 0 and "posebench train meva --dataset cmu --seed 0" in result.output


def test_demo_several_models_share_one_detection_pass(tmp_path, monkeypatch, tiny_checkpoint, single_thread):
    n = 30
    videos = [write_video(tmp_path / "walk.mp4", n), write_video(tmp_path / "walk2.mp4", n)]
    opened = []

    def open_recorded(*args):
        opened.append(args)
        return RecordedDetector(two_walkers_and_a_stool(n))

    monkeypatch.setattr("posebench.cli.demo.open_detector", open_recorded)
    out = tmp_path / "out"
    result = run_cli(["demo", *map(str, videos), "--model", "meva-test,meva-test+one-euro", "--checkpoint",
                      f"meva-test={tiny_checkpoint}", "--out", str(out), "--device", "cpu", "--no-progress",
                      "--no-overlay", "--no-export"])
    assert result.exit_code == 0, result.output
    assert len(opened) == 2  # one detection pass per video, whatever the number of models
    joints = {}
    for label in ("meva-test", "meva-test+one-euro"):
        report = json.loads((out / label / "walk_report.json").read_text())
        assert report["model"] == label and (out / label / "walk2_report.json").is_file()
        joints[label] = np.load(out / label / "walk_id1_pose.npz")["joints_lsp14_m"]
    assert not np.allclose(joints["meva-test"], joints["meva-test+one-euro"])  # the filter smoothed it
    # The summary table: one row per video x model x track.
    table = [line for line in result.output.splitlines() if line.startswith("| walk")]
    assert len(table) == 2 * 2 * 2 and "reproj [px]" in result.output and "detector [ms/f]" in result.output
    result = run_cli(["demo", str(videos[0]), "--model", "meva-test,meva-test+one-euro", "--checkpoint",
                      str(tiny_checkpoint)])
    assert result.exit_code == 2 and "MODEL=PATH" in result.output


# -- MediaPipe on the real Intel cuts --------------------------------------------------------

def _bundle_and_cuts(realdata_dir):
    pytest.importorskip("mediapipe")
    bundle = realdata_dir.parent / "models" / "mediapipe" / "pose_landmarker_full.task"
    cuts = [realdata_dir / INTEL / c for c in CUTS]
    if not bundle.is_file() or not all(c.is_file() for c in cuts):
        pytest.skip("MediaPipe bundle or Intel cuts not found")
    return bundle, cuts


@pytest.mark.realdata
@pytest.mark.slow
def test_intel_cuts_one_track_per_person_and_no_stool(realdata_dir):
    """Counted by eye in the frames: each cut shows exactly one person walking in, standing at the
    table and walking out (006: a woman, 074: a man in black, 123: a man in grey). The stool's crossed
    legs are detected as a person in 074 (frames 3-4 and 134-139) and 123 (frames 0-9, 135-139)."""
    from posebench.tracking import filter_detections, track_people
    from posebench.video import MediaPipePoseDetector, detect_video

    people_by_eye = {CUTS[0]: 1, CUTS[1]: 1, CUTS[2]: 1}
    bundle, cuts = _bundle_and_cuts(realdata_dir)
    for cut in cuts:
        with MediaPipePoseDetector(bundle, num_poses=4) as detector:
            det = detect_video(cut, detector)
        keep, counts = filter_detections(det.kp2d_px, det.image_wh)
        tracks, _ = track_people(det.kp2d_px, det.fps, keep=keep)
        assert len(tracks) == people_by_eye[cut.name], (cut.name, [(t.start, t.end) for t in tracks])
        assert tracks[0].n_observed > 100  # the person is followed through the cut under one id
        if cut.name == STOOL_CUT:
            for frame in STOOL_FRAMES:
                assert det.people_per_frame[frame] >= 1  # MediaPipe does see "someone" there ...
                assert not any(t.start <= frame <= t.end for t in tracks)  # ... and no track has it
            assert counts["box_size"] + counts["limb_lengths"] >= 8


@pytest.mark.realdata
@pytest.mark.slow
def test_demo_cli_on_the_stool_cut_with_mediapipe(realdata_dir, tmp_path, tiny_checkpoint, single_thread):
    from posebench.data.mocap.bvh import read_bvh

    bundle, cuts = _bundle_and_cuts(realdata_dir)
    out = tmp_path / "out"
    result = run_cli(demo_args(cuts[1], tiny_checkpoint, out, "--detector-model", str(bundle), "--no-overlay"))
    assert result.exit_code == 0, result.output
    report = json.loads((out / f"{cuts[1].stem}_report.json").read_text())
    assert [t["id"] for t in report["tracks"]] == [1] and report["detector"]["telemetry"] == "blocked"
    assert not any(t["first_frame"] <= f <= t["last_frame"] for t in report["tracks"] for f in STOOL_FRAMES)
    assert read_bvh(out / f"{cuts[1].stem}_id1.bvh").num_frames == report["tracks"][0]["quality"]["frames"]
    assert (out / f"{cuts[1].stem}_id1_amass.npz").is_file()
