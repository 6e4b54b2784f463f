"""`posebench demo VIDEO... [--model M ...]`: every person's 3D motion in videos, with trained models.

The work is in :mod:`posebench.video_pipeline`: ``detect_and_track`` once per video (detection,
false-detection filter, tracking), then ``run_model_on_tracks`` once per model (frame-rate
resampling, model, quality, BVH / AMASS export, overlay and contact sheet). This module only
reads the options, loads the models and the detector, and prints a summary table.

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
    """The trained model: ``checkpoint`` or the cached ``Run.of(model, dataset, config, seed).checkpoint``.

    A missing cached checkpoint raises a :class:`PosebenchError` that names the command that trains it.
    """
    from posebench.api import default_config
    from posebench.registry import build_model
    from posebench.runs import find_checkpoint, load_trained_model

    path = find_checkpoint(model, dataset, seed, {model: checkpoint} if checkpoint else {}, config=config,
                           default_config=default_config(model))
    return load_trained_model(path, device, model_name=model, build=build_model), path


def open_detector(detector_model: str | None, num_poses: int = 4, allow_telemetry: bool = False):
    """The MediaPipe PoseLandmarker (a context manager) from ``--detector-model`` or the env variable."""
    from posebench.video import MediaPipePoseDetector, import_mediapipe, resolve_detector_model

    path = resolve_detector_model(detector_model)
    import_mediapipe()
    return MediaPipePoseDetector(path, num_poses=num_poses, allow_telemetry=allow_telemetry)


def resolve_post_filter(model: str, config: str | None = None):
    """``"vibe+one-euro"`` -> ("vibe", a filter on the demo's per-track arrays); ``"vibe"`` -> ("vibe", None).

    Filter parameters: the filter's defaults, then the ``filters`` section of the model's config.
    """
    if "+" not in model:
        return model, None
    from posebench.evaluation import TrackPrediction
    from posebench.api import default_config
    from posebench.filters import base_model_name, resolve_model_names
    from posebench.registry import get_plugin_system

    base = base_model_name(model)
    spec = resolve_model_names([model], config, registry=get_plugin_system().filters,
                               default_configs={base: default_config(base)})[model]
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


def _checkpoint_for(model: str, checkpoints: tuple[str, ...], n_models: int) -> str | None:
    """``--checkpoint PATH`` (one model) or ``--checkpoint MODEL=PATH`` (any number) -> the path for ``model``."""
    chosen = None
    for item in checkpoints:
        name, sep, path = item.partition("=")
        if not sep:
            if n_models > 1:
                raise click.UsageError(f"--checkpoint {item!r}: with several models, write MODEL=PATH")
            chosen = item
        elif name in (model, model.split("+")[0]):
            chosen = path
    return chosen


@click.command("demo")
@click.argument("videos", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--model", "models", multiple=True, default=("meva",), show_default=True,
              help="Registered model name, or MODEL+FILTER (e.g. vibe+one-euro) to smooth the output. "
                   "Repeat (or separate with commas) for several models on the same detections.")
@click.option("--checkpoint", "checkpoints", multiple=True,
              help="Checkpoint file, or MODEL=FILE per model (default: the cached one of "
                   "`posebench train MODEL --dataset DATASET --config CONFIG`).")
@click.option("--dataset", default="cmu", show_default=True, help="Dataset the cached checkpoint was trained on.")
@click.option("--seed", default=0, show_default=True, type=int, help="Training seed of the cached checkpoint.")
@click.option("--config", default=None, help="Training config of the cached checkpoint (default: the model's own, cpu for meva).")
@click.option("--detector-model", default=None, type=click.Path(dir_okay=False),
              help="MediaPipe PoseLandmarker bundle (.task). Env: POSEBENCH_DETECTOR_MODEL.")
@click.option("--out", "out_dir", default="posebench_demo", show_default=True, type=click.Path(file_okay=False),
              help="Output folder (one sub-folder per model when there are several).")
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
def demo_cmd(videos, models, checkpoints, dataset, seed, config, detector_model, out_dir, protocol, fps, model_fps,
             max_frames, min_visibility, num_poses, person, min_track_frames, max_gap_s, no_overlay, no_export,
             allow_mediapipe_telemetry, progress, device):
    """Estimate every person's 3D motion in each VIDEO with trained MODELs (2D keypoints from MediaPipe).

    Writes per track a pose npz, a BVH and an AMASS-style npz, per video a report.json with the
    no-ground-truth quality of every track, an overlay video and a contact sheet; prints a summary table.
    """
    from dataclasses import replace
    from pathlib import Path

    from tabulate import tabulate

    from posebench.devices import choose_device
    from posebench.registry import get_protocol
    from posebench.tracking import TrackerConfig
    from posebench.video import read_video_info
    from posebench.video_pipeline import DEFAULT_MODEL_FPS, detect_and_track, run_model_on_tracks, summary_rows

    labels = [m.strip() for item in models for m in item.split(",") if m.strip()]
    for video in videos:
        read_video_info(video, fps=fps)  # an unreadable video fails here, named, before any model loads
    device = choose_device(device)
    proto = get_protocol(protocol)  # names are resolved here, at the edge; an unknown one fails before any work
    loaded = []
    for label in labels:
        base_model, post_filter = resolve_post_filter(label, config)
        net, ckpt_path = load_demo_model(base_model, _checkpoint_for(label, checkpoints, len(labels)), dataset,
                                         seed, device, config)
        loaded.append((label, net, ckpt_path, post_filter))
    model_fps = model_fps or _dataset_fps(dataset) or DEFAULT_MODEL_FPS
    tracker = replace(TrackerConfig(), min_track_frames=min_track_frames, max_gap_s=max_gap_s)
    detector_info = {"name": "mediapipe-pose-landmarker", "num_poses": num_poses,
                     "telemetry": "allowed" if allow_mediapipe_telemetry else "blocked"}
    results = []
    for video in videos:
        with open_detector(detector_model, num_poses, allow_mediapipe_telemetry) as detector:
            tracked = detect_and_track(video, detector, fps=fps, max_frames=max_frames, min_visibility=min_visibility,
                                       tracker=tracker, person=person, progress=progress, detector_info=detector_info)
        dropped = ", ".join(f"{k} {v}" for k, v in tracked.rejected.items() if v) or "none"
        click.echo(f"video      {video}: {tracked.n_frames} frames at {tracked.fps:g} fps (model at {model_fps:g} "
                   f"fps, output at {tracked.fps:g} fps); {len(tracked.tracks)} track(s): ids "
                   f"{[t.track_id for t in tracked.tracks]}; dropped detections: {dropped}")
        for label, net, ckpt_path, post_filter in loaded:
            out = Path(out_dir) / label if len(loaded) > 1 else Path(out_dir)
            result = run_model_on_tracks(tracked, net, out, checkpoint=str(ckpt_path), protocol=proto,
                                         model_fps=model_fps, device=device, post_filter=post_filter,
                                         model_label=label, overlay=not no_overlay, export=not no_export,
                                         progress=progress)
            results.append(result)
            n = tracked.n_frames
            click.echo(f"model      {label} from {ckpt_path}: detector {1000 * tracked.detect_seconds / n:.1f} "
                       f"ms/frame, model {1000 * result.model_seconds / n:.1f} ms/frame ({device})")
            for r in result.tracks:
                for kind, path in r.files.items():
                    click.echo(f"id {r.track.track_id:<7} {kind:<6} {path}")
            for kind, path in (("report", result.report), ("overlay", result.overlay_video),
                               ("sheet", result.contact_sheet)):
                if path is not None:
                    click.echo(f"{kind:<10} {path}")
    click.echo("")
    click.echo(tabulate(summary_rows(results), headers="keys", tablefmt="github"))


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)
