"""Real motion-capture clips as :class:`posebench.data.track.MotionClip` (SMPL-24, metres, fps).

:func:`iter_realdata_clips` walks ``shared/realdata`` through its manifest: BVH and ASF/AMC
files, each CMU trial once by default (see :mod:`.manifest` for which copy wins). HDM05 is not
a CMU trial and is skipped from the CMU lists; :func:`load_clip` still loads it.

The AMP ``.npy`` files are not loaded: they are pickled poselib ``SkeletonMotion`` objects, and
unpickling them would run arbitrary code from the file (and needs poselib classes); their
trials are CMU trials that the BVH/AMC files already cover.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from posebench.data.mocap.asfamc import read_amc, read_asf
from posebench.data.mocap.bvh import read_bvh
from posebench.data.mocap.manifest import MocapEntry, entry_for_path, load_manifest, unique_trials
from posebench.data.mocap.retarget import RetargetedMotion, retarget, source_from_asfamc, source_from_bvh
from posebench.data.track import MotionClip
from posebench.errors import DataFormatError

_KIND = {"bvh": "bvh", "amc": "asfamc"}


def _find_entry(path: Path) -> MocapEntry | None:
    """Manifest entry of a file inside a realdata folder (the nearest parent with manifest.json)."""
    for parent in path.resolve().parents:
        if (parent / "manifest.json").is_file():
            return entry_for_path(load_manifest(parent), path)
    return None


def retarget_entry(entry: MocapEntry, target_fps: float | None = 30.0, *, zero_length_branching: bool = False) -> RetargetedMotion:
    """Read and retarget one manifest entry (T-pose frame dropped, true fps, metres)."""
    if entry.kind == "bvh":
        motion = read_bvh(entry.path)
        src = source_from_bvh(motion, entry.unit_to_m, entry.scheme, fps=entry.fps)
        drop = synthetic_leading_frames(motion) if entry.tpose_frame0 else 0
        src.positions_m, src.world_rotmat = src.positions_m[drop:], src.world_rotmat[drop:]
    elif entry.kind == "amc":
        asf = read_asf(entry.asf_path)
        amc = read_amc(entry.path, asf)
        src = source_from_asfamc(asf, amc, entry.fps, zero_length_branching=zero_length_branching)
    else:
        raise DataFormatError(entry.path, f"kind {entry.kind!r} is not loadable (AMP npy files are pickles: skipped)", field="kind")
    return retarget(src, target_fps=target_fps, trial=entry.trial)


def synthetic_leading_frames(motion) -> int:
    """How many leading frames of a cgspeed file are converter T-poses (manifest ``tpose_frame0``).

    Frame 0 always; further frames while the root's rotation channels are exactly zero, which a
    real capture never gives (``przestr/07_12.bvh`` has two such frames: its root jumps ~2.4 m
    between frames 1 and 2)."""
    cols = [c for name, c in zip(motion.channels[0], motion.channel_index[0]) if name.endswith("rotation")]
    n = 1
    while n < motion.num_frames - 1 and not motion.frames[n, cols].any():
        n += 1
    return n


def load_clip(path, entry: MocapEntry | None = None, target_fps: float = 30.0, body_model_betas=None) -> MotionClip:
    """Load one BVH or AMC file as a MotionClip at ``target_fps``.

    ``entry`` defaults to the file's manifest entry (units, true fps, T-pose frame, skeleton).
    ``body_model_betas``: betas to store on the clip; None fits them to the subject's bone offsets
    with the built-in skeleton body model when its parameter file exists.
    """
    path = Path(path)
    if entry is None:
        entry = _find_entry(path)
        if entry is None:
            raise DataFormatError(path, "not listed in a realdata manifest.json: pass a MocapEntry", field="entry")
    rm = retarget_entry(entry, target_fps)
    betas = body_model_betas
    if betas is None:
        betas = _fit_builtin_betas(rm.rest_offsets_m)
    name = entry.trial or entry.path.stem
    return MotionClip(
        name=f"{name}:{entry.rel_path}",
        fps=rm.fps,
        pose_rotmat=rm.pose_rotmat.astype(np.float32),
        transl_m=rm.transl_m.astype(np.float32),
        betas=None if betas is None else np.asarray(betas, dtype=np.float32),
        subject=entry.subject,
        meta={
            "trial": entry.trial,
            "subject": entry.subject,
            "source_path": str(entry.path),
            "source": entry.source,
            "scheme": entry.scheme,
            "original_fps": entry.fps,
            "file_fps": entry.file_fps,
            "tpose_frame0_dropped": entry.tpose_frame0,
            "rest_offsets_m": rm.rest_offsets_m.astype(np.float32),
            "description": entry.description,
        },
    )


def _fit_builtin_betas(rest_offsets_m):
    from posebench.data.mocap.retarget import fit_betas

    from posebench.body_models.skeleton_model import DEFAULT_PARAMS_PATH, load_default_params

    if not DEFAULT_PARAMS_PATH.is_file():
        return None
    return fit_betas(rest_offsets_m, load_default_params())


def realdata_entries(realdata_dir, kinds=("bvh", "asfamc"), unique: bool = True, include_hdm05: bool = False) -> list[MocapEntry]:
    """Manifest entries to load: chosen kinds, CMU only unless ``include_hdm05``, each trial once."""
    entries = [e for e in load_manifest(realdata_dir) if _KIND.get(e.kind) in kinds]
    entries = [e for e in entries if e.trial or include_hdm05]
    return unique_trials(entries) if unique else sorted(entries, key=lambda e: e.rel_path)


def iter_realdata_clips(realdata_dir, kinds=("bvh", "asfamc"), unique_trials: bool = True,
                        target_fps: float = 30.0) -> Iterator[MotionClip]:
    """MotionClips of ``shared/realdata`` (meta: trial, subject, source path, original fps)."""
    for entry in realdata_entries(realdata_dir, kinds, unique_trials):
        yield load_clip(entry.path, entry=entry, target_fps=target_fps)
