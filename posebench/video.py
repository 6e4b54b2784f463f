"""Read a video and detect every person's 2D body keypoints per frame (LSP-14, pixels + confidence).

Frames are read with OpenCV (``cv2``, already a dependency). The detector is MediaPipe's
PoseLandmarker (:class:`MediaPipePoseDetector`); ``mediapipe`` is imported only when one is
made, so the rest of posebench works without it. Any object with the
:class:`KeypointDetector` method can stand in for it (tests use a recorded double).

Several people: the landmarker runs in VIDEO mode with ``num_poses`` (default 4) poses per
frame, so a frame has 0 .. num_poses detections, in no particular order. Linking them into one
track per person is :mod:`posebench.tracking`'s job.

Telemetry: mediapipe >= 0.10.3x wheels send usage metrics to Google (Clearcut,
``play.googleapis.com``) when a landmarker closes; there is no documented switch. While a
:class:`MediaPipePoseDetector` is open, posebench points ``https_proxy``/``HTTPS_PROXY`` at a
closed local port (``http://127.0.0.1:9``) so that call fails at once instead of sending (and
instead of stalling ~10 s where DNS drops packets); the variables are restored on close.
``allow_telemetry=True`` (``posebench demo --allow-mediapipe-telemetry``) leaves them alone.
MediaPipe's native start-up and shutdown logs (stderr) are held back unless loading fails.

MediaPipe's 33 landmarks -> LSP-14 (:func:`landmarks_to_lsp14`), the person's left/right in both:

=========== ================================================================================
rankle      28 right_ankle          lankle      27 left_ankle
rknee       26 right_knee           lknee       25 left_knee
rhip        24 right_hip            lhip        23 left_hip
rwrist      16 right_wrist          lwrist      15 left_wrist
relbow      14 right_elbow          lelbow      13 left_elbow
rshoulder   12 right_shoulder       lshoulder   11 left_shoulder
neck        mid-point of the two shoulders (11, 12)
headtop     head centre H = mean of the ears (7, 8); if an ear is missing, mean of the eyes
            (2, 5); if an eye is missing too, the nose (0). ``headtop = H + 0.6 (H - neck)``:
            the top of the head lies about 0.6 of the neck-to-ear distance above the ears
=========== ================================================================================

Confidence: a landmark's score is MediaPipe's ``visibility`` (in [0, 1]). A joint is kept when
its landmark scores at least ``min_visibility`` (0.1) and the joint lies inside the image; a
derived joint (neck, headtop) needs every landmark it uses and takes their smallest score.
A kept joint's confidence is ``0.5 + 0.5 * score``: the CMU benchmark's detector gives kept
joints confidences in [0.5, 1] (1 = exact), and the features multiply positions by the
confidence, so this keeps real-video inputs in the range the models were trained on.
Dropped joints get confidence 0 and position 0, as the benchmark's detector marks them.
The raw scores stay in ``VideoDetections.landmarks33_px``.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

import numpy as np

from posebench.errors import DataFormatError, PosebenchError, ShapeError

MEDIAPIPE_INSTALL = ("pip install --no-deps mediapipe==1.2.3 'absl-py~=2.3' 'flatbuffers~=25.9' certifi "
                     "(with opencv-python-headless already installed; --no-deps keeps pip from adding "
                     "opencv-contrib-python and sounddevice), or pip install 'posebench-hmr[demo]'")
DETECTOR_MODEL_ENV = "POSEBENCH_DETECTOR_MODEL"

MEDIAPIPE_POSE33_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
NUM_LANDMARKS = 33

# LSP-14 joints 0..11 (rankle .. lwrist) taken directly from a MediaPipe landmark.
MEDIAPIPE_TO_LSP14_DIRECT: tuple[int, ...] = (28, 26, 24, 23, 25, 27, 16, 14, 12, 11, 13, 15)
SHOULDERS = (11, 12)
EARS = (7, 8)
EYES = (2, 5)
NOSE = 0
HEADTOP_EXTRAPOLATION = 0.6
MIN_VISIBILITY = 0.1


# -- reading frames --------------------------------------------------------------------------

@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video: ``fps``, ``n_frames`` (as stored), size in pixels."""

    path: Path
    fps: float
    n_frames: int
    width: int
    height: int

    @property
    def image_wh(self) -> tuple[int, int]:
        return self.width, self.height


