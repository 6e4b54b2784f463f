"""Run a model over a dataset split and score it under a protocol.

The harness runs the model; the :class:`~posebench.metrics.protocols.Protocol` (an object:
names are resolved at the CLI/API edge with ``posebench.get_protocol``) decides which
frames the model sees (all, or only those passing the frame filter when
``filter_before_windowing``), the windows (its windowing policy, window length and
``window_params``, or the model's own window), and how the per-window outputs are
stitched back onto the track's frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posebench import windowing
from posebench.data.track import Track
from posebench.devices import choose_device
from posebench.errors import PosebenchError, ShapeError
from posebench.metrics.protocols import Protocol
from posebench.metrics.scoring import ScoreResult, SequencePrediction, SequenceTarget, score
from posebench.models.base import PoseModel, WindowBatch


@dataclass
class TrackPrediction:
    """A model's stitched output on one track (frames not covered by any window are NaN)."""

    name: str
    joints_lsp14_m: np.ndarray  # (N, 14, 3)
    joints24_m: np.ndarray | None  # (N, 24, 3); None for a joints-only model (models.base.OUTPUTS_JOINTS)
    rotmat: np.ndarray | None  # (N, 24, 3, 3); None for a joints-only model
    betas: np.ndarray | None  # (N, 10); None for a joints-only model
    covered: np.ndarray  # (N,) bool


def _require_protocol(protocol) -> Protocol:
    if not isinstance(protocol, Protocol):
        raise PosebenchError(f"expected a Protocol, got {type(protocol).__name__} {protocol!r}; resolve a name "
                             f"with posebench.get_protocol(name)")
    return protocol


def _visible(track: Track, protocol: Protocol) -> np.ndarray | None:
    return None if track.kp2d is None else protocol.visible(track.kp2d[..., 2])


