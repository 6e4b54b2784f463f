"""AIST++ as a real-detection test set: a real detector's 2D keypoints in, multi-view 3D keypoints as GT.

Layout (the official ``aist_plusplus_final`` annotation release; ``POSEBENCH_DATA/aistpp`` or ``root``)::

    keypoints2d/<seq>.pkl   {"keypoints2d": (9, N, 17, 3) px + confidence, "det_scores": (9, N), "timestamps"}
    keypoints3d/<seq>.pkl   {"keypoints3d_optim": (N, 17, 3) world units (~cm), y up}
    cameras/setting*.json   9 OpenCV cameras: K, k1 distortion, Rodrigues rotation, translation (world units)
    cameras/mapping.txt     "<seq> <setting>" per line
    ignore_list.txt         optional: sequences to skip (as the release ships it)

Each sequence x view is one :class:`Track` (split ``test``), at 30 fps (every 2nd frame of the
60 fps release):

- input: the view's real COCO-17 detections, turned into LSP-14 as a detector pipeline derives
  them (:func:`posebench.data.detector_noise.derive_lsp14_detections`), then the shared box,
  normalisation and features (:mod:`posebench.data.observations`); frames without a person have
  confidence 0;
- GT ``joints3d_m``: ``keypoints3d_optim`` in the view's camera frame, world units x 0.01 -> metres,
  LSP-14 (neck = mid-shoulder, head top from the face points); only the 12 limb joints (LSP-14
  0-11, pelvis = mid-hip) are scored, under the protocol ``aistpp-v1``;
- time: the views are not perfectly synchronised. Each view's offset is *measured*: the 60 fps GT
  is shifted by delta in [-3, 3] frames (0.25 steps, then 0.05 steps around the best; linear
  interpolation in 3D), projected, and the delta with the smallest median 2D error against the
  confident detections is kept
  (``meta["time_offset_frames"]``: detection frame t shows the world at t + delta); the GT is
  then taken at t + delta. Frames whose shifted time falls outside the sequence are not valid.

The GT is triangulated from these same detections, so 2D errors measured against it are
underestimated by roughly 10%. AIST++ annotations (c) Google LLC, CC BY 4.0.
"""
from __future__ import annotations

import json
import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

from posebench.data.detector_noise import (
    COCO17_PAIRS,
    LIMB12_COCO,
    derive_lsp14,
    derive_lsp14_detections,
)
from posebench.data.noise_stats import NoiseTrack, gt_box_size
from posebench.data.observations import normalize_to_box, observe_keypoints
from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import DataFormatError, PosebenchError
from posebench.paths import dataset_dir

LICENCE = "AIST++ annotations (c) Google LLC, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"

# The two-sequence sample `posebench data fetch aistpp` gets: byte-identical files of the official
# release as committed in a public fork of google/aistplusplus_api (a slice of aist_plusplus_final).
_SAMPLE_URL = ("https://raw.githubusercontent.com/kotomiDu/aistplusplus_api/6487864346add63b80ce256a937906bae716d019/"
               "AIST_Dataset/annotation/")
SAMPLE_FILES = (
    ("cameras/mapping.txt", 51952, "ac09bf3ffc499e71a01dd90d9707f3c97f7c0dd9bb8a9ad9b3c7105a3d90ba89"),
    ("cameras/setting1.json", 3116, "6e5a8184a144ad2abe7f3f18e7fd69a9730abf2bbe7351c091809f287f93f81a"),
    ("cameras/setting4.json", 3124, "64163c53ec1a83467bc13270cce366431c012762ce5bcb0747bfc8c8d4140c1d"),
    ("keypoints2d/gBR_sBM_cAll_d06_mBR2_ch06.pkl", 1083199,
     "fc940bf2757ad8740c322b334848e3c84436b8df9707508b6d8c0bb466918d19"),
    ("keypoints2d/gJS_sBM_cAll_d03_mJS2_ch07.pkl", 1083199,
     "25b03571ec591027d51a5f182ae9eea1cc224934702f1cb36b536a3717556a50"),
    ("keypoints3d/gBR_sBM_cAll_d06_mBR2_ch06.pkl", 470267,
     "0fddd2d3a2d33fdc26524c084a7bac7c0eeca3d47e95bb3db22910e5871007dc"),
    ("keypoints3d/gJS_sBM_cAll_d03_mJS2_ch07.pkl", 470267,
     "75eaac175311816bd9c9ddcd8b96d024553ce34e3bfe293c848b1c13fdb14a9f"),
)


