"""Run a model over a dataset split and score it under a protocol.

The harness owns windowing: each track is cut into windows of the model's length by the
protocol's windowing policy (:mod:`posebench.windowing`), the model sees only those
windows, and the per-window outputs are stitched back onto the track's frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posebench import windowing
from posebench.data.track import Track
from posebench.errors import PosebenchError, ShapeError
from posebench.metrics.protocols import Protocol
from posebench.metrics.scoring import ScoreResult, SequencePrediction, SequenceTarget, score
from posebench.models.base import PoseModel, WindowBatch


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class TrackPrediction:
    """A model's stitched output on one track (frames not covered by any window are NaN)."""

    name: str
    joints_lsp14_m: np.ndarray  # (N, 14, 3)
    joints24_m: np.ndarray  # (N, 24, 3)
    rotmat: np.ndarray  # (N, 24, 3, 3)
    betas: np.ndarray  # (N, 10)
    covered: np.ndarray  # (N,) bool


def _resolve_protocol(protocol: str | Protocol) -> Protocol:
    if isinstance(protocol, Protocol):
        return protocol
    from posebench.registry import get_protocol

    return get_protocol(protocol)


def _window_inputs(track: Track, model: PoseModel, plan) -> dict[str, np.ndarray]:
    if track.features is None:
        raise PosebenchError(f"track {track.name!r}: field 'features' is missing; model {model.name!r} needs it")
    arrays = {"features": track.features}
    if "kp2d" in model.inputs:
        if track.kp2d is None:
            raise PosebenchError(f"track {track.name!r}: field 'kp2d' is missing; model {model.name!r} needs it")
        arrays["kp2d"] = track.kp2d
    for key, value in arrays.items():
        if not np.all(np.isfinite(value)):
            raise ShapeError(f"track {track.name!r}: field {key!r} contains NaN or inf")
    return {key: np.stack([windowing.pad_and_slice(value, w) for w in plan]) for key, value in arrays.items()}


@torch.no_grad()
def predict_track(model: PoseModel, track: Track, *, policy: str = "full", window: int | None = None,
                  device: str | None = None, batch_size: int = 32) -> TrackPrediction:
    """Run ``model`` over every window of ``track`` and stitch the outputs (frames at ``track.fps``)."""
    device = device or default_device()
    n_frames = len(track)
    plan = windowing.plan_windows(n_frames, window or model.window, policy)
    if not plan:
        nan = np.full
        return TrackPrediction(track.name, nan((n_frames, 14, 3), np.nan), nan((n_frames, 24, 3), np.nan),
                               nan((n_frames, 24, 3, 3), np.nan), nan((n_frames, 10), np.nan),
                               np.zeros(n_frames, bool))
    inputs = _window_inputs(track, model, plan)
    model.eval()
    outs: dict[str, list[np.ndarray]] = {"joints_lsp14_m": [], "joints24_m": [], "rotmat": [], "betas": []}
    for start in range(0, len(plan), batch_size):
        chunk = {k: torch.from_numpy(np.ascontiguousarray(v[start:start + batch_size])).float().to(device)
                 for k, v in inputs.items()}
        out = model(WindowBatch(features=chunk["features"], kp2d=chunk.get("kp2d"), fps=track.fps))
        outs["joints_lsp14_m"].append(out.joints_lsp14_m.float().cpu().numpy())
        outs["joints24_m"].append(out.joints24_m.float().cpu().numpy())
        outs["rotmat"].append(out.rotmat.float().cpu().numpy())
        outs["betas"].append(out.betas.float().cpu().numpy())
    stitched, covered = {}, None
    for key, parts in outs.items():
        per_window = list(np.concatenate(parts, axis=0))
        stitched[key], covered = windowing.stitch(per_window, plan, n_frames)
    return TrackPrediction(track.name, covered=np.asarray(covered, bool), **stitched)


def predict(model: PoseModel, tracks: list[Track], protocol: str | Protocol = "posebench",
            device: str | None = None, batch_size: int = 32, progress: bool = False) -> dict[str, TrackPrediction]:
    protocol = _resolve_protocol(protocol)
    model = model.to(device or default_device())
    iterator = tracks
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(tracks, desc=f"predict {model.name}", unit="track", leave=False)
    return {t.name: predict_track(model, t, policy=protocol.windowing, window=protocol.window, device=device,
                                  batch_size=batch_size) for t in iterator}


def targets_from_tracks(tracks: list[Track]) -> dict[str, SequenceTarget]:
    targets = {}
    for t in tracks:
        if t.joints3d_m is None:
            raise PosebenchError(f"track {t.name!r}: field 'joints3d_m' is missing, so it cannot be scored")
        vis2d = t.kp2d[..., 2] if t.kp2d is not None else None
        targets[t.name] = SequenceTarget(joints_lsp14_m=t.joints3d_m, valid=t.valid, vis2d=vis2d,
                                         vertices_m=t.vertices_m)
    return targets


def score_predictions(preds: dict[str, TrackPrediction], tracks: list[Track],
                      protocol: str | Protocol = "posebench") -> ScoreResult:
    protocol = _resolve_protocol(protocol)
    seq_preds = {name: SequencePrediction(joints_lsp14_m=p.joints_lsp14_m, covered=p.covered)
                 for name, p in preds.items()}
    return score(seq_preds, targets_from_tracks(tracks), protocol)


def evaluate(model: PoseModel, dataset_or_tracks, split: str = "test", protocol: str | Protocol = "posebench",
             device: str | None = None, batch_size: int = 32, progress: bool = False) -> ScoreResult:
    """Predict and score ``model`` on a dataset split (or an explicit list of tracks)."""
    tracks = dataset_or_tracks if isinstance(dataset_or_tracks, list) else dataset_or_tracks.tracks(split)
    if not tracks:
        raise PosebenchError(f"no tracks to evaluate in split {split!r}")
    preds = predict(model, tracks, protocol, device=device, batch_size=batch_size, progress=progress)
    return score_predictions(preds, tracks, protocol)
