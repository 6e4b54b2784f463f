"""Writers of schema-exact fixtures of the licensed formats (docs/official_implementations.md §6), for the loader tests.

Each writer produces the same keys, dtypes, shapes and container layout as the real files:

- 3DPW ``sequenceFiles/<split>/<seq>.pkl``: a Python-2 style pickle (protocol 2; ``str``
  and array buffers written as Python-2 byte strings, numpy globals under
  ``numpy.core.multiarray``), so it only reads back with ``encoding="latin1"``, as the
  real files.
- VIBE ``*_db.pt``: ``joblib.dump`` of a dict of per-frame numpy arrays.
- ``insta_train_db.h5``: HDF5 datasets, ``vid_name`` as bytes.
- AMASS ``*_poses.npz``: ``np.savez`` with ``gender`` a 0-d unicode array.

The motion written into them is supplied by the tests (real CMU motion retargeted to
SMPL-24, see :func:`real_motion_clips`); only the pure-format tests (pickle safety,
keypoint orders) use random numbers.
"""
from __future__ import annotations

import pickle
import struct
from pathlib import Path

import h5py
import joblib
import numpy as np
import pytest
import torch
from conftest import find_realdata_dir

from posebench.geometry.rotations import matrix_to_axis_angle

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- real motion

_CLIPS_CACHE: list | None = None


def real_motion_clips(n: int, min_frames: int):
    """``n`` real CMU clips (SMPL-24, 30 fps) with at least ``min_frames`` frames, or pytest.skip."""
    global _CLIPS_CACHE
    root = find_realdata_dir()
    if root is None:
        pytest.skip("real motion data not found (set POSEBENCH_REALDATA or provide ../shared/realdata)")
    try:
        from posebench.data.mocap.clips import iter_realdata_clips
    except ImportError as exc:
        pytest.skip(f"posebench.data.mocap.clips not available yet: {exc}")
    if _CLIPS_CACHE is None:
        _CLIPS_CACHE = []
        for clip in iter_realdata_clips(root):
            if len(clip) >= 60:
                _CLIPS_CACHE.append(clip)
            if len(_CLIPS_CACHE) >= 8:
                break
    clips = [c for c in _CLIPS_CACHE if len(c) >= min_frames][:n]
    if len(clips) < n:
        pytest.skip(f"fewer than {n} real clips with >= {min_frames} frames")
    return clips


def clip_axis_angle(clip, frames: int) -> np.ndarray:
    """(frames, 72) axis-angle of the first ``frames`` frames of a MotionClip."""
    R = torch.as_tensor(np.asarray(clip.pose_rotmat[:frames], dtype=np.float64))
    return matrix_to_axis_angle(R).reshape(frames, 72).numpy()


# ----------------------------------------------------------------------------- 3DPW pickles

class Python2StylePickler(pickle._Pickler):
    """Writes ``str``/``bytes`` as Python-2 byte strings and numpy's globals by their 1.x names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_string(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else bytes(obj)
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_string
    dispatch[bytes] = save_py2_string

    def save_global(self, obj, name=None):
        if obj is np._core.multiarray._reconstruct:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)


def dump_python2_pickle(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        Python2StylePickler(f, protocol=2).dump(obj)


def write_3dpw_sequence(path: Path, *, sequence: str, poses: list, trans: list, betas: list, genders: list,
                        poses2d: list, campose_valid: list, cam_poses: np.ndarray, cam_intrinsics: np.ndarray,
                        img_frame_ids: np.ndarray | None = None) -> Path:
    """One 3DPW sequence file: per-person lists of (F, 72), (F, 3), (>=10,), (F, 3, 18), (F,)."""
    F = cam_poses.shape[0]
    data = {
        "sequence": sequence,
        "genders": list(genders),
        "betas": [np.asarray(b, np.float64) for b in betas],
        "poses": [np.asarray(p, np.float64) for p in poses],
        "trans": [np.asarray(t, np.float64) for t in trans],
        "poses2d": [np.asarray(k, np.float64) for k in poses2d],
        "campose_valid": [np.asarray(v, np.int64) for v in campose_valid],
        "cam_poses": np.asarray(cam_poses, np.float64),
        "cam_intrinsics": np.asarray(cam_intrinsics, np.float64),
        "img_frame_ids": np.arange(F, dtype=np.int64) if img_frame_ids is None else img_frame_ids,
        # keys the loaders do not read, present in the real files
        "jointPositions": [np.zeros((F, 72)) for _ in poses],
        "v_template_clothed": [np.zeros((10, 3)) for _ in poses],
        "texture_maps": [np.zeros((2, 2, 3)) for _ in poses],
    }
    dump_python2_pickle(data, path)
    return path


# ----------------------------------------------------------------------------- VIBE db, insta, AMASS

def write_vibe_db(path: Path, db: dict) -> Path:
    """A VIBE ``*_db.pt``: ``joblib.dump`` of a dict of per-frame arrays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(db, path)
    return path


def write_insta_h5(path: Path, *, vid_name: np.ndarray, frame_id: np.ndarray, joints2D: np.ndarray,
                   features: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("vid_name", data=np.array([v.encode() if isinstance(v, str) else v for v in vid_name],
                                                   dtype="S"))
        f.create_dataset("frame_id", data=np.asarray(frame_id, np.int64))
        f.create_dataset("joints2D", data=np.asarray(joints2D, np.float32))
        f.create_dataset("features", data=np.asarray(features, np.float32))
    return path


def write_amass_npz(path: Path, *, poses156: np.ndarray, trans: np.ndarray, betas16: np.ndarray,
                    mocap_framerate: float, gender: str = "male") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    T = poses156.shape[0]
    np.savez(path, poses=np.asarray(poses156, np.float64), trans=np.asarray(trans, np.float64),
             betas=np.asarray(betas16, np.float64), dmpls=np.zeros((T, 8)), gender=np.array(gender),
             mocap_framerate=np.array(float(mocap_framerate)))
    return path


def smpl72_to_smplh156(pose72: np.ndarray) -> np.ndarray:
    """Place SMPL-24 axis-angle into SMPL-H 52 slots (0-22 body + left hand, 37 right hand)."""
    T = pose72.shape[0]
    out = np.zeros((T, 52, 3))
    aa = pose72.reshape(T, 24, 3)
    out[:, :23] = aa[:, :23]
    out[:, 37] = aa[:, 23]
    # fingers other than the first joint of each hand keep a small non-zero pose, as real data does
    out[:, 24:37] = 0.05
    out[:, 38:52] = -0.05
    return out.reshape(T, 156)