def fetch(root=None, mirror=None, progress: bool = True) -> list[Path]:
    """Put the two-sequence AIST++ sample under ``dataset_dir("aistpp", root)`` (sha256-checked).

    ``mirror``: a folder laid out like the release, or one holding it as ``aistpp/`` (``../shared/realdata``).
    Users with the full release point ``POSEBENCH_DATA`` at a folder whose ``aistpp/`` holds it instead.
    """
    from posebench.data.fetch import FileSpec, fetch_files

    if mirror is not None and "://" not in str(mirror) and (Path(mirror) / "aistpp" / "keypoints2d").is_dir():
        mirror = Path(mirror) / "aistpp"
    specs = [FileSpec(rel, sha, size, [_SAMPLE_URL + rel]) for rel, size, sha in SAMPLE_FILES]
    return fetch_files(specs, dataset_dir("aistpp", root), mirror=mirror, progress=progress)
NATIVE_FPS = 60.0
FPS = 30.0
UNIT_TO_M = 0.01
OFFSET_COARSE = np.round(np.arange(-3.0, 3.0001, 0.25), 4)  # then refined in 0.05 steps around the best
OFFSET_FINE_STEP = 0.05
OFFSET_MIN_CONF = 0.5
IMAGE_WH = (1920, 1080)


def rodrigues(rvec: np.ndarray) -> np.ndarray:
    """(3,) axis-angle -> (3, 3) rotation (OpenCV's Rodrigues)."""
    r = np.asarray(rvec, np.float64)
    theta = np.linalg.norm(r)
    if theta < 1e-12:
        return np.eye(3)
    k = r / theta
    Kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * Kx + (1 - np.cos(theta)) * Kx @ Kx


