"""A video in, every person's 3D motion out: the work behind ``posebench demo VIDEO``.

:func:`detect_and_track` does steps 1-2 once per video; :func:`run_model_on_tracks` steps 3-5 once per
model (:func:`run_demo` chains them).

1. Detect: every frame through a keypoint detector (:func:`posebench.video.detect_video`),
   several people per frame.
2. Drop false detections and link the rest into one track per person
   (:mod:`posebench.tracking`); the reasons for every dropped detection are counted.
3. Per track (or only ``person``): resample its 2D keypoints from the video's frame rate to the
   model's training frame rate (:func:`resample_keypoints`), build the benchmark's observation
   features (:func:`posebench.data.observations.observe_keypoints`), run the model with the
   protocol's windowing (:func:`posebench.evaluation.predict_track`), resample the output back
   to the video's frame times (:func:`resample_prediction`: rotations by slerp, joints and betas
   linearly), optionally smooth it (``post_filter``).
4. Measure it without ground truth (:mod:`posebench.track_quality`) and export it
   (:mod:`posebench.export`: BVH + AMASS-style npz).
5. Write ``--out``: per track ``<video>_id<N>_pose.npz`` (every array), ``<video>_id<N>.bvh``,
   ``<video>_id<N>_amass.npz``; ``<video>_report.json``; ``<video>_overlay.mp4`` and
   ``<video>_sheet.png`` (:mod:`posebench.drawing`).

The per-track pose npz holds ``joints_lsp14_m`` (T, 14, 3) and ``joints24_m`` (T, 24, 3)
(camera axes x right, y down, z forward, root at the pelvis), ``rotmat`` (T, 24, 3, 3),
``betas`` (T, 10), ``covered`` (T,), ``pelvis_cam_m`` (T, 3) (from the fitted camera),
``kp2d_px`` (T, 14, 3), ``bbox_px`` (T, 4), ``observed`` (T,), ``landmarks33_px`` (T, 33, 3),
``frame_index`` (T,) video frame numbers, ``time_s`` (T,), ``joints24_export_m`` (T, 24, 3) the
joints the BVH / AMASS files hold (Y-up world, :mod:`posebench.export`), ``fps`` (the video's),
``model_fps``, ``image_wh``, ``track_id`` and the strings ``video``, ``model``, ``checkpoint``,
``protocol``, ``resampling``. A joints-only model (2D-to-3D lifter) has no ``rotmat``,
``joints24_m`` or ``betas``, and no BVH / AMASS export.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from posebench.errors import DataFormatError, PosebenchError
from posebench.io import atomic_path, write_json
from posebench.tracking import REJECT_REASONS, DetectionFilter, PersonTrack, TrackerConfig

DEFAULT_MODEL_FPS = 30.0
# A prediction at the video's frame rate -> the same, smoothed (fps as second argument).
PostFilter = Callable[[dict, float], dict]


# -- frame rates -----------------------------------------------------------------------------

def _same_rate(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(a, b)


def resample_keypoints(kp_px: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """(T, 14, 3) pixels + confidence at ``src_fps`` -> (T2, 14, 3) at ``dst_fps``.

    Sample k lies at time k / dst_fps, T2 = :func:`posebench.data.resample.resampled_length`. A
    joint is interpolated linearly (position and confidence) between the two source frames around
    that time when it is kept in both; a sample on a source frame copies it; otherwise it is
    missing (confidence 0, position 0), so gaps stay gaps.
    """
    from posebench.data.resample import resampled_length

    kp = np.asarray(kp_px, np.float64)
    if _same_rate(src_fps, dst_fps):
        return kp.astype(np.float32)
    T = kp.shape[0]
    T2 = resampled_length(T, src_fps, dst_fps)
    pos = np.arange(T2) * (src_fps / dst_fps)  # in source frames
    lo = np.clip(np.floor(pos + 1e-9).astype(int), 0, T - 1)
    hi = np.minimum(lo + 1, T - 1)
    alpha = np.clip(pos - lo, 0.0, 1.0)
    exact = alpha < 1e-6
    a = alpha[:, None, None]
    mixed = (1 - a) * kp[lo] + a * kp[hi]
    both = (kp[lo, :, 2] > 0) & (kp[hi, :, 2] > 0)
    out = np.where(exact[:, None, None], kp[lo], np.where(both[..., None], mixed, 0.0))
    return out.astype(np.float32)


def resample_prediction(pred: dict, src_fps: float, times_dst_s: np.ndarray) -> dict:
    """Arrays sampled at k / src_fps -> the same arrays at ``times_dst_s`` (clamped to the span).

    ``rotmat`` (T, 24, 3, 3) by slerp (:func:`posebench.geometry.rotations.slerp_matrices`);
    ``covered`` (T,) from the nearest sample; every other (T, ...) float array linearly.
    """
    from posebench.geometry.rotations import slerp_matrices

    first = next(v for v in pred.values() if v is not None)
    T = first.shape[0]
    times_src = np.arange(T) / src_fps
    t = np.clip(np.asarray(times_dst_s, np.float64), times_src[0], times_src[-1])
    out = {}
    for key, value in pred.items():
        if value is None:
            out[key] = None
        elif key == "rotmat":
            out[key] = slerp_matrices(torch.as_tensor(value, dtype=torch.float64), times_src, t).numpy().astype(
                np.float32)
        elif value.dtype == bool:
            out[key] = value[np.clip(np.rint(t * src_fps).astype(int), 0, T - 1)]
        else:
            flat = value.reshape(T, -1).astype(np.float64)
            cols = [np.interp(t, times_src, flat[:, c]) for c in range(flat.shape[1])]
            out[key] = np.stack(cols, -1).reshape(len(t), *value.shape[1:]).astype(np.float32)
    return out


# -- one track through the model -------------------------------------------------------------

def predict_person(model, track: PersonTrack, image_wh: tuple[int, int], video_fps: float, model_fps: float, *,
                   protocol, device: str = "cpu", post_filter: PostFilter | None = None
                   ) -> tuple[dict, np.ndarray]:
    """Run ``model`` on one track at ``model_fps``; return its outputs at the video's frame times
    (``joints_lsp14_m``, ``joints24_m``, ``rotmat``, ``betas`` (None for a joints-only model),
    ``covered``) and the box (T, 4) of the video-rate observations. ``protocol``: the
    :class:`posebench.metrics.protocols.Protocol` whose windowing is used (the caller resolves its name)."""
    from posebench.data.observations import observe_keypoints
    from posebench.data.track import Track
    from posebench.evaluation import predict_track
    proto = protocol
    name = f"id{track.track_id}"
    kp_model = resample_keypoints(track.kp2d_px, video_fps, model_fps)
    obs = observe_keypoints(kp_model, image_wh, name=name)
    model_track = Track(name=name, fps=model_fps, features=obs.features, kp2d=obs.kp2d_norm,
                        meta={"image_wh": image_wh, "bbox_px": obs.bbox_px, "kp2d_px": obs.kp2d_px})
    pred = predict_track(model, model_track, policy=proto.windowing, window=proto.window, device=device)
    arrays = {"joints_lsp14_m": pred.joints_lsp14_m, "joints24_m": pred.joints24_m, "rotmat": pred.rotmat,
              "betas": pred.betas, "covered": np.asarray(pred.covered, bool)}
    arrays = resample_prediction(arrays, model_fps, np.arange(len(track)) / video_fps)
    if post_filter is not None:
        arrays = post_filter(arrays, video_fps)
    video_obs = observe_keypoints(track.kp2d_px, image_wh, name=name)
    return arrays, video_obs.bbox_px


def rest_pelvis(model, betas: np.ndarray) -> np.ndarray | None:
    """The model's body model's pelvis at rest for ``betas`` (10,), or None without a body model."""
    try:
        body = model.body_model
    except (PosebenchError, AttributeError):
        return None
    with torch.no_grad():
        param = next(iter(body.parameters()), None) if hasattr(body, "parameters") else None
        buffer = next(iter(body.buffers()), None) if hasattr(body, "buffers") else None
        ref = param if param is not None else buffer
        dev = ref.device if ref is not None else torch.device("cpu")
        b = torch.as_tensor(np.asarray(betas, np.float32)[None], device=dev)
        out = body(b, torch.eye(3, device=dev).expand(1, 24, 3, 3).contiguous())
    return out.joints24_m[0, 0].double().cpu().numpy()


# -- the whole video -------------------------------------------------------------------------

@dataclass
class TrackedVideo:
    """Steps 1-2 for one video: who is where. Reused for every model run on the video."""

    video: Path
    fps: float
    image_wh: tuple[int, int]
    n_frames: int
    tracks: list[PersonTrack]
    rejected: dict
    detect_seconds: float
    detections_per_frame: np.ndarray
    detection_filter: DetectionFilter
    tracker: TrackerConfig
    min_visibility: float
    detector_info: dict = field(default_factory=dict)


@dataclass
class TrackResult:
    """One person: the track, its predicted arrays at the video's rate, quality, files written."""

    track: PersonTrack
    arrays: dict
    quality: dict
    files: dict = field(default_factory=dict)


