"""AMASS motion (SMPL-H ``.npz``) and VIBE's ``amass_db.pt``, for motion priors only.

Split ``train``: every ``<root>/**/*.npz`` except ``*shape.npz`` (docs/official_implementations.md §6.3). Keys
``betas``, ``dmpls``, ``gender`` (0-d unicode array), ``mocap_framerate``, ``poses``
(T, 156) = 52 SMPL-H joints x 3, ``trans`` (T, 3). Read with :func:`posebench.data.safe_npz.load_npz`.
As VIBE does (``amass_utils.py``, docs/official_implementations.md §4.1):

- SMPL-H joints 0-22 and 37 become the 24 SMPL joints (22 = left hand, 37 = right hand);
- frames are subsampled with step ``int(mocap_framerate // 25)`` (120 fps -> every 4th
  frame = 30 fps, 100 -> 25 fps, 60 -> 30 fps); the clip's ``fps`` is the resulting
  ``mocap_framerate / step`` (VIBE does not record it);
- sequences shorter than 60 frames after subsampling are skipped.

Split ``vibe_db``: VIBE's ``amass_db.pt`` (``theta`` (N, 82) = [72 pose | 10 betas],
``vid_name`` (N,)), grouped by ``vid_name`` in file order; no translation in it (zeros),
fps 30 nominal (mostly 30, 25 for 100 fps sources).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from posebench.data.safe_npz import load_npz
from posebench.data.safe_pickle import safe_joblib_load
from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import DataFormatError
from posebench.paths import dataset_dir

from posebench_datasets.common import (DatasetFilesMissing, as_array, as_strings, axis_angle_to_rotmat,
                                       check_split, get_key, group_rows, require_file)

SMPLH_TO_SMPL = tuple(range(23)) + (37,)
MIN_FRAMES = 60
TARGET_FPS = 25
VIBE_DB = "amass_db.pt"


def subsample_step(mocap_framerate: float) -> int:
    """VIBE's frame step ``int(framerate // 25)`` (at least 1)."""
    return max(1, int(mocap_framerate // TARGET_FPS))


class Amass:
    name = "amass"
    fps = 30.0  # nominal: each clip carries its own fps after subsampling
    kp2d_joint_set = "lsp14"
    licence = "AMASS: non-commercial research licence"

    def __init__(self, root=None):
        self.root = dataset_dir("amass", root)

    def splits(self) -> tuple[str, ...]:
        return ("train", "vibe_db")

    def npz_files(self) -> list[Path]:
        if not self.root.is_dir():
            raise DatasetFilesMissing(f"amass: expected folder {self.root} with AMASS SMPL-H .npz files "
                                      "(<dataset>/<subject>/*_poses.npz) was not found. Download AMASS "
                                      "(SMPL+H G) from amass.is.tue.mpg.de; set the root with --root or POSEBENCH_DATA.")
        return sorted(p for p in self.root.rglob("*.npz") if not p.name.endswith("shape.npz"))

    def status(self) -> DatasetStatus:
        has_npz = self.root.is_dir() and any(self.npz_files())
        found = (["*.npz"] if has_npz else []) + ([VIBE_DB] if (self.root / VIBE_DB).is_file() else [])
        missing = [x for x in ("*.npz", VIBE_DB) if x not in found]
        return DatasetStatus(self.root, found, missing, self.licence, note="motion only (no observations)")

    def tracks(self, split: str) -> list[Track]:
        check_split(self.name, split, self.splits())
        return []  # motion capture only: nothing to observe

    def motion(self, split: str) -> list[MotionClip]:
        check_split(self.name, split, self.splits())
        if split == "vibe_db":
            return read_vibe_amass_db(require_file(self.root / VIBE_DB, self.name, "From VIBE's data (amass_db.pt)."))
        files = self.npz_files()
        if not files:
            raise DatasetFilesMissing(f"amass: no .npz files under {self.root}")
        clips = []
        for path in files:
            clip = read_amass_npz(path, name=str(path.relative_to(self.root).with_suffix("")))
            if clip is not None:
                clips.append(clip)
        return clips


def read_amass_npz(path: Path, name: str | None = None) -> MotionClip | None:
    """One AMASS SMPL-H file -> SMPL-24 clip, subsampled as VIBE does; None if < 60 frames."""
    data = load_npz(path)  # plain arrays only; sizes checked before allocation
    poses = as_array(get_key(data, "poses", path), path, "poses", shape=(None, 156))
    T = poses.shape[0]
    trans = as_array(get_key(data, "trans", path), path, "trans", shape=(T, 3))
    rate = float(as_array(get_key(data, "mocap_framerate", path), path, "mocap_framerate"))
    if not rate > 0:
        raise DataFormatError(path, f"must be > 0, got {rate}", field="mocap_framerate")
    betas = as_array(get_key(data, "betas", path), path, "betas").reshape(-1)
    if betas.shape[0] < 10:
        raise DataFormatError(path, f"expected at least 10 values, got {betas.shape[0]}", field="betas")
    gender = data.get("gender", np.array(""))
    gender = gender.item() if isinstance(gender, np.ndarray) and gender.ndim == 0 else gender
    gender = gender.decode("latin1") if isinstance(gender, bytes) else str(gender)

    step = subsample_step(rate)
    keep = np.arange(0, T, step)
    if keep.shape[0] < MIN_FRAMES:
        return None
    aa = poses[keep].reshape(-1, 52, 3)[:, SMPLH_TO_SMPL]
    return MotionClip(
        name=name or path.stem, fps=rate / step, pose_rotmat=axis_angle_to_rotmat(aa),
        transl_m=trans[keep].astype(np.float32), betas=betas[:10].astype(np.float32),
        subject=path.parent.name,
        meta={"source": str(path), "gender": gender, "mocap_framerate": rate, "step": step,
              "note": "SMPL-H betas truncated to 10; SMPL-H hand joints 22/37 used as SMPL hands"},
    )


def read_vibe_amass_db(path: Path) -> list[MotionClip]:
    db = safe_joblib_load(path)
    names = as_strings(get_key(db, "vid_name", path), path, "vid_name")
    theta = as_array(get_key(db, "theta", path), path, "theta", shape=(names.shape[0], 82))
    clips = []
    for vid, rows in group_rows(names):
        th = theta[rows]
        clips.append(MotionClip(
            name=vid, fps=30.0, pose_rotmat=axis_angle_to_rotmat(th[:, :72].reshape(-1, 24, 3)),
            transl_m=np.zeros((len(rows), 3), np.float32), betas=th[0, 72:82].astype(np.float32), subject=vid,
            meta={"source": str(path), "rows": rows, "note": "no translation in amass_db.pt; fps nominal"},
        ))
    return clips