def _window_inputs(track: Track, model: PoseModel, plan, frames: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Stacked window inputs; ``frames``: the track frames the model sees (None = all)."""
    if track.features is None:
        raise PosebenchError(f"track {track.name!r}: field 'features' is missing; model {model.name!r} needs it")
    arrays = {"features": track.features}
    if "kp2d" in model.inputs:
        if track.kp2d is None:
            raise PosebenchError(f"track {track.name!r}: field 'kp2d' is missing; model {model.name!r} needs it")
        arrays["kp2d"] = track.kp2d
    if frames is not None and len(frames) != len(track):
        arrays = {key: value[frames] for key, value in arrays.items()}
    for key, value in arrays.items():
        if not np.all(np.isfinite(value)):
            raise ShapeError(f"track {track.name!r}: field {key!r} contains NaN or inf")
    return {key: np.stack([windowing.pad_and_slice(value, w) for w in plan]) for key, value in arrays.items()}


@torch.no_grad()
def predict_track(model: PoseModel, track: Track, *, policy: str = "full", window: int | None = None,
                  device: str | None = None, batch_size: int = 32, track_filter=None,
                  protocol: Protocol | None = None) -> TrackPrediction:
    """Run ``model`` over every window of ``track`` and stitch the outputs (frames at ``track.fps``).

    With ``protocol``, its rules decide the frames the model sees, the windows and the
    stitching (``policy`` and ``window`` are then ignored); without, windows of ``window``
    (default: the model's) under ``policy`` over every frame.

    ``track_filter(pred, fps) -> pred``: an optional post-hoc filter applied to the stitched track
    (``MODEL+FILTER`` names, :mod:`posebench.filters`)."""
    device = choose_device(device)
    n_frames = len(track)
    if protocol is None:
        protocol = Protocol(id="adhoc-v1", description="predict_track without a protocol", windowing=policy,
                            window=window)
    keep = protocol.frame_mask(n_frames, track.valid, _visible(track, protocol)) \
        if protocol.filter_before_windowing else np.ones(n_frames, bool)
    frames = protocol.model_frames(keep)
    plan = protocol.plan(len(frames), model.window)
    if not plan:
        nan = np.full
        return TrackPrediction(track.name, nan((n_frames, 14, 3), np.nan), nan((n_frames, 24, 3), np.nan),
                               nan((n_frames, 24, 3, 3), np.nan), nan((n_frames, 10), np.nan),
                               np.zeros(n_frames, bool))
    inputs = _window_inputs(track, model, plan, frames)
    model.eval()
    outs: dict[str, list[np.ndarray]] = {"joints_lsp14_m": [], "joints24_m": [], "rotmat": [], "betas": []}
    for start in range(0, len(plan), batch_size):
        chunk = {k: torch.from_numpy(np.ascontiguousarray(v[start:start + batch_size])).float().to(device)
                 for k, v in inputs.items()}
        out = model(WindowBatch(features=chunk["features"], kp2d=chunk.get("kp2d"), fps=track.fps))
        for key in outs:  # a joints-only model leaves the SMPL fields None
            value = getattr(out, key)
            outs[key].append(None if value is None else value.float().cpu().numpy())
    stitched, covered = {}, None
    for key, parts in outs.items():
        if any(p is None for p in parts):
            stitched[key] = None
            continue
        per_window = list(np.concatenate(parts, axis=0))
        stitched[key], covered = protocol.stitch(per_window, plan, frames, n_frames)
    pred = TrackPrediction(track.name, covered=np.asarray(covered, bool), **stitched)
    return pred if track_filter is None else track_filter(pred, float(track.fps))


def predict(model: PoseModel, tracks: list[Track], protocol: Protocol,
            device: str | None = None, batch_size: int = 32, progress: bool = False,
            track_filter=None) -> dict[str, TrackPrediction]:
    """Stitched predictions of ``model`` on every track under ``protocol``."""
    protocol = _require_protocol(protocol)
    model = model.to(choose_device(device))
    iterator = tracks
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(tracks, desc=f"predict {model.name}", unit="track", leave=False)
    return {t.name: predict_track(model, t, protocol=protocol, device=device, batch_size=batch_size,
                                  track_filter=track_filter) for t in iterator}


def targets_from_tracks(tracks: list[Track]) -> dict[str, SequenceTarget]:
    targets = {}
    for t in tracks:
        if t.joints3d_m is None:
            raise PosebenchError(f"track {t.name!r}: field 'joints3d_m' is missing, so it cannot be scored")
        vis2d = t.kp2d[..., 2] if t.kp2d is not None else None
        # A dataset names the video a track comes from in meta["video"] (per-video protocols).
        targets[t.name] = SequenceTarget(joints_lsp14_m=t.joints3d_m, valid=t.valid, vis2d=vis2d,
                                         vertices_m=t.vertices_m, video=t.meta.get("video"))
    return targets


def score_predictions(preds: dict[str, TrackPrediction], tracks: list[Track], protocol: Protocol,
                      extra_metrics=()) -> ScoreResult:
    """Score stitched predictions against the tracks' ground truth under ``protocol`` (and
    ``extra_metrics``: plugins' :class:`posebench.specs.MetricSpec`, see :func:`score`)."""
    protocol = _require_protocol(protocol)
    seq_preds = {name: SequencePrediction(joints_lsp14_m=p.joints_lsp14_m, covered=p.covered)
                 for name, p in preds.items()}
    return score(seq_preds, targets_from_tracks(tracks), protocol, extra_metrics=extra_metrics)


def evaluate(model: PoseModel, dataset_or_tracks, split: str = "test", protocol: Protocol = None,
             device: str | None = None, batch_size: int = 32, progress: bool = False) -> ScoreResult:
    """Predict and score ``model`` on a dataset split (or an explicit list of tracks) under
    ``protocol`` (a :class:`Protocol`: ``posebench.get_protocol("posebench")`` for the default)."""
    protocol = _require_protocol(protocol)
    tracks = dataset_or_tracks if isinstance(dataset_or_tracks, list) else dataset_or_tracks.tracks(split)
    if not tracks:
        raise PosebenchError(f"no tracks to evaluate in split {split!r}")
    preds = predict(model, tracks, protocol, device=device, batch_size=batch_size, progress=progress)
    return score_predictions(preds, tracks, protocol)