@dataclass
class DemoResult:
    """What :func:`run_model_on_tracks` made for one video and one model."""

    tracked: TrackedVideo
    model_label: str
    model_fps: float
    tracks: list[TrackResult]
    model_seconds: float
    report: Path
    overlay_video: Path | None = None
    contact_sheet: Path | None = None

    @property
    def track_ids(self) -> list[int]:
        return [r.track.track_id for r in self.tracks]

    @property
    def n_frames(self) -> int:
        return self.tracked.n_frames

    @property
    def fps(self) -> float:
        return self.tracked.fps


def _write_npz(path: Path, arrays: dict) -> Path:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **{k: v for k, v in arrays.items() if v is not None})
    return path


def _finite_or_none(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def resampling_note(video_fps: float, model_fps: float) -> str:
    """How the frame rates were handled, for the report and the npz."""
    if _same_rate(video_fps, model_fps):
        return f"none: the video is at the model's training rate ({model_fps:g} fps)"
    return (f"2D keypoints {video_fps:g} fps -> {model_fps:g} fps (linear where a joint is seen in both "
            f"neighbouring frames) before the model; its output -> the video's {video_fps:g} fps frame times "
            f"(rotations by slerp, joints and betas linear)")


def quality_lines(track_id: int, q: dict) -> list[str]:
    """Two short text lines of a track's quality for the contact sheet."""
    def f(key, fmt):
        v = q.get(key)
        return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, fmt)

    return [f"id {track_id}: frames {q['frames']} ({f('coverage_of_track', '.0%')} detected), reproj "
            f"{f('reprojection_px', '.1f')} px ({f('reprojection_pct_box', '.1f')}% of box), ACCEL "
            f"{f('accel_mm_per_frame2', '.1f')} mm/f^2, jitter {f('jitter_m_per_s3', '.0f')} m/s^3",
            f"      bone-length std/mean {f('bone_length_cv_mean', '.3f')} (max {f('bone_length_cv_max', '.3f')}), "
            f"foot sliding {f('foot_sliding_mm_per_frame', '.1f')} mm/frame "
            f"({f('foot_sliding_pelvis_fixed_mm_per_frame', '.1f')} with the pelvis fixed) on "
            f"{f('foot_contact_fraction', '.0%')} contact foot-frames"]


