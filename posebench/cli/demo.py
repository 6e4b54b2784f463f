"""`posebench demo VIDEO`: every person's 3D motion in a video, with a trained model.

The work is :func:`posebench.video_pipeline.run_demo` (detection, false-detection filter,
tracking, frame-rate resampling, model, quality, BVH / AMASS export, overlay and contact sheet);
this module only reads the options, loads the model and the detector, and prints a summary.

``--model MODEL+FILTER`` (e.g. ``vibe+one-euro``) smooths each track's output with a post-hoc
filter from :mod:`posebench.filters` at the video's frame rate.

MediaPipe's usage telemetry is blocked by default (:mod:`posebench.video`);
``--allow-mediapipe-telemetry`` lets it through.
"""
from __future__ import annotations

import click

from posebench.cli.options import device_option
from posebench.errors import PosebenchError


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


def open_detector(detector_model: str | None, num_poses: int = 4, allow_telemetry: bool = False):
    """The MediaPipe PoseLandmarker (a context manager) from ``--detector-model`` or the env variable."""
    from posebench.video import MediaPipePoseDetector, import_mediapipe, resolve_detector_model

    path = resolve_detector_model(detector_model)
    import_mediapipe()
    return MediaPipePoseDetector(path, num_poses=num_poses, allow_telemetry=allow_telemetry)


def resolve_post_filter(model: str):
    """``"vibe+one-euro"`` -> ("vibe", a filter on the demo's per-track arrays) ; ``"vibe"`` -> ("vibe", None)."""
    if "+" not in model:
        return model, None
    try:
        from posebench.filters import resolve_model_name
    except ImportError as exc:
        raise PosebenchError(f"--model {model!r}: post-hoc filters (posebench.filters) are not available in this "
                             f"install ({exc})") from exc
    from posebench.evaluation import TrackPrediction

    spec = resolve_model_name(model)
    chain = spec.track_filter

    def post_filter(arrays: dict, fps: float) -> dict:
        pred = TrackPrediction("track", arrays["joints_lsp14_m"], arrays.get("joints24_m"), arrays.get("rotmat"),
                               arrays.get("betas"), arrays["covered"])
        pred = chain(pred, fps)
        return {**arrays, "joints_lsp14_m": pred.joints_lsp14_m, "joints24_m": pred.joints24_m,
                "rotmat": pred.rotmat, "betas": pred.betas, "covered": pred.covered}

    return spec.model, post_filter


def _dataset_fps(name: str) -> float | None:
    """The frame rate of a registered dataset's tracks (its ``fps`` attribute), or None when unknown."""
    from posebench.registry import load_dataset

    try:
        fps = getattr(load_dataset(name), "fps", None)  # datasets load their data lazily, so this is cheap
    except (PosebenchError, OSError):
        return None
    return float(fps) if isinstance(fps, (int, float)) else None


@click.command("demo")
@click.argument("video", type=click.Path(dir_okay=False))
@click.option("--model", default="meva", show_default=True,
              help="Registered model name, or MODEL+FILTER (e.g. vibe+one-euro) to smooth the output.")
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
@click.option("--model-fps", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Frame rate the model was trained at [default: the dataset's, else 30].")
@click.option("--max-frames", default=None, type=click.IntRange(min=1), help="Only the first N frames.")
@click.option("--min-visibility", default=0.1, show_default=True, type=click.FloatRange(0, 1),
              help="Landmarks with a lower MediaPipe visibility count as missing.")
@click.option("--num-poses", default=4, show_default=True, type=click.IntRange(min=1),
              help="Most people MediaPipe looks for per frame.")
@click.option("--person", default=None, type=click.IntRange(min=1), help="Only this track id (see the report).")
@click.option("--min-track-frames", default=10, show_default=True, type=click.IntRange(min=1),
              help="Tracks seen in fewer frames are dropped as false detections.")
@click.option("--max-gap", "max_gap_s", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a person may go undetected and keep the same track id.")
@click.option("--no-overlay", is_flag=True, help="No overlay video and no contact sheet.")
@click.option("--no-export", is_flag=True, help="No BVH / AMASS npz per track.")
@click.option("--allow-mediapipe-telemetry", is_flag=True,
              help="Let mediapipe send its usage metrics to Google (blocked by default).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bars.")
@device_option
def demo_cmd(video, model, checkpoint, dataset, seed, config, detector_model, out_dir, protocol, fps, model_fps,
             max_frames, min_visibility, num_poses, person, min_track_frames, max_gap_s, no_overlay, no_export,
             allow_mediapipe_telemetry, progress, device):
    """Estimate every person's 3D motion in VIDEO with a trained MODEL (2D keypoints from MediaPipe)."""
    from dataclasses import replace

    from posebench.evaluation import default_device
    from posebench.tracking import TrackerConfig
    from posebench.video import read_video_info
    from posebench.video_pipeline import DEFAULT_MODEL_FPS, run_demo

    read_video_info(video, fps=fps)  # an unreadable video fails here, named, before any model loads
    device = device or default_device()
    base_model, post_filter = resolve_post_filter(model)
    net, ckpt_path = load_demo_model(base_model, checkpoint, dataset, seed, device, config)
    model_fps = model_fps or _dataset_fps(dataset) or DEFAULT_MODEL_FPS
    tracker = replace(TrackerConfig(), min_track_frames=min_track_frames, max_gap_s=max_gap_s)
    with open_detector(detector_model, num_poses, allow_mediapipe_telemetry) as detector:
        result = run_demo(video, net, detector, out_dir, checkpoint=str(ckpt_path), protocol=protocol, fps=fps,
                          model_fps=model_fps, max_frames=max_frames, min_visibility=min_visibility, device=device,
                          person=person, tracker=tracker, post_filter=post_filter, model_label=model,
                          overlay=not no_overlay, export=not no_export, progress=progress,
                          detector_info={"name": "mediapipe-pose-landmarker", "num_poses": num_poses,
                                         "telemetry": "allowed" if allow_mediapipe_telemetry else "blocked"})
    n = result.n_frames
    dropped = ", ".join(f"{k} {v}" for k, v in result.rejected.items() if v) or "none"
    click.echo(f"video      {video}: {n} frames at {result.fps:g} fps; model at {result.model_fps:g} fps, output "
               f"at {result.fps:g} fps")
    click.echo(f"people     {len(result.tracks)} track(s): ids {result.track_ids}; dropped detections: {dropped}")
    click.echo(f"model      {model} from {ckpt_path}")
    click.echo(f"speed      detector {1000 * result.detect_seconds / n:.1f} ms/frame, "
               f"model {1000 * result.model_seconds / n:.1f} ms/frame ({device})")
    for r in result.tracks:
        for label, path in r.files.items():
            click.echo(f"id {r.track.track_id:<7} {label:<6} {path}")
    for label, path in (("report", result.report), ("overlay", result.overlay_video),
                        ("sheet", result.contact_sheet)):
        if path is not None:
            click.echo(f"{label:<10} {path}")


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