class AistCamera:
    """One AIST++ view: ``x_cam = R X + t`` (world units), k1 radial distortion, then K."""

    def __init__(self, d: dict, source: str):
        try:
            self.name = str(d["name"])
            self.K = np.asarray(d["matrix"], np.float64).reshape(3, 3)
            self.k1 = float(np.asarray(d["distortions"], np.float64).ravel()[0])
            self.R = rodrigues(np.asarray(d["rotation"], np.float64).ravel())
            self.t = np.asarray(d["translation"], np.float64).ravel()
            self.w, self.h = (int(v) for v in d.get("size", IMAGE_WH))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataFormatError(source, f"camera entry malformed ({exc})", field="cameras") from None

    def to_camera(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X) @ self.R.T + self.t

    def project_camera(self, x_cam: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points -> (..., 2) distorted pixels."""
        z = np.maximum(x_cam[..., 2:3], 1e-9)
        xy = x_cam[..., :2] / z
        r2 = (xy**2).sum(-1, keepdims=True)
        xy = xy * (1.0 + self.k1 * r2)
        return np.stack([self.K[0, 0] * xy[..., 0] + self.K[0, 2], self.K[1, 1] * xy[..., 1] + self.K[1, 2]], -1)

    def as_dict(self) -> dict:
        return {"name": self.name, "K": self.K.tolist(), "k1": self.k1, "R": self.R.tolist(), "t": self.t.tolist(),
                "w": self.w, "h": self.h, "units": "world units (~cm)"}


def _load_pickle(path: Path, keys: tuple[str, ...]) -> dict:
    # The release's pickles hold plain dicts of numpy arrays; the project's allow-list unpickler reads them.
    from posebench.data.safe_pickle import safe_load

    try:
        data = safe_load(path)
    except PosebenchError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable pickle is a data error naming the file
        raise DataFormatError(path, f"cannot read ({exc})") from None
    if not isinstance(data, dict):
        raise DataFormatError(path, "expected a dict")
    for key in keys:
        if key not in data:
            raise DataFormatError(path, "missing", field=key)
    return data


def measure_time_offset(det_60: np.ndarray, gt3d_60: np.ndarray, cam: AistCamera) -> float:
    """Frames delta (60 fps) such that detection frame t best matches the GT at t + delta (module docstring)."""
    conf = np.nan_to_num(det_60[..., 2])
    good = conf > OFFSET_MIN_CONF
    N = len(gt3d_60)
    frames = np.arange(N)
    cam_pts = cam.to_camera(gt3d_60)  # interpolating camera-frame points = transforming interpolated ones

    def median_error(delta: float) -> float:
        inside = ((frames + delta) >= 0) & ((frames + delta) <= N - 1)
        m = good & inside[:, None]
        if m.sum() < 50:
            return np.inf
        gt = cam.project_camera(interp_frames(cam_pts, frames + delta))
        return float(np.median(np.linalg.norm(det_60[..., :2] - gt, axis=-1)[m]))

    def search(candidates) -> float:
        errors = [median_error(float(d)) for d in candidates]
        return float(candidates[int(np.argmin(errors))])

    coarse = search(OFFSET_COARSE)
    fine = np.round(coarse + OFFSET_FINE_STEP * np.arange(-5, 6), 4)
    return search(fine[(fine >= OFFSET_COARSE[0]) & (fine <= OFFSET_COARSE[-1])])


def interp_frames(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of (N, ...) at fractional frames ``t`` (clamped to the ends)."""
    t = np.clip(np.asarray(t, np.float64), 0, len(x) - 1)
    i0 = np.floor(t).astype(int)
    i1 = np.minimum(i0 + 1, len(x) - 1)
    w = (t - i0).reshape((-1,) + (1,) * (x.ndim - 1))
    return (1 - w) * x[i0] + w * x[i1]


class AistPP:
    """AIST++ annotations as a :class:`posebench.data.track.PoseDataset` (module docstring).

    Args:
        root: the annotation folder (default ``POSEBENCH_DATA/aistpp``).
        sequences: restrict to these sequence names (default: every sequence with 2D and 3D files).
        views: restrict to these camera names (``c01`` ... ``c09``).
    """

    fps = FPS
    kp2d_joint_set = "lsp14"
    protocol = "aistpp-v1"

    def __init__(self, root=None, *, sequences=None, views=None):
        self.name = "aistpp"
        self.root_arg = root
        self.root = dataset_dir("aistpp", root)
        self.sequences_arg = tuple(sequences) if sequences else None
        self.views_arg = tuple(views) if views else None
        self._tracks: list[Track] | None = None

    # -- PoseDataset -----------------------------------------------------------------------
    def splits(self) -> tuple[str, ...]:
        return ("test",)

    def tracks(self, split: str) -> list[Track]:
        self._check_split(split)
        if self._tracks is None:
            self._tracks = [t for seq in self.sequences() for t in self._sequence_tracks(seq)]
        return self._tracks

    def motion(self, split: str) -> list[MotionClip]:
        self._check_split(split)
        return []

    def status(self) -> DatasetStatus:
        found = [str(p.relative_to(self.root)) for p in self._files()] if self.root.is_dir() else []
        missing = [] if self.sequences_or_empty() else ["keypoints2d/*.pkl + keypoints3d/*.pkl + cameras/"]
        note = (f"{len(self.sequences_or_empty())} sequence(s) x 9 views at {FPS:g} fps; point POSEBENCH_DATA at a "
                "folder whose aistpp/ holds the AIST++ annotation release (or pass root)")
        return DatasetStatus(root=self.root, found=found, missing=missing, licence=LICENCE, note=note)

    # -- extras ----------------------------------------------------------------------------
    def build_id(self) -> str:
        return "aistpp-real"

    def sequences(self) -> list[str]:
        seqs = self.sequences_or_empty()
        if not seqs:
            raise PosebenchError(f"aistpp: no sequence under {self.root} (need keypoints2d/<seq>.pkl, "
                                 f"keypoints3d/<seq>.pkl and cameras/mapping.txt); point POSEBENCH_DATA at the "
                                 f"folder holding aistpp/ or pass root")
        return seqs

    def sequences_or_empty(self) -> list[str]:
        kp2 = self.root / "keypoints2d"
        if not kp2.is_dir() or not (self.root / "cameras" / "mapping.txt").is_file():
            return []
        ignore = set()
        if (self.root / "ignore_list.txt").is_file():
            ignore = set((self.root / "ignore_list.txt").read_text().split())
        names = sorted(p.stem for p in kp2.glob("*.pkl") if (self.root / "keypoints3d" / p.name).is_file())
        names = [n for n in names if n not in ignore]
        if self.sequences_arg is not None:
            unknown = [s for s in self.sequences_arg if s not in names]
            if unknown:
                raise PosebenchError(f"aistpp: sequence(s) {unknown} not found under {self.root}")
            names = [n for n in names if n in self.sequences_arg]
        return names

    def noise_tracks(self, split: str = "test") -> list[NoiseTrack]:
        """The real detections against the reprojected GT, COCO-17, for ``posebench data noise-stats``."""
        out = []
        for tr in self.tracks(split):
            gt = tr.meta["gt_coco_px"]
            valid = np.repeat(tr.valid[:, None], 17, axis=1) & np.isfinite(gt).all(-1)
            out.append(NoiseTrack(det_px=tr.meta["det_coco_px"], gt_px=gt, gt_valid=valid,
                                  box_px=gt_box_size(gt, valid), fps=tr.fps, scored=LIMB12_COCO,
                                  pairs=COCO17_PAIRS, name=tr.name))
        return out

    def describe(self) -> dict:
        return {"build_id": self.build_id(), "preset": "real", "severity": None, "fps": FPS}

    # -- reading -----------------------------------------------------------------------------
    def _check_split(self, split: str) -> None:
        if split != "test":
            raise PosebenchError(f"aistpp: unknown split {split!r}; known: test")

    def _files(self):
        for sub in ("keypoints2d", "keypoints3d", "cameras"):
            d = self.root / sub
            if d.is_dir():
                yield from sorted(d.iterdir())

    def _cameras(self, seq: str) -> list[AistCamera]:
        mapping = self.root / "cameras" / "mapping.txt"
        setting = _mapping(str(mapping)).get(seq)
        if setting is None:
            raise DataFormatError(mapping, f"no camera setting for sequence {seq!r}")
        path = self.root / "cameras" / f"{setting}.json"
        try:
            entries = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DataFormatError(path, f"cannot read ({exc})") from None
        return [AistCamera(d, str(path)) for d in entries]

    def _sequence_tracks(self, seq: str) -> list[Track]:
        p2 = self.root / "keypoints2d" / f"{seq}.pkl"
        p3 = self.root / "keypoints3d" / f"{seq}.pkl"
        kp2 = _load_pickle(p2, ("keypoints2d",))
        kp3 = _load_pickle(p3, ("keypoints3d_optim",))
        det_all = np.asarray(kp2["keypoints2d"], np.float64)
        gt3d = np.asarray(kp3["keypoints3d_optim"], np.float64)
        cams = self._cameras(seq)
        if det_all.ndim != 4 or det_all.shape[2:] != (17, 3) or det_all.shape[0] != len(cams):
            raise DataFormatError(p2, f"expected ({len(cams)}, N, 17, 3), got {det_all.shape}", field="keypoints2d")
        if gt3d.shape != (det_all.shape[1], 17, 3):
            raise DataFormatError(p3, f"expected ({det_all.shape[1]}, 17, 3), got {gt3d.shape}",
                                  field="keypoints3d_optim")
        N = len(gt3d)
        out = []
        for v, cam in enumerate(cams):
            if self.views_arg is not None and cam.name not in self.views_arg:
                continue
            det60 = det_all[v]
            delta = measure_time_offset(det60, gt3d, cam)
            frames60 = np.arange(0, N, int(NATIVE_FPS // FPS))
            t_gt = frames60 + delta
            valid = (t_gt >= 0) & (t_gt <= N - 1)
            gt_cam = cam.to_camera(interp_frames(gt3d, t_gt))  # (T, 17, 3) world units
            gt_px = cam.project_camera(gt_cam)
            det = det60[frames60].copy()
            person = np.isfinite(det).all(axis=(1, 2))
            det[~person] = 0.0  # no person: every keypoint missing
            det_lsp = derive_lsp14_detections(det)
            name = f"{seq}_{cam.name}"
            obs = observe_keypoints(det_lsp, (cam.w, cam.h), name=name)
            gt_lsp_px = derive_lsp14(gt_px)
            gt_lsp_kp = np.concatenate([gt_lsp_px, np.ones(gt_lsp_px.shape[:2] + (1,))], -1).astype(np.float32)
            joints3d = derive_lsp14(gt_cam * UNIT_TO_M).astype(np.float32)
            meta = {"sequence": seq, "camera": cam.as_dict(), "view": cam.name, "split": "test",
                    "time_offset_frames": delta, "time_offset_fps": NATIVE_FPS, "build_id": self.build_id(),
                    "preset": "real", "bbox_px": obs.bbox_px, "kp2d_px": obs.kp2d_px,
                    "gt_kp2d_px": gt_lsp_kp, "gt_kp2d": normalize_to_box(gt_lsp_kp, obs.bbox_px),
                    "det_coco_px": det.astype(np.float32), "gt_coco_px": gt_px.astype(np.float32),
                    "person_detected": person, "image_wh": (cam.w, cam.h), "scored_joints": list(range(12)),
                    "licence": LICENCE}
            out.append(Track(name=name, fps=FPS, features=obs.features, kp2d=obs.kp2d_norm, joints3d_m=joints3d,
                             valid=valid & person, meta=meta))
        return out


@lru_cache(maxsize=8)
def _mapping(path: str) -> dict[str, str]:
    out = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = parts[1]
    return out