def detect_and_track(video: str | os.PathLike, detector, *, fps: float | None = None, max_frames: int | None = None,
                     min_visibility: float = 0.1, detection_filter: DetectionFilter | None = None,
                     tracker: TrackerConfig | None = None, person: int | None = None, progress: bool = False,
                     detector_info: dict | None = None) -> TrackedVideo:
    """Steps 1-2 (module docstring): detections, false ones dropped, the rest linked into tracks.

    Raises :class:`DataFormatError` naming the video when nobody is found in it (no detection at
    all, or only false ones), and :class:`PosebenchError` when ``person`` is not a track id.
    """
    from posebench.tracking import filter_detections, track_people
    from posebench.video import detect_video

    video = Path(video)
    detection_filter = detection_filter or DetectionFilter()
    tracker = tracker or TrackerConfig()
    det = detect_video(video, detector, fps=fps, max_frames=max_frames, min_visibility=min_visibility,
                       progress=progress)
    n_frames = len(det)
    if not det.people_per_frame.any():
        raise DataFormatError(video, f"no person detected in any of its {n_frames} frames")
    keep, rejected = filter_detections(det.kp2d_px, det.image_wh, detection_filter)
    tracks, rejected["short_track"] = track_people(det.kp2d_px, det.fps, tracker, keep=keep,
                                                   extras_per_frame=det.landmarks33_px)
    if not tracks:
        raise DataFormatError(video, f"no person found: {int(det.people_per_frame.sum())} detections in "
                                     f"{n_frames} frames, all dropped as false detections "
                                     f"({', '.join(f'{k} {v}' for k, v in rejected.items() if v)})")
    ids = [t.track_id for t in tracks]
    if person is not None:
        if person not in ids:
            raise PosebenchError(f"{video}: no track id {person}; the tracks are {ids}")
        tracks = [t for t in tracks if t.track_id == person]
    return TrackedVideo(video=video, fps=det.fps, image_wh=det.image_wh, n_frames=n_frames, tracks=tracks,
                        rejected=rejected, detect_seconds=det.seconds, detections_per_frame=det.people_per_frame,
                        detection_filter=detection_filter, tracker=tracker, min_visibility=min_visibility,
                        detector_info=dict(detector_info or {}))