def _open(path: Path):
    import cv2

    if not path.is_file():
        raise DataFormatError(path, "video file not found")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise DataFormatError(path, "OpenCV cannot open this file as a video")
    return cap


def read_video_info(path: str | os.PathLike, fps: float | None = None) -> VideoInfo:
    """Frame rate, frame count and size of a video. ``fps`` overrides the file's frame rate.

    Raises :class:`DataFormatError` naming the file when it cannot be opened or states no
    usable frame rate (pass ``fps`` then).
    """
    import cv2

    path = Path(path)
    cap = _open(path)
    try:
        file_fps = float(cap.get(cv2.CAP_PROP_FPS))
        info = VideoInfo(path=path, fps=float(fps) if fps else file_fps,
                         n_frames=int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
                         width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()
    if not (math.isfinite(info.fps) and info.fps > 0):
        raise DataFormatError(path, f"the file's frame rate is {file_fps!r}; give the frame rate explicitly",
                              field="fps")
    if info.width <= 0 or info.height <= 0:
        raise DataFormatError(path, f"frame size is {info.width}x{info.height}", field="frame size")
    return info


def iter_frames(path: str | os.PathLike, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Yield the video's frames in order as RGB ``(H, W, 3)`` uint8 arrays (at most ``max_frames``)."""
    import cv2

    cap = _open(Path(path))
    try:
        n = 0
        while max_frames is None or n < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            n += 1
    finally:
        cap.release()


# -- detectors -------------------------------------------------------------------------------

class KeypointDetector(Protocol):
    """Finds people in a frame. Frames come in order with increasing timestamps."""

    def detect(self, frame_rgb: np.ndarray, timestamp_ms: int) -> np.ndarray | None:
        """(H, W, 3) uint8 RGB -> (P, 33, 3) MediaPipe landmarks ``[x_px, y_px, score]`` per person
        (a single (33, 3) person is accepted too), or None when nobody is found."""
        ...


def resolve_detector_model(path: str | os.PathLike | None) -> Path:
    """The PoseLandmarker bundle: ``path``, else env ``POSEBENCH_DETECTOR_MODEL``; must exist."""
    chosen = path or os.environ.get(DETECTOR_MODEL_ENV)
    if not chosen:
        raise PosebenchError(
            "no pose detector model given: pass --detector-model PATH or set "
            f"{DETECTOR_MODEL_ENV} to a MediaPipe PoseLandmarker bundle (.task), e.g. "
            "../shared/models/mediapipe/pose_landmarker_full.task; nothing is downloaded")
    chosen = Path(chosen).expanduser()
    if not chosen.is_file():
        raise PosebenchError(f"pose detector model not found: {chosen}")
    return chosen


def import_mediapipe():
    """``mediapipe`` or a :class:`PosebenchError` that says how to install it."""
    try:
        import mediapipe
        from mediapipe.tasks.python import vision  # noqa: F401 - the Tasks API must be there too
    except ImportError as exc:
        raise PosebenchError(f"posebench demo needs mediapipe ({exc}). Install it with: {MEDIAPIPE_INSTALL}") from exc
    return mediapipe


TELEMETRY_BLOCK_PROXY = "http://127.0.0.1:9"
_PROXY_VARS = ("https_proxy", "HTTPS_PROXY")


@contextmanager
def _native_log_captured(keep: list[str]):
    """Send what native code writes to stderr (MediaPipe / LiteRT start-up and shutdown logs,
    dozens of lines) to a temporary file while the block runs; its text is appended to ``keep``
    so an error can show it. Python's own stderr is flushed first and is unaffected afterwards."""
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            keep.append(sink.read().decode(errors="replace"))


class MediaPipePoseDetector:
    """MediaPipe PoseLandmarker in VIDEO mode, up to ``num_poses`` people per frame; use as a
    context manager (or call close()). Telemetry is blocked unless ``allow_telemetry`` (module
    docstring)."""

    def __init__(self, model_path: str | os.PathLike, num_poses: int = 4, allow_telemetry: bool = False):
        mp = import_mediapipe()
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        self.model_path = Path(model_path)
        self.num_poses = int(num_poses)
        self._mp = mp
        self._landmarker = None
        self._saved_env: dict[str, str | None] | None = None
        if not allow_telemetry:
            self._saved_env = {k: os.environ.get(k) for k in _PROXY_VARS}
            os.environ.update({k: TELEMETRY_BLOCK_PROXY for k in _PROXY_VARS})
        self._native_log: list[str] = []
        self._frames_seen = 0
        try:
            with _native_log_captured(self._native_log):
                self._landmarker = vision.PoseLandmarker.create_from_options(vision.PoseLandmarkerOptions(
                    base_options=BaseOptions(model_asset_path=str(self.model_path)),
                    running_mode=vision.RunningMode.VIDEO, num_poses=self.num_poses))
        except Exception as exc:  # mediapipe raises RuntimeError/ValueError with its own text
            self._restore_env()
            raise PosebenchError(f"{self.model_path}: MediaPipe cannot load this PoseLandmarker bundle: {exc}"
                                 f"\n{''.join(self._native_log).strip()}") from exc

    def _restore_env(self) -> None:
        if self._saved_env is not None:
            for k, v in self._saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            self._saved_env = None

    def detect(self, frame_rgb: np.ndarray, timestamp_ms: int) -> np.ndarray | None:
        height, width = frame_rgb.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame_rgb))
        if self._frames_seen < 3:  # the graph starts (and logs, partly a frame late) on the first frames
            with _native_log_captured(self._native_log):
                result = self._landmarker.detect_for_video(image, int(timestamp_ms))
        else:
            result = self._landmarker.detect_for_video(image, int(timestamp_ms))
        self._frames_seen += 1
        if not result.pose_landmarks:
            return None
        # MediaPipe gives x, y normalised to the image width and height.
        return np.array([[[lm.x * width, lm.y * height, lm.visibility] for lm in person]
                         for person in result.pose_landmarks], dtype=np.float32)

    def close(self) -> None:
        try:
            if self._landmarker is not None:
                with _native_log_captured(self._native_log):
                    self._landmarker.close()
                self._landmarker = None
        finally:
            self._restore_env()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- landmarks -> LSP-14 ---------------------------------------------------------------------

