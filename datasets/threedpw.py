"""3DPW, original release: ``<root>/sequenceFiles/{train,validation,test}/*.pkl``.

Each pickle (Python 2, read with ``encoding="latin1"`` through the allow-list unpickler)
holds one sequence with several people (schema: docs/official_implementations.md §6.2). One :class:`Track` per
person per sequence, at the native 30 fps, named ``{sequence}_{person}`` as VIBE does.

Ground truth, in the camera frame (x right, y down, z forward):

- ``pose_rotmat``: the world-frame SMPL pose with the root rotated into the camera,
  ``R_root <- R_cam R_root`` (docs/official_implementations.md §2.1); ``betas`` = the person's ``betas[:10]``.
- ``joints24_m`` / ``joints3d_m`` (LSP-14): from the body model ``get_body_model("auto")``
  (neutral, as VIBE/MEVA; the ``genders`` field goes to ``meta`` only) placed at its true
  camera position: ``X_cam = R_cam (X_world) + t_cam``. VIBE ignores translation (it
  pelvis-aligns); keeping it costs nothing and makes the joints usable for projection.
- ``kp2d``: ``poses2d`` (COCO-18) reordered to LSP-14 by name (neck and headtop have no
  COCO-18 match and get confidence 0, as in VIBE), confidence binarised at > 0.3, then
  normalised to VIBE's crop (scale 1.2) around the smoothed keypoint box of §2.1. Frames
  before the first / after the last frame with a box reuse the nearest box.
- ``valid`` = ``campose_valid``. VIBE's own frame filter (more than 6 visible joints) is
  ``meta["vibe_frame_ok"]``; protocols choose which to apply.
- ``features`` = None: the raw release has no image features (the ``3dpw-vibe`` dataset
  carries VIBE's precomputed ones).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from posebench.data.keypoints import convert_kps, normalize_kp2d_to_crop, smooth_bbox_from_keypoints
from posebench.data.safe_pickle import safe_load
from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import DataFormatError, ShapeError
from posebench.paths import dataset_dir

from posebench_datasets.common import (as_array, axis_angle_to_rotmat, body_joints, check_split, get_key,
                                       require_dir)

FOLDERS = {"train": "train", "val": "validation", "test": "test"}
VIS_THRESH = 0.3
MIN_VISIBLE = 6  # VIBE keeps frames with more than 6 visible joints


class ThreeDPW:
    name = "3dpw"
    fps = 30.0
    kp2d_joint_set = "lsp14"
    licence = "3DPW: non-commercial research licence, download it yourself"

    def __init__(self, root=None, body_model=None):
        self.root = dataset_dir("3dpw", root)
        self._body_model = body_model

    def splits(self) -> tuple[str, ...]:
        return tuple(FOLDERS)

    def _split_dir(self, split: str) -> Path:
        check_split(self.name, split if split != "validation" else "val", self.splits())
        folder = self.root / "sequenceFiles" / FOLDERS["val" if split == "validation" else split]
        return require_dir(folder, self.name, "Download 3DPW (sequenceFiles.zip) from virtualhumans.mpi-inf.mpg.de/3DPW.")

    def sequence_files(self, split: str) -> list[Path]:
        return sorted(self._split_dir(split).glob("*.pkl"))

    def tracks(self, split: str) -> list[Track]:
        tracks = []
        for path in self.sequence_files(split):
            seq = read_sequence(path)
            for pid in range(seq["num_people"]):
                tracks.append(self._person_track(seq, pid, path))
        return tracks

    def motion(self, split: str) -> list[MotionClip]:
        """World-frame SMPL motion of every person (``poses``, ``trans``, ``betas[:10]``), 30 fps."""
        clips = []
        for path in self.sequence_files(split):
            seq = read_sequence(path)
            for pid in range(seq["num_people"]):
                clips.append(MotionClip(
                    name=f"{seq['sequence']}_{pid}", fps=self.fps,
                    pose_rotmat=axis_angle_to_rotmat(seq["poses"][pid].reshape(-1, 24, 3)),
                    transl_m=seq["trans"][pid].astype(np.float32), betas=seq["betas"][pid].astype(np.float32),
                    subject=f"{seq['sequence']}_{pid}", meta={"gender": seq["genders"][pid], "source": str(path)},
                ))
        return clips

    def status(self) -> DatasetStatus:
        found = [s for s, f in FOLDERS.items() if (self.root / "sequenceFiles" / f).is_dir()]
        missing = [f"sequenceFiles/{FOLDERS[s]}" for s in FOLDERS if s not in found]
        return DatasetStatus(self.root, [f"sequenceFiles/{FOLDERS[s]}" for s in found], missing, self.licence,
                             note="no image features in the raw release (features=None); see 3dpw-vibe")

    def _person_track(self, seq: dict, pid: int, path: Path) -> Track:
        cam = seq["cam_poses"]  # (F, 4, 4) world -> camera
        R_cam, t_cam = cam[:, :3, :3].astype(np.float64), cam[:, :3, 3].astype(np.float64)
        rot_world = axis_angle_to_rotmat(seq["poses"][pid].reshape(-1, 24, 3)).astype(np.float64)
        rot_cam = rot_world.copy()
        rot_cam[:, 0] = R_cam @ rot_world[:, 0]
        F = rot_cam.shape[0]
        betas = np.repeat(seq["betas"][pid][None].astype(np.float32), F, axis=0)

        # Pose the body with the camera-frame root, then place it: the body model rotates
        # about its rest pelvis J0, so X_cam = FK_cam - J0 + R_cam (J0 + trans) + t_cam.
        rest = np.tile(np.eye(3, dtype=np.float32), (1, 24, 1, 1))
        j0 = body_joints(rest, betas[:1], None, self._body_model)[0][0, 0].astype(np.float64)  # (3,)
        transl = (R_cam @ (j0 + seq["trans"][pid])[..., None])[..., 0] + t_cam - j0
        joints24, lsp14, verts = body_joints(rot_cam.astype(np.float32), betas, transl.astype(np.float32),
                                             self._body_model)

        kp = np.transpose(seq["poses2d"][pid], (0, 2, 1))  # (F, 18, 3)
        kp = convert_kps(kp, "coco18", "lsp14")
        kp[..., 2] = (kp[..., 2] > VIS_THRESH).astype(kp.dtype)
        vibe_ok = kp[..., 2].sum(axis=1) > MIN_VISIBLE
        try:
            box, t0, t1 = smooth_bbox_from_keypoints(kp, vis_thresh=VIS_THRESH)
            bbox = np.concatenate([np.repeat(box[:1], t0, 0), box, np.repeat(box[-1:], F - t1, 0)], axis=0)
            kp2d = normalize_kp2d_to_crop(kp, bbox)
        except ShapeError:  # no visible keypoint in any frame: nothing to normalise
            bbox = np.zeros((F, 4), dtype=np.float32)
            kp2d = np.zeros_like(kp, dtype=np.float32)

        name = f"{seq['sequence']}_{pid}"
        return Track(
            name=name, fps=self.fps, features=None, kp2d=kp2d, joints3d_m=lsp14, joints24_m=joints24,
            pose_rotmat=rot_cam.astype(np.float32), betas=betas, vertices_m=verts,
            valid=seq["campose_valid"][pid].astype(bool),
            meta={"sequence": seq["sequence"], "person": pid, "gender": seq["genders"][pid], "source": str(path),
                  "img_frame_ids": seq["img_frame_ids"], "bbox": bbox.astype(np.float32),
                  "cam_intrinsics": seq["cam_intrinsics"], "vibe_frame_ok": vibe_ok,
                  "kp2d_px": kp.astype(np.float32)},
        )


def read_sequence(path: Path) -> dict:
    """Read and validate one 3DPW sequence pickle; errors name the file and key."""
    raw = safe_load(path, encoding="latin1")
    seq_name = get_key(raw, "sequence", path)
    if isinstance(seq_name, bytes):
        seq_name = seq_name.decode("latin1")
    if not isinstance(seq_name, str):
        raise DataFormatError(path, f"expected a string, got {type(seq_name).__name__}", field="sequence")
    poses = get_key(raw, "poses", path)
    if not isinstance(poses, (list, tuple)) or not poses:
        raise DataFormatError(path, "expected a non-empty list with one (F, 72) array per person", field="poses")
    n = len(poses)

    def per_person(key: str) -> list:
        value = get_key(raw, key, path)
        if not isinstance(value, (list, tuple)) or len(value) != n:
            got = len(value) if isinstance(value, (list, tuple)) else type(value).__name__
            raise DataFormatError(path, f"expected a list of {n} entries (one per person), got {got}", field=key)
        return list(value)

    img_frame_ids = as_array(get_key(raw, "img_frame_ids", path), path, "img_frame_ids", shape=(None,),
                             dtype=np.int64)
    F = img_frame_ids.shape[0]
    out = {
        "sequence": seq_name,
        "num_people": n,
        "img_frame_ids": img_frame_ids,
        "cam_poses": as_array(get_key(raw, "cam_poses", path), path, "cam_poses", shape=(F, 4, 4)),
        "cam_intrinsics": as_array(get_key(raw, "cam_intrinsics", path), path, "cam_intrinsics", shape=(3, 3)),
        "poses": [as_array(p, path, f"poses[{i}]", shape=(F, 72)) for i, p in enumerate(poses)],
        "trans": [as_array(t, path, f"trans[{i}]", shape=(F, 3)) for i, t in enumerate(per_person("trans"))],
        "poses2d": [as_array(k, path, f"poses2d[{i}]", shape=(F, 3, 18))
                    for i, k in enumerate(per_person("poses2d"))],
        "campose_valid": [as_array(v, path, f"campose_valid[{i}]", shape=(F,))
                          for i, v in enumerate(per_person("campose_valid"))],
        "genders": [str(g) for g in per_person("genders")],
    }
    betas = []
    for i, b in enumerate(per_person("betas")):
        b = as_array(b, path, f"betas[{i}]").reshape(-1)
        if b.shape[0] < 10:
            raise DataFormatError(path, f"expected at least 10 shape coefficients, got {b.shape[0]}",
                                  field=f"betas[{i}]")
        betas.append(b[:10])
    out["betas"] = betas
    return out