def run_model_on_tracks(tracked: TrackedVideo, model, out_dir: str | os.PathLike, *, checkpoint: str = "",
                        protocol, model_fps: float = DEFAULT_MODEL_FPS, device: str = "cpu",
                        post_filter: PostFilter | None = None, model_label: str = "", overlay: bool = True,
                        export: bool = True, progress: bool = False) -> DemoResult:
    """Steps 3-5 (module docstring) for every track of ``tracked`` with one model, windowed as
    ``protocol`` (a :class:`posebench.metrics.protocols.Protocol`; its id goes into the outputs)."""
    from posebench.drawing import DrawnTrack, write_contact_sheet, write_overlay_video
    from posebench.export import CAMERA_TO_YUP, motion_for_export, write_amass_npz, write_bvh
    from posebench.skeleton import LSP14_JOINT_NAMES
    from posebench.track_quality import fit_weak_perspective, pelvis_from_camera, track_quality

    video, out_dir = tracked.video, Path(out_dir)
    fps, image_wh, n_frames = tracked.fps, tracked.image_wh, tracked.n_frames
    model_label = model_label or model.name
    model = model.to(device)
    start = time.perf_counter()
    results: list[TrackResult] = []
    iterator = tracked.tracks
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=f"predict {model_label}", unit="track", leave=False)
    for tr in iterator:
        arrays, bbox = predict_person(model, tr, image_wh, fps, model_fps, protocol=protocol, device=device,
                                      post_filter=post_filter)
        results.append(TrackResult(track=tr, arrays={**arrays, "bbox_px": bbox}, quality={}))
    model_seconds = time.perf_counter() - start

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = video.stem
    note = resampling_note(fps, model_fps)
    for res in results:
        tr, a = res.track, res.arrays
        s, t = fit_weak_perspective(a["joints_lsp14_m"], tr.kp2d_px)
        pelvis = pelvis_from_camera(s, t, image_wh, smooth_frames=int(round(fps / 2)))  # ~0.5 s
        motion = None
        if a.get("rotmat") is not None and np.isfinite(a["rotmat"]).all():
            motion = motion_for_export(a["rotmat"], a["joints24_m"] - a["joints24_m"][:, :1], pelvis, a["betas"], fps)
            world = motion.joints24_m
        else:  # a joints-only model: the LSP-14 joints, mid-hip at the pelvis position
            lsp = a["joints_lsp14_m"] - a["joints_lsp14_m"][:, [2, 3]].mean(axis=1, keepdims=True)
            world = (lsp + pelvis[:, None]) @ CAMERA_TO_YUP.T
        res.quality = {k: _finite_or_none(v) for k, v in track_quality(
            a["joints_lsp14_m"], tr.kp2d_px, tr.observed, fps, n_frames, world,
            joints24_m=a.get("joints24_m") if motion is not None else None).items()}
        base = out_dir / f"{stem}_id{tr.track_id}"
        pose = {**a, "pelvis_cam_m": pelvis.astype(np.float32), "kp2d_px": tr.kp2d_px, "observed": tr.observed,
                "landmarks33_px": tr.landmarks33_px, "frame_index": tr.frames, "time_s": tr.frames / fps,
                "fps": np.float64(fps), "model_fps": np.float64(model_fps),
                "image_wh": np.asarray(image_wh, np.int64), "track_id": np.int64(tr.track_id),
                "joint_names_lsp14": np.asarray(LSP14_JOINT_NAMES), "video": np.asarray(str(video)),
                "model": np.asarray(model_label), "checkpoint": np.asarray(str(checkpoint)),
                "protocol": np.asarray(protocol.id), "resampling": np.asarray(note),
                "joints24_export_m": None if motion is None else motion.joints24_m.astype(np.float32)}
        res.files["pose"] = _write_npz(base.with_name(base.name + "_pose.npz"), pose)
        if motion is not None and export:
            res.files["bvh"] = write_bvh(base.with_suffix(".bvh"), motion)
            res.files["amass"] = write_amass_npz(base.with_name(base.name + "_amass.npz"), motion,
                                                 rest_pelvis_m=rest_pelvis(model, motion.betas))
            res.quality["export_max_joint_change_m"] = motion.max_joint_change_m

    result = DemoResult(tracked=tracked, model_label=model_label, model_fps=model_fps, tracks=results,
                        model_seconds=model_seconds, report=out_dir / f"{stem}_report.json")
    if overlay:
        drawn = [DrawnTrack(track_id=r.track.track_id, start=r.track.start, kp2d_px=r.track.kp2d_px,
                            joints_m=r.arrays["joints_lsp14_m"], observed=r.track.observed,
                            quality_lines=quality_lines(r.track.track_id, r.quality)) for r in results]
        result.overlay_video = write_overlay_video(out_dir / f"{stem}_overlay.mp4", video, drawn, fps, n_frames,
                                                   progress=progress)
        result.contact_sheet = write_contact_sheet(
            out_dir / f"{stem}_sheet.png", video, drawn, n_frames, fps,
            title=f"{video.name}: {model_label}, {len(results)} track(s), {n_frames} frames at {fps:g} fps")
    write_json(result.report, report_dict(result, checkpoint=str(checkpoint), protocol=protocol.id))
    return result