def landmarks_to_lsp14(landmarks: np.ndarray, image_wh: tuple[int, int],
                       min_visibility: float = MIN_VISIBILITY) -> np.ndarray:
    """MediaPipe landmarks (..., 33, 3) ``[x_px, y_px, score]`` -> LSP-14 (..., 14, 3) pixels + confidence.

    The map and the confidence rule are in the module docstring. Float32 out.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim < 2 or lm.shape[-2:] != (NUM_LANDMARKS, 3):
        raise ShapeError(f"landmarks_to_lsp14: landmarks must be (..., 33, 3), got {lm.shape}")
    xy, score = lm[..., :2], np.nan_to_num(lm[..., 2], nan=0.0)
    width, height = image_wh
    ok = (score >= min_visibility) & np.isfinite(xy).all(axis=-1)

    direct = list(MEDIAPIPE_TO_LSP14_DIRECT)

    def mean_of(ids):
        ids = list(ids)
        return xy[..., ids, :].mean(axis=-2), ok[..., ids].all(axis=-1), score[..., ids].min(axis=-1)

    neck_xy, neck_ok, neck_score = mean_of(SHOULDERS)
    ears_xy, ears_ok, ears_score = mean_of(EARS)
    eyes_xy, eyes_ok, eyes_score = mean_of(EYES)
    nose_xy, nose_ok, nose_score = xy[..., NOSE, :], ok[..., NOSE], score[..., NOSE]
    # Head centre: ears, else eyes, else nose (the first whose landmarks all pass).
    head_xy = np.where(ears_ok[..., None], ears_xy, np.where(eyes_ok[..., None], eyes_xy, nose_xy))
    head_ok = ears_ok | eyes_ok | nose_ok
    head_score = np.where(ears_ok, ears_score, np.where(eyes_ok, eyes_score, nose_score))
    headtop_xy = head_xy + HEADTOP_EXTRAPOLATION * (head_xy - neck_xy)

    joint_xy = np.concatenate([xy[..., direct, :], neck_xy[..., None, :], headtop_xy[..., None, :]], axis=-2)
    joint_ok = np.concatenate([ok[..., direct], neck_ok[..., None], (head_ok & neck_ok)[..., None]], axis=-1)
    joint_score = np.concatenate([score[..., direct], neck_score[..., None],
                                  np.minimum(head_score, neck_score)[..., None]], axis=-1)
    # Joints outside the image are dropped, derived ones included (as the CMU detector drops them).
    in_image = ((joint_xy[..., 0] >= 0) & (joint_xy[..., 0] < width) & (joint_xy[..., 1] >= 0)
                & (joint_xy[..., 1] < height))
    kept = joint_ok & in_image
    out = np.zeros(lm.shape[:-2] + (14, 3))
    out[..., :2] = np.where(kept[..., None], joint_xy, 0.0)
    out[..., 2] = np.where(kept, 0.5 + 0.5 * np.clip(joint_score, 0.0, 1.0), 0.0)
    return out.astype(np.float32)


# -- a whole video ---------------------------------------------------------------------------

@dataclass
class VideoDetections:
    """Every detection in a video, frame by frame.

    landmarks33_px: per frame (P_t, 33, 3) ``[x_px, y_px, score]``; kp2d_px: per frame
    (P_t, 14, 3) LSP-14 pixels + confidence (:func:`landmarks_to_lsp14`); fps; image_wh.
    """

    name: str
    path: Path
    fps: float
    image_wh: tuple[int, int]
    landmarks33_px: list[np.ndarray]
    kp2d_px: list[np.ndarray]
    seconds: float = 0.0  # wall time spent reading + detecting

    def __len__(self) -> int:
        return len(self.landmarks33_px)

    @property
    def people_per_frame(self) -> np.ndarray:
        """(T,) number of detections per frame."""
        return np.array([len(p) for p in self.landmarks33_px], np.int64)


def frame_timestamp_ms(index: int, fps: float) -> int:
    """Timestamp of frame ``index``: ``round(1000 index / fps)``, at least ``index`` so that the
    timestamps stay strictly increasing (VIDEO mode requires it) even above 1000 fps."""
    return max(round(index * 1000.0 / fps), int(index))


def _as_people(found, path: Path, i: int) -> np.ndarray:
    """A detector's answer -> (P, 33, 3) float32."""
    if found is None:
        return np.zeros((0, NUM_LANDMARKS, 3), np.float32)
    found = np.asarray(found, dtype=np.float32)
    if found.shape == (NUM_LANDMARKS, 3):
        found = found[None]
    if found.ndim != 3 or found.shape[1:] != (NUM_LANDMARKS, 3):
        raise ShapeError(f"{path}: frame {i}: detector returned landmarks of shape {found.shape}, "
                         f"expected (P, 33, 3) or (33, 3)")
    return found


