"""VIBE/MEVA-preprocessed ``*_db.pt`` files (joblib dumps of dicts of per-frame arrays).

Schemas: docs/official_implementations.md §6.1. Every file is read through
:func:`posebench.data.safe_pickle.safe_joblib_load` (allow-list: numpy arrays and builtin
containers only). Rows are grouped by ``vid_name`` in file order (VIBE writes them
time-ordered), one :class:`Track` per ``vid_name``:

- ``features`` (T, 2048): VIBE's precomputed SPIN image features.
- ``kp2d`` (T, 14, 3): ``joints2D`` (pixels) reordered to LSP-14 by joint name and
  normalised to the crop as VIBE's loader does (scale 1.2 around ``bbox``, then
  ``2u/224 - 1``). The native-order normalised keypoints are kept in
  ``meta["kp2d_native"]`` (order ``meta["kp2d_native_joint_set"]``) for VIBE-style losses.
- ``joints3d_m`` (T, 14, 3) LSP-14, metres, from ``joints3D`` in the 49-joint SPIN order,
  14 common, 17 (MPI-INF-3DHP test / H36M) or 28 (MPI-INF-3DHP train) joints.
- ``pose_rotmat`` (T, 24, 3, 3) and ``betas`` (T, 10) where ``pose`` / ``shape`` exist;
  H36M's ``has_smpl`` is kept in ``meta["has_smpl"]``.
- ``valid``: ``valid`` (3DPW: campose_valid) or ``valid_i`` (MPI-INF-3DHP test), else all True.
- ``joints24_m`` and ``vertices_m`` are None: the files carry no SMPL joints.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from posebench.data.keypoints import convert_kps, normalize_kp2d_to_crop
from posebench.data.safe_pickle import safe_joblib_load
from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import DataFormatError
from posebench.paths import dataset_dir

from posebench_datasets.common import (as_array, as_strings, check_split, get_key, group_rows, require_file,
                                       smpl_pose_to_rotmat)

# keypoint order of a (N, K, 3) array by K; K = 17 is ambiguous and set per dataset
_ORDER_BY_K = {14: "common14", 49: "spin49", 28: "mpii3d28", 13: "pennaction13", 25: "insta25"}


class _VibeDb:
    """A dataset made of ``{split: file name}`` VIBE db files in one folder."""

    name: str
    folder: str
    fps: float
    files: dict[str, str]
    order17: str = "h36m17"
    kp2d_joint_set = "lsp14"
    licence: str = ""
    hint: str = ""

    def __init__(self, root=None):
        self.root = dataset_dir(self.folder, root)

    def splits(self) -> tuple[str, ...]:
        return tuple(self.files)

    def path(self, split: str) -> Path:
        check_split(self.name, split, self.splits())
        return self.root / self.files[split]

    def status(self) -> DatasetStatus:
        names = sorted(set(self.files.values()))
        found = [n for n in names if (self.root / n).is_file()]
        return DatasetStatus(self.root, found, [n for n in names if n not in found], self.licence, note=self.hint)

    def motion(self, split: str) -> list[MotionClip]:
        """SMPL poses of the split as motion clips (no root translation in these files: zeros)."""
        clips = []
        for tr in self.tracks(split):
            if tr.pose_rotmat is None:
                continue
            has = tr.meta.get("has_smpl")
            if has is not None and not np.all(has):
                continue  # H36M tracks with frames lacking SMPL fits are not usable as motion
            clips.append(MotionClip(tr.name, tr.fps, tr.pose_rotmat, np.zeros((len(tr), 3), np.float32),
                                    betas=tr.betas[0] if tr.betas is not None else None, subject=tr.name,
                                    meta={"source": tr.meta["source"]}))
        return clips

    def load(self, split: str) -> dict:
        path = require_file(self.path(split), self.name, self.hint)
        db = safe_joblib_load(path)
        if not isinstance(db, dict):
            raise DataFormatError(path, f"expected a dict of per-frame arrays, got {type(db).__name__}")
        return db

    def _order(self, k: int, path: Path, key: str) -> str:
        if k == 17:
            return self.order17
        if k not in _ORDER_BY_K:
            raise DataFormatError(path, f"unexpected joint count {k} (known: 13, 14, 17, 25, 28, 49)", field=key)
        return _ORDER_BY_K[k]

    def tracks(self, split: str) -> list[Track]:
        path = self.path(split)
        db = self.load(split)
        names = as_strings(get_key(db, "vid_name", path), path, "vid_name")
        n = names.shape[0]
        feats = as_array(get_key(db, "features", path), path, "features", shape=(n, None), dtype=np.float32)
        j2d = as_array(get_key(db, "joints2D", path), path, "joints2D", shape=(n, None, 3))
        bbox = as_array(get_key(db, "bbox", path), path, "bbox", shape=(n, 4))
        kp_order = self._order(j2d.shape[1], path, "joints2D")
        kp2d_native = normalize_kp2d_to_crop(j2d, bbox)
        kp2d = convert_kps(kp2d_native, kp_order, "lsp14")

        j3d = pose = betas = None
        if "joints3D" in db:
            j3d_raw = as_array(db["joints3D"], path, "joints3D", shape=(n, None, 3))
            j3d = convert_kps(j3d_raw, self._order(j3d_raw.shape[1], path, "joints3D"), "lsp14").astype(np.float32)
        if "pose" in db:
            pose = smpl_pose_to_rotmat(as_array(db["pose"], path, "pose", shape=(n, 72)), path, "pose")
        if "shape" in db:
            betas = as_array(db["shape"], path, "shape", shape=(n, 10), dtype=np.float32)
        valid_key = "valid" if "valid" in db else ("valid_i" if "valid_i" in db else None)
        valid = (np.ones(n, bool) if valid_key is None
                 else as_array(db[valid_key], path, valid_key, shape=(n,)).astype(bool))
        has_smpl = as_array(db["has_smpl"], path, "has_smpl", shape=(n,)).astype(bool) if "has_smpl" in db else None
        frame_id = np.asarray(db["frame_id"]) if "frame_id" in db else None
        if frame_id is not None and frame_id.shape[:1] != (n,):
            raise DataFormatError(path, f"expected {n} rows, got shape {frame_id.shape}", field="frame_id")

        tracks = []
        for vid, rows in group_rows(names):
            meta = {"source": str(path), "split": split, "rows": rows, "bbox": bbox[rows].astype(np.float32),
                    "kp2d_native": kp2d_native[rows], "kp2d_native_joint_set": kp_order}
            if frame_id is not None:
                meta["frame_id"] = frame_id[rows]
            if has_smpl is not None:
                meta["has_smpl"] = has_smpl[rows]
            tracks.append(Track(
                name=vid, fps=self.fps, features=feats[rows], kp2d=kp2d[rows],
                joints3d_m=None if j3d is None else j3d[rows],
                pose_rotmat=None if pose is None else pose[rows],
                betas=None if betas is None else betas[rows], valid=valid[rows], meta=meta,
            ))
        return tracks


class ThreeDPWVibe(_VibeDb):
    """VIBE's ``3dpw_{val,test}_db.pt`` (30 fps; VIBE's frame filter already applied, gaps possible)."""

    name, folder, fps = "3dpw-vibe", "3dpw-vibe", 30.0
    files = {"val": "3dpw_val_db.pt", "test": "3dpw_test_db.pt"}
    licence = "3DPW + VIBE data: non-commercial research licences"
    hint = "From VIBE's vibe_db (scripts/prepare_data.sh or the released vibe_data)."


class MpiInf3dhpVibe(_VibeDb):
    """VIBE's ``mpii3d_{train,val}_db.pt``; ``val`` is the TS1-TS6 test set, also exposed as ``test``.

    fps is nominal 25 (TS5/TS6 were recorded at 50 fps; VIBE does not resample).
    """

    name, folder, fps = "mpii3d", "mpii3d", 25.0
    files = {"train": "mpii3d_train_db.pt", "val": "mpii3d_val_db.pt", "test": "mpii3d_val_db.pt"}
    order17 = "mpii3d17"
    licence = "MPI-INF-3DHP: non-commercial research licence"
    hint = "From VIBE's preprocessing (lib/data_utils/mpii3d_utils.py) of MPI-INF-3DHP."


class H36mVibe(_VibeDb):
    """MEVA-format ``h36m_{train,test}_db.pt`` (25 fps, SMPL fits where ``has_smpl``)."""

    name, folder, fps = "h36m", "h36m", 25.0
    files = {"train": "h36m_train_db.pt", "test": "h36m_test_db.pt"}
    order17 = "h36m17"
    licence = "Human3.6M: non-commercial research licence"
    hint = "MEVA's h36m db files are not public; build them with MEVA's scripts/data_process/process_h36m.py."


class PennActionVibe(_VibeDb):
    """VIBE's ``pennaction_train_db.pt`` (2D only, 13 joints; LSP neck has no match: confidence 0)."""

    name, folder, fps = "pennaction", "pennaction", 30.0
    files = {"train": "pennaction_train_db.pt"}
    licence = "Penn Action: research use"
    hint = "From VIBE's preprocessing (lib/data_utils/penn_action_utils.py)."