def run_demo(video: str | os.PathLike, model, detector, out_dir: str | os.PathLike, *, fps: float | None = None,
             max_frames: int | None = None, min_visibility: float = 0.1, person: int | None = None,
             detection_filter: DetectionFilter | None = None, tracker: TrackerConfig | None = None,
             detector_info: dict | None = None, progress: bool = False, **model_options) -> DemoResult:
    """:func:`detect_and_track` then :func:`run_model_on_tracks` (``model_options``) for one video."""
    tracked = detect_and_track(video, detector, fps=fps, max_frames=max_frames, min_visibility=min_visibility,
                               detection_filter=detection_filter, tracker=tracker, person=person,
                               progress=progress, detector_info=detector_info)
    return run_model_on_tracks(tracked, model, out_dir, progress=progress, **model_options)


def report_dict(result: DemoResult, *, checkpoint: str, protocol: str) -> dict:
    """``<video>_report.json``: settings, what was dropped and why, per-track quality and files, timing."""
    tv = result.tracked
    n = tv.n_frames
    return {
        "video": str(tv.video), "frames": n, "fps": tv.fps,
        "model": result.model_label, "checkpoint": checkpoint, "protocol": protocol,
        "frame_rates": {"video_fps": tv.fps, "model_fps": result.model_fps, "output_fps": tv.fps,
                        "resampling": resampling_note(tv.fps, result.model_fps)},
        "detector": {**tv.detector_info, "min_visibility": tv.min_visibility,
                     "detections": int(tv.detections_per_frame.sum())},
        "detection_filter": tv.detection_filter.as_dict(),
        "tracker": {**tv.tracker.as_dict(), "max_gap_frames": tv.tracker.max_gap_frames(tv.fps)},
        "rejected_detections": {k: int(tv.rejected.get(k, 0)) for k in REJECT_REASONS},
        "tracks": [{"id": r.track.track_id, "first_frame": r.track.start, "last_frame": r.track.end,
                    "quality": r.quality, "files": {k: str(v) for k, v in r.files.items()}}
                   for r in result.tracks],
        "timing": {"detector_ms_per_frame": 1000 * tv.detect_seconds / max(n, 1),
                   "model_ms_per_frame": 1000 * result.model_seconds / max(n, 1),
                   "note": "detector: reading + MediaPipe per video frame; model: resampling, features, "
                           "model and resampling back, per video frame, all tracks"},
        "overlay_video": str(result.overlay_video) if result.overlay_video else None,
        "contact_sheet": str(result.contact_sheet) if result.contact_sheet else None,
    }


SUMMARY_COLUMNS = (("reprojection_px", "reproj [px]", ".1f"), ("reprojection_pct_box", "reproj [% box]", ".1f"),
                   ("accel_mm_per_frame2", "ACCEL [mm/f²]", ".1f"), ("jitter_m_per_s3", "jitter [m/s³]", ".0f"),
                   ("bone_length_cv_mean", "bone std/mean", ".3f"),
                   ("foot_sliding_mm_per_frame", "foot slide [mm/f]", ".1f"),
                   ("foot_sliding_pelvis_fixed_mm_per_frame", "foot slide, pelvis fixed [mm/f]", ".1f"),
                   ("coverage_of_track", "detected [% track]", ".0%"))


def summary_rows(results: list[DemoResult]) -> list[dict]:
    """One row per (video, model, track) with the quality measures and the per-frame timing."""
    rows = []
    for res in results:
        tv = res.tracked
        for r in res.tracks:
            row = {"video": tv.video.stem, "model": res.model_label, "id": r.track.track_id,
                   "frames": f"{r.track.start}-{r.track.end}"}
            for key, label, fmt in SUMMARY_COLUMNS:
                v = r.quality.get(key)
                row[label] = "n/a" if v is None else format(v, fmt)
            row["detector [ms/f]"] = f"{1000 * tv.detect_seconds / tv.n_frames:.1f}"
            row["model [ms/f]"] = f"{1000 * res.model_seconds / tv.n_frames:.1f}"
            rows.append(row)
    return rows
