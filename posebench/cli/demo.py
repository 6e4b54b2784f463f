"""`posebench demo VIDEO`: 3D pose of one person in a video, with a trained model.

Steps: read the video (OpenCV), detect MediaPipe's 33 landmarks per frame and map them to
LSP-14 (:mod:`posebench.video`), build the box, crop-normalised keypoints and 73-d features
exactly as the CMU benchmark does (:func:`posebench.data.observations.observe_keypoints`),
run the model with the protocol's windowing (:func:`posebench.evaluation.predict_track`), and
write to ``--out``:

- ``<video>_pose.npz`` (atomic): ``joints_lsp14_m`` (T, 14, 3) and ``joints24_m`` (T, 24, 3)
  in metres (body-model space, root at the pelvis, camera axes x right, y down, z forward),
  ``rotmat`` (T, 24, 3, 3) SMPL local rotations, ``betas`` (T, 10), ``covered`` (T,),
  ``kp2d_px`` (T, 14, 3) LSP-14 pixels + confidence, ``confidence`` (T, 14), ``kp2d_norm``
  (T, 14, 3), ``bbox_px`` (T, 4), ``features`` (T, 73), ``detected`` (T,), ``landmarks33_px``
  (T, 33, 3) the raw MediaPipe landmarks ``[x, y, visibility]``, ``time_s`` (T,), ``fps``,
  ``image_wh``, and the strings ``video``, ``model``, ``checkpoint``, ``protocol``;
- ``<video>_overlay.mp4``: each frame with its 2D keypoints, beside a side view of the 3D
  skeleton (depth to the right);
- ``<video>_sheet.png``: a contact sheet of a few frames (2D keypoints, 3D front and side view).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from posebench.cli.options import device_option
from posebench.errors import PosebenchError
from posebench.io import atomic_path
from posebench.skeleton import LSP14_BONES

# LSP-14 bones (skeleton.LSP14_JOINT_NAMES order), for drawing.
# BGR colours: the person's right side, left side, centre line.
_RIGHT, _LEFT, _CENTRE = (60, 60, 230), (230, 140, 40), (60, 200, 60)
_SIDE = {0: _RIGHT, 1: _RIGHT, 2: _RIGHT, 6: _RIGHT, 7: _RIGHT, 8: _RIGHT,
         3: _LEFT, 4: _LEFT, 5: _LEFT, 9: _LEFT, 10: _LEFT, 11: _LEFT}


def _bone_colour(i: int, j: int) -> tuple[int, int, int]:
    sides = {_SIDE.get(i, _CENTRE), _SIDE.get(j, _CENTRE)}
    return sides.pop() if len(sides) == 1 else _CENTRE


@dataclass
class DemoResult:
    """What :func:`run_demo` made: the prediction arrays and the files written."""

    n_frames: int
    n_detected: int
    fps: float
    pose_npz: Path
    overlay_video: Path | None
    contact_sheet: Path | None
    detect_seconds: float
    model_seconds: float
    arrays: dict


def load_demo_model(model: str, checkpoint: str | None, dataset: str, seed: int, device: str, config: str | None = None):
    """The trained model: ``checkpoint`` or the cached ``checkpoint_dir(model, dataset, seed, config)/best.pt``.

    A missing cached checkpoint raises a :class:`PosebenchError` that names the command that trains it.
    """
    from posebench.benchmarking import find_checkpoint
    from posebench.registry import build_model
    from posebench.training.checkpoint import load_checkpoint, load_model_state

    path = find_checkpoint(model, dataset, seed, {model: checkpoint} if checkpoint else {}, config=config)
    ckpt = load_checkpoint(path, model_name=model, map_location=device)
    net = build_model(ckpt["model_name"], ckpt["hparams"])
    load_model_state(net, ckpt, path)
    return net.to(device).eval(), path


def _write_npz(path: Path, arrays: dict) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def _draw_2d(frame_bgr: np.ndarray, kp_px: np.ndarray) -> np.ndarray:
    """Draw LSP-14 keypoints (14, 3) pixels + confidence on a BGR frame (a copy)."""
    import cv2

    img = frame_bgr.copy()
    ok = kp_px[:, 2] > 0
    thick = max(1, round(img.shape[0] / 240))
    for i, j in LSP14_BONES:
        if ok[i] and ok[j]:
            cv2.line(img, tuple(int(v) for v in kp_px[i, :2]), tuple(int(v) for v in kp_px[j, :2]),
                     _bone_colour(i, j), thick, cv2.LINE_AA)
    for k in np.flatnonzero(ok):
        cv2.circle(img, tuple(int(v) for v in kp_px[k, :2]), thick + 1, _SIDE.get(int(k), _CENTRE), -1, cv2.LINE_AA)
    return img


def _side_panel(joints_m: np.ndarray, size: int, extent_m: float = 2.4) -> np.ndarray:
    """A (size, size, 3) BGR side view of LSP-14 joints (14, 3): depth z to the right, y down, pelvis centred."""
    import cv2

    panel = np.full((size, size, 3), 255, np.uint8)
    cv2.putText(panel, "side view (z ->)", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (80, 80, 80), 1, cv2.LINE_AA)
    if not np.all(np.isfinite(joints_m)):
        return panel
    centre = joints_m[[2, 3]].mean(axis=0)  # mid-hips
    scale = size / extent_m
    uv = np.stack([(joints_m[:, 2] - centre[2]) * scale + size / 2, (joints_m[:, 1] - centre[1]) * scale + size / 2],
                  axis=1)
    cv2.line(panel, (0, size // 2), (size, size // 2), (225, 225, 225), 1)
    cv2.line(panel, (size // 2, 0), (size // 2, size), (225, 225, 225), 1)
    for i, j in LSP14_BONES:
        cv2.line(panel, tuple(int(v) for v in uv[i]), tuple(int(v) for v in uv[j]), _bone_colour(i, j), 2, cv2.LINE_AA)
    return panel


def write_overlay_video(path: Path, video: Path, kp2d_px: np.ndarray, joints_m: np.ndarray, fps: float,
                        max_frames: int | None = None) -> Path:
    """Write ``path`` (mp4): each frame with its 2D keypoints beside the 3D side view; atomic."""
    import cv2

    from posebench.video import iter_frames

    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    writer = None
    try:
        for t, rgb in enumerate(iter_frames(video, max_frames)):
            if t >= len(kp2d_px):
                break
            frame = _draw_2d(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), kp2d_px[t])
            tile = np.concatenate([frame, _side_panel(joints_m[t], frame.shape[0])], axis=1)
            if writer is None:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps),
                                         (tile.shape[1], tile.shape[0]))
                if not writer.isOpened():
                    raise PosebenchError(f"{path}: OpenCV cannot write an mp4 video here")
            writer.write(tile)
        if writer is not None:
            writer.release()
            writer = None
            os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        if tmp.exists():
            tmp.unlink()
    return path


def pick_frames(detected: np.ndarray, n: int) -> list[int]:
    """Up to ``n`` frame indices spread evenly over the frames with a detection (over all frames if none)."""
    pool = np.flatnonzero(detected)
    if pool.size == 0:
        pool = np.arange(len(detected))
    picks = pool[np.linspace(0, pool.size - 1, min(n, pool.size)).round().astype(int)]
    return sorted({int(p) for p in picks})


def write_contact_sheet(path: Path, video: Path, kp2d_px: np.ndarray, bbox_px: np.ndarray, joints_m: np.ndarray,
                        detected: np.ndarray, fps: float, n_frames: int = 6, title: str = "") -> Path:
    """A PNG (matplotlib, Agg): per picked frame, the image with 2D keypoints and box, the 3D skeleton
    seen from the camera (x, y) and from the side (z, y); atomic."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from posebench.video import iter_frames

    picks = pick_frames(detected, n_frames)
    frames = {}
    for t, rgb in enumerate(iter_frames(video, max(picks) + 1)):
        if t in picks:
            frames[t] = rgb
    fig, axes = plt.subplots(3, len(picks), figsize=(2.6 * len(picks), 6.6), squeeze=False,
                             gridspec_kw={"height_ratios": [0.75, 1, 1]})
    colour = {k: tuple(c / 255 for c in v[::-1]) for k, v in (("r", _RIGHT), ("l", _LEFT), ("c", _CENTRE))}

    def bone_rgb(i, j):
        return {_RIGHT: colour["r"], _LEFT: colour["l"], _CENTRE: colour["c"]}[_bone_colour(i, j)]

    for col, t in enumerate(picks):
        ax = axes[0, col]
        ax.imshow(frames[t])
        kp = kp2d_px[t]
        for i, j in LSP14_BONES:
            if kp[i, 2] > 0 and kp[j, 2] > 0:
                ax.plot(kp[[i, j], 0], kp[[i, j], 1], "-", color=bone_rgb(i, j), lw=1.5)
        cx, cy, w, h = bbox_px[t]
        ax.add_patch(plt.Rectangle((cx - w / 2, cy - h / 2), w, h, fill=False, ec="yellow", lw=0.8))
        ax.set_title(f"frame {t} ({t / fps:.1f} s){'' if detected[t] else ' no det.'}", fontsize=8)
        ax.axis("off")
        j3 = joints_m[t]
        for row, (a, label) in ((1, (0, "front: x")), (2, (2, "side: z"))):
            ax = axes[row, col]
            if np.all(np.isfinite(j3)):
                centre = j3[[2, 3]].mean(axis=0)
                for i, j in LSP14_BONES:
                    ax.plot(j3[[i, j], a] - centre[a], -(j3[[i, j], 1] - centre[1]), "-", color=bone_rgb(i, j), lw=2)
            ax.set_xlim(-1.1, 1.1)
            ax.set_ylim(-1.1, 1.1)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
            ax.set_xlabel(f"{label} (m)", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        fig.savefig(f, format="png", dpi=90)
    plt.close(fig)
    return path


def run_demo(video: str | os.PathLike, model, detector, out_dir: str | os.PathLike, *, checkpoint: str = "",
             protocol: str = "posebench", fps: float | None = None, max_frames: int | None = None,
             min_visibility: float = 0.1, device: str = "cpu", overlay: bool = True) -> DemoResult:
    """Detect, build the features, predict and write the outputs (module docstring) for one video."""
    from posebench.data.observations import observe_keypoints
    from posebench.data.track import Track
    from posebench.evaluation import predict_track
    from posebench.registry import get_protocol
    from posebench.skeleton import LSP14_JOINT_NAMES
    from posebench.video import detect_video

    video = Path(video)
    out_dir = Path(out_dir)
    proto = get_protocol(protocol)
    det = detect_video(video, detector, fps=fps, max_frames=max_frames, min_visibility=min_visibility)
    if not (det.kp2d_px[..., 2] > 0).any():
        raise PosebenchError(f"{video}: no person detected in any of its {len(det)} frames")
    start = time.perf_counter()
    model = model.to(device)
    obs = observe_keypoints(det.kp2d_px, det.image_wh, name=str(video))
    track = Track(name=det.name, fps=det.fps, features=obs.features, kp2d=obs.kp2d_norm,
                  meta={"image_wh": det.image_wh, "bbox_px": obs.bbox_px, "kp2d_px": obs.kp2d_px})
    pred = predict_track(model, track, policy=proto.windowing, window=proto.window, device=device)
    model_seconds = time.perf_counter() - start

    T = len(det)
    arrays = {
        "joints_lsp14_m": pred.joints_lsp14_m.astype(np.float32), "joints24_m": pred.joints24_m.astype(np.float32),
        "rotmat": pred.rotmat.astype(np.float32), "betas": pred.betas.astype(np.float32), "covered": pred.covered,
        "kp2d_px": obs.kp2d_px, "confidence": obs.kp2d_px[..., 2].copy(), "kp2d_norm": obs.kp2d_norm,
        "bbox_px": obs.bbox_px, "features": obs.features, "detected": det.detected,
        "landmarks33_px": det.landmarks33_px, "time_s": (np.arange(T) / det.fps).astype(np.float64),
        "fps": np.float64(det.fps), "image_wh": np.asarray(det.image_wh, np.int64),
        "joint_names_lsp14": np.asarray(LSP14_JOINT_NAMES), "video": np.asarray(str(video)),
        "model": np.asarray(model.name), "checkpoint": np.asarray(str(checkpoint)), "protocol": np.asarray(proto.id),
    }  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    pose_npz = out_dir / f"{video.stem}_pose.npz"
    _write_npz(pose_npz, arrays)
    overlay_path = sheet_path = None
    if overlay:
        overlay_path = write_overlay_video(out_dir / f"{video.stem}_overlay.mp4", video, obs.kp2d_px,
                                           arrays["joints_lsp14_m"], det.fps, max_frames=T)
        sheet_path = write_contact_sheet(out_dir / f"{video.stem}_sheet.png", video, obs.kp2d_px, obs.bbox_px,
                                         arrays["joints_lsp14_m"], det.detected, det.fps,
                                         title=f"{video.name}: {model.name}, {int(det.detected.sum())}/{T} frames "
                                               f"with a detection")
    return DemoResult(n_frames=T, n_detected=int(det.detected.sum()), fps=det.fps, pose_npz=pose_npz,
                      overlay_video=overlay_path, contact_sheet=sheet_path, detect_seconds=det.seconds,
                      model_seconds=model_seconds, arrays=arrays)


def open_detector(detector_model: str | None):
    """The MediaPipe PoseLandmarker (a context manager) from ``--detector-model`` or the env variable."""
    from posebench.video import (
        MediaPipePoseDetector,
        import_mediapipe,
        resolve_detector_model,
    )

    path = resolve_detector_model(detector_model)
    import_mediapipe()
    return MediaPipePoseDetector(path)


@click.command("demo")
@click.argument("video", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", default="meva", show_default=True, help="Registered model name.")
@click.option("--checkpoint", default=None, type=click.Path(dir_okay=False),
              help="Checkpoint file (default: the cached one of `posebench train MODEL --dataset DATASET`).")
@click.option("--dataset", default="cmu", show_default=True, help="Dataset the cached checkpoint was trained on.")
@click.option("--seed", default=0, show_default=True, type=int, help="Training seed of the cached checkpoint.")
@click.option("--config", default=None, help="Training config of the cached checkpoint (default: the model's own, cpu for meva).")
@click.option("--detector-model", default=None, type=click.Path(dir_okay=False),
              help="MediaPipe PoseLandmarker bundle (.task). Env: POSEBENCH_DETECTOR_MODEL.")
@click.option("--out", "out_dir", default="posebench_demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--protocol", default="posebench", show_default=True, help="Protocol whose windowing is used.")
@click.option("--fps", default=None, type=float, help="Frame rate to use instead of the file's.")
@click.option("--max-frames", default=None, type=click.IntRange(min=1), help="Only the first N frames.")
@click.option("--min-visibility", default=0.1, show_default=True, type=click.FloatRange(0, 1),
              help="Landmarks with a lower MediaPipe visibility count as missing.")
@click.option("--no-overlay", is_flag=True, help="Write only the npz (no overlay video, no contact sheet).")
@device_option
def demo_cmd(video, model, checkpoint, dataset, seed, config, detector_model, out_dir, protocol, fps, max_frames,
             min_visibility, no_overlay, device):
    """Estimate one person's 3D pose in VIDEO with a trained MODEL (2D keypoints from MediaPipe)."""
    from posebench.evaluation import default_device

    device = device or default_device()
    net, ckpt_path = load_demo_model(model, checkpoint, dataset, seed, device, config)
    with open_detector(detector_model) as detector:
        result = run_demo(video, net, detector, out_dir, checkpoint=str(ckpt_path), protocol=protocol, fps=fps,
                          max_frames=max_frames, min_visibility=min_visibility, device=device,
                          overlay=not no_overlay)
    n = result.n_frames
    click.echo(f"video      {video}: {n} frames at {result.fps:g} fps, a person detected in {result.n_detected}")
    click.echo(f"model      {model} from {ckpt_path}")
    click.echo(f"speed      detection {n / max(result.detect_seconds, 1e-9):.1f} frames/s, "
               f"model {n / max(result.model_seconds, 1e-9):.1f} frames/s ({device})")
    trained_fps = _dataset_fps(dataset)
    if trained_fps and abs(trained_fps - result.fps) > 0.5:
        click.echo(f"note       the video is {result.fps:g} fps; {dataset!r} tracks are {trained_fps:g} fps, so motion "
                   f"per frame is {trained_fps / result.fps:.1f}x what the model saw in training")
    for label, path in (("pose", result.pose_npz), ("overlay", result.overlay_video),
                        ("sheet", result.contact_sheet)):
        if path is not None:
            click.echo(f"{label:<10} {path}")


def _dataset_fps(name: str) -> float | None:
    """The frame rate of a registered dataset's tracks (its ``fps`` attribute), or None when unknown."""
    from posebench.registry import load_dataset

    try:
        fps = getattr(load_dataset(name), "fps", None)  # datasets load their data lazily, so this is cheap
    except (PosebenchError, OSError):
        return None
    return float(fps) if isinstance(fps, (int, float)) else None


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