def detect_video(path: str | os.PathLike, detector: KeypointDetector, *, fps: float | None = None,
                 max_frames: int | None = None, min_visibility: float = MIN_VISIBILITY,
                 progress: bool = False) -> VideoDetections:
    """Run ``detector`` over every frame of the video (at most ``max_frames``); LSP-14 keypoints of
    every detection per frame."""
    import time

    info = read_video_info(path, fps=fps)
    start = time.perf_counter()
    landmarks = []
    frames = iter_frames(path, max_frames)
    if progress:
        from tqdm.auto import tqdm

        total = info.n_frames if max_frames is None else min(info.n_frames, max_frames)
        frames = tqdm(frames, total=total or None, desc=f"detect {info.path.name}", unit="frame", leave=False)
    for i, frame in enumerate(frames):
        if frame.shape[1] != info.width or frame.shape[0] != info.height:
            raise DataFormatError(info.path, f"frame {i} is {frame.shape[1]}x{frame.shape[0]}, the file says "
                                              f"{info.width}x{info.height}", field="frame size")
        landmarks.append(_as_people(detector.detect(frame, frame_timestamp_ms(i, info.fps)), info.path, i))
    if not landmarks:
        raise DataFormatError(info.path, "no frame could be read")
    kp = [landmarks_to_lsp14(lm, info.image_wh, min_visibility) if len(lm) else np.zeros((0, 14, 3), np.float32)
          for lm in landmarks]
    return VideoDetections(name=info.path.stem, path=info.path, fps=info.fps, image_wh=info.image_wh,
                           landmarks33_px=landmarks, kp2d_px=kp, seconds=time.perf_counter() - start)
