"""The shipped CMU benchmark: real CMU motion capture seen by synthetic cameras through a simulated detector.

What it is (the definition lives in three modules):

- :mod:`posebench_datasets.cmu_trials`: which CMU trials (one file each, sha256-pinned) and the
  split by subject;
- :mod:`posebench_datasets.cmu_observations`: cameras, projection, detector noise, bounding
  box, keypoint normalisation and the 73-d per-frame ``features`` every model reads;
- this module: loads each trial at 30 fps (SMPL-24 local rotations, root translation), fits
  the subject's betas of the built-in skeleton body model to the trial's rest skeleton, poses
  the body, and for each of ``cameras_per_clip`` seeded cameras makes one :class:`Track` of the
  whole trial (trials are at most ~60 s).

Ground truth is in the camera frame (OpenCV axes): ``joints3d_m`` LSP-14, ``joints24_m``,
``pose_rotmat`` with the root rotation ``R_cam @ R_root``; ``meta["transl_cam_m"]`` re-poses the
body model exactly (``body(betas, pose_rotmat, transl_cam_m)`` gives ``joints24_m``).
``meta["gt_kp2d"]`` holds the noise-free keypoints normalised with the same box as ``kp2d``.

Two versions of the benchmark (``version``): **v2** (default) sees the body through the
detector model of :mod:`posebench.data.detector_noise`: COCO-17 keypoints placed on the body by
its offset model, projected, given the errors of a named ``preset`` (``aistpp`` default,
``h36m-hrnet``, ``gt``) at ``severity``, and turned into LSP-14 as a detector pipeline does
(COCO hips, neck from the shoulders, head top from the face). ``meta["gt_kp2d"]`` stays the
projection of the scored LSP-14 joints (the clean 2D training target). **v1** is the original
white-noise model of :mod:`posebench_datasets.cmu_observations`, kept bit-identical so old
results stay reproducible (``version="v1"``; the ``cmu-v1`` / ``cmu-quick-v1`` names).

The build runs once per (version, preset, trial list, severity, seed, cameras, code version, body-model
parameters) and is cached atomically as ``POSEBENCH_CACHE/cmu/<build-id>.npz``; later uses
only read the cache, so the raw files are needed only for the first build. Raw files live
under ``posebench.paths.dataset_dir("cmu", root)``; :func:`fetch` (``posebench data fetch cmu
[--mirror ../shared/realdata]``) puts them there.
"""
from __future__ import annotations

import hashlib
import json
import time
import zlib
from pathlib import Path

import numpy as np

from posebench.data import detector_noise as dn
from posebench.data.fetch import FileSpec, fetch_files, is_present, sha256_file
from posebench.data.noise_stats import NoiseTrack, gt_box_size
from posebench.data.safe_npz import load_npz
from posebench.data.track import DatasetStatus, MotionClip, Track
from posebench.errors import PosebenchError
from posebench.io import atomic_path
from posebench.paths import cache_dir, dataset_dir
from posebench_datasets import cmu_observations as obs
from posebench_datasets.cmu_trials import LICENCE, SPLITS, CmuTrial, trials_for

# Bump when anything that changes the built arrays changes (loading, fitting, observation model).
CODE_VERSION = "cmu-2"  # v1 builds: never change (v1 stays bit-identical)
CODE_VERSION_V2 = "cmu-v2-1"
VERSIONS = ("v1", "v2")
DEFAULT_VERSION = "v2"
FPS = 30.0
SUPERVISION_2D = "gt_projection"  # what 2D losses target (posebench.training.windows), for results


def all_specs(subset: str = "full") -> list[FileSpec]:
    """The raw files of the benchmark (each once; ASF skeletons are shared between trials)."""
    seen: dict[str, FileSpec] = {}
    for split in SPLITS:
        for trial in trials_for(split, subset):
            for spec in trial.specs:
                seen.setdefault(spec.relpath, spec)
    return list(seen.values())


def fetch(root=None, mirror=None, progress: bool = True, subset: str = "full") -> list[Path]:
    """Put the benchmark's raw files under ``dataset_dir("cmu", root)``; sha256-checked, resumable.

    ``mirror``: a folder or URL prefix laid out like ``shared/realdata``; without it the files
    are downloaded from the public GitHub repositories that ship them.
    """
    return fetch_files(all_specs(subset), dataset_dir("cmu", root), mirror=mirror, progress=progress)


def _fetch_command(root) -> str:
    cmd = "posebench data fetch cmu"
    if root is not None:
        cmd += f" --root {root}"
    return cmd + " [--mirror ../shared/realdata]"


def _trial_seed(seed: int, trial: str, camera: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed), zlib.crc32(trial.encode()), int(camera)])


def _body_params_digest() -> str:
    """Part of the build id: the GT changes when the built-in body model's parameters change."""
    from posebench.body_models.skeleton_model import DEFAULT_PARAMS_PATH

    path = Path(DEFAULT_PARAMS_PATH)
    return sha256_file(path)[:16] if path.is_file() else "no-params-file"


class CmuBenchmark:
    """The CMU benchmark as a :class:`posebench.data.track.PoseDataset`.

    Args:
        root: folder with the raw files (default ``POSEBENCH_DATA/cmu``).
        severity: detector-noise severity in [0, 2] (1 = the documented defaults).
        seed: seeds the cameras and the noise.
        cameras_per_clip: tracks per trial, one per static camera.
        mirror: when given, missing raw files are fetched from it on first use.
        subset: "full" (the benchmark) or "quick" (a small fixed subset for tests/quick runs).
        version: "v2" (default: the detector model of posebench.data.detector_noise) or "v1" (the
            original white-noise model, bit-identical to the first release).
        preset: v2 detector preset (``aistpp`` default, ``h36m-hrnet``, ``gt``); v1 has none.
        camera_motion: v2 only: ``static`` (default), ``pan`` (slow yaw sweep) or ``handheld``
            (wander + tremor); the GT is in the moving camera's frame, frame by frame.
    """

    fps = FPS
    kp2d_joint_set = "lsp14"

    def __init__(self, root=None, *, severity: float = 1.0, seed: int = 0, cameras_per_clip: int = 2,
                 mirror=None, subset: str = "full", version: str = DEFAULT_VERSION, preset: str | None = None,
                 camera_motion: str = "static"):
        if not 0.0 <= float(severity) <= 2.0:
            raise PosebenchError(f"cmu: severity must be in [0, 2], got {severity}")
        if subset not in ("full", "quick"):
            raise PosebenchError(f"cmu: unknown subset {subset!r}; known: full, quick")
        if int(cameras_per_clip) < 1:
            raise PosebenchError(f"cmu: cameras_per_clip must be >= 1, got {cameras_per_clip}")
        if version not in VERSIONS:
            raise PosebenchError(f"cmu: unknown version {version!r}; known: {', '.join(VERSIONS)}")
        if version == "v1" and preset is not None:
            raise PosebenchError("cmu: version v1 has no detector presets (its noise model is fixed); drop 'preset'")
        if camera_motion not in obs.CAMERA_MOTIONS:
            raise PosebenchError(f"cmu: unknown camera_motion {camera_motion!r}; known: {', '.join(obs.CAMERA_MOTIONS)}")
        if version == "v1" and camera_motion != "static":
            raise PosebenchError("cmu: version v1 has static cameras only")
        self.camera_motion = camera_motion
        self.version = version
        self.preset = None if version == "v1" else dn.get_preset(preset or dn.DEFAULT_PRESET).name
        self.name = ("cmu" if subset == "full" else "cmu-quick") + ("-v1" if version == "v1" else "")
        self.root_arg = root
        self.root = dataset_dir("cmu", root)
        self.severity = float(severity)
        self.seed = int(seed)
        self.cameras_per_clip = int(cameras_per_clip)
        self.mirror = mirror
        self.subset = subset
        self._data: dict | None = None
        self.last_build_seconds: float | None = None
        self.loaded_from_cache: bool | None = None

    # -- PoseDataset -------------------------------------------------------------------------
    def splits(self) -> tuple[str, ...]:
        return tuple(SPLITS)

    def tracks(self, split: str) -> list[Track]:
        data = self._load()
        self._check_split(split)
        return [self._track(data, i) for i, tr in enumerate(data["meta"]["tracks"])
                if data["meta"]["trials"][tr["trial_index"]]["split"] == split]

    def motion(self, split: str) -> list[MotionClip]:
        data = self._load()
        self._check_split(split)
        out = []
        for i, info in enumerate(data["meta"]["trials"]):
            if info["split"] != split:
                continue
            a, b = data["trial_offsets"][i], data["trial_offsets"][i + 1]
            out.append(MotionClip(name=info["trial"], fps=FPS, pose_rotmat=data["rotmat_local"][a:b],
                                  transl_m=data["transl_m"][a:b], betas=data["betas"][i], subject=info["subject"],
                                  meta={"trial": info["trial"], "description": info["description"],
                                        "source_file": info["file"], "body_model": "skeleton"}))
        return out

    def status(self) -> DatasetStatus:
        found, missing = [], []
        for spec in all_specs(self.subset):
            path = self.root / spec.relpath
            (found if path.is_file() and path.stat().st_size == spec.size else missing).append(spec.relpath)
        note = f"{len(found)}/{len(found) + len(missing)} raw files; fetch with `{_fetch_command(self.root_arg)}`"
        if self.cache_path().is_file():
            note += f"; built cache {self.cache_path()}"
        return DatasetStatus(root=self.root, found=found, missing=missing, licence=LICENCE, note=note)

    # -- extras ------------------------------------------------------------------------------
    def summary(self):
        """pandas DataFrame: trials, tracks, frames (summed over tracks) and subjects per split."""
        import pandas as pd

        data = self._load()
        rows = []
        for split in SPLITS:
            trials = [i for i, t in enumerate(data["meta"]["trials"]) if t["split"] == split]
            tracks = [t for t in data["meta"]["tracks"] if t["trial_index"] in set(trials)]
            frames = sum(int(data["track_offsets"][t["index"] + 1] - data["track_offsets"][t["index"]])
                         for t in tracks)
            subjects = sorted({data["meta"]["trials"][i]["subject"] for i in trials}, key=int)
            rows.append({"split": split, "subjects": len(subjects), "trials": len(trials), "tracks": len(tracks),
                         "frames": frames, "seconds": frames / FPS, "subject_ids": " ".join(subjects)})
        return pd.DataFrame(rows).set_index("split")

    def build_id(self) -> str:
        """Hash of everything the built arrays depend on (v1 ids are unchanged from the first release)."""
        trials = [(t.trial, t.file.sha256) for s in SPLITS for t in trials_for(s, self.subset)]
        key = {"trials": trials, "splits": SPLITS, "severity": self.severity, "seed": self.seed,
               "cameras": self.cameras_per_clip, "code": CODE_VERSION, "body": _body_params_digest()}
        if self.version == "v1":
            return f"{self.subset}-{hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]}"
        key.update(code=CODE_VERSION_V2, preset=self.preset, preset_params=repr(dn.get_preset(self.preset)))
        motion = ""
        if self.camera_motion != "static":  # static ids stay as they were before moving cameras existed
            key["camera_motion"] = self.camera_motion
            motion = f"{self.camera_motion}-"
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        return f"{self.subset}-v2-{self.preset}-{motion}{digest}"

    def describe(self) -> dict:
        """What results.json should record about this benchmark build."""
        return {"dataset": self.name, "build_id": self.build_id(), "benchmark_version": self.version,
                "preset": self.preset if self.version == "v2" else "v1-white", "severity": self.severity,
                "camera_motion": self.camera_motion,
                "seed": self.seed, "fps": FPS, "supervision_2d": SUPERVISION_2D}

    def file_hashes(self) -> dict[str, str]:
        """sha256 of every raw file the benchmark is built from (committed, so no file is read)."""
        return {spec.relpath: spec.sha256 for spec in all_specs(self.subset)}

    def noise_tracks(self, split: str = "test") -> list[NoiseTrack]:
        """Detections against the noise-free projections of the detector's own keypoints, for noise-stats.

        v2: COCO-17 (the 12 limb joints scored); v1: LSP-14 (its detector reports the scored joints).
        """
        data = self._load()
        self._check_split(split)
        out = []
        for i, tr in enumerate(data["meta"]["tracks"]):
            if data["meta"]["trials"][tr["trial_index"]]["split"] != split:
                continue
            a, b = data["track_offsets"][i], data["track_offsets"][i + 1]
            if self.version == "v2":
                det, gt = data["det_coco_px"][a:b], data["gt_coco_px"][a:b]
                scored, pairs = dn.LIMB12_COCO, dn.COCO17_PAIRS
            else:
                det, gt = data["kp2d_px"][a:b], data["gt_kp2d_px"][a:b]
                scored, pairs = tuple(range(12)), ((5, 0), (4, 1), (3, 2), (11, 6), (10, 7), (9, 8))
            valid = gt[..., 2] > 0
            out.append(NoiseTrack(det_px=det, gt_px=gt[..., :2], gt_valid=valid, box_px=gt_box_size(gt[..., :2], valid),
                                  fps=FPS, scored=scored, pairs=pairs, name=tr["name"]))
        return out

    def cache_path(self) -> Path:
        return cache_dir() / "cmu" / f"{self.build_id()}.npz"

    # -- building ----------------------------------------------------------------------------
    def _check_split(self, split: str) -> None:
        if split not in SPLITS:
            raise PosebenchError(f"cmu: unknown split {split!r}; known: {', '.join(SPLITS)}")

    def _load(self) -> dict:
        if self._data is not None:
            return self._data
        path = self.cache_path()
        if path.is_file():
            self.loaded_from_cache = True
            self._data = _read_cache(path)
            return self._data
        self.loaded_from_cache = False
        start = time.perf_counter()
        arrays = self._build()
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        self.last_build_seconds = time.perf_counter() - start
        self._data = _read_cache(path)
        return self._data

    def _ensure_raw_files(self) -> None:
        specs = all_specs(self.subset)
        if self.mirror is not None:
            fetch_files(specs, self.root, mirror=self.mirror, progress=False)  # sha256-checked
            return
        missing = [s.relpath for s in specs if not (self.root / s.relpath).is_file()]
        if missing:
            raise PosebenchError(
                f"cmu: {len(missing)} raw file(s) missing under {self.root} (e.g. {missing[0]}); "
                f"fetch them with `{_fetch_command(self.root_arg)}`")
        wrong = [s.relpath for s in specs if not is_present(self.root / s.relpath, s)]
        if wrong:
            raise PosebenchError(f"cmu: {len(wrong)} raw file(s) under {self.root} do not match their sha256 "
                                 f"(e.g. {wrong[0]}); delete them and run `{_fetch_command(self.root_arg)}`")

    def _build(self) -> dict:
        """Load, pose, observe every trial; return the flat arrays the cache stores."""
        self._ensure_raw_files()
        from posebench.body_models import get_body_model

        body = get_body_model("skeleton")
        trial_infos, track_infos = [], []
        per_trial: dict[str, list] = {k: [] for k in ("rotmat_local", "transl_m", "joints24_world_m", "lsp14_world_m")}
        track_keys = ("kp2d_px", "gt_kp2d_px", "bbox", "outlier", "swapped")
        if self.version == "v2":
            track_keys += ("det_coco_px", "gt_coco_px")
        if self.camera_motion != "static":
            track_keys += ("camera_delta_R",)
        per_track: dict[str, list] = {k: [] for k in track_keys}
        betas_all, pelvis_all, cameras = [], [], []
        for split in SPLITS:
            for trial in trials_for(split, self.subset):
                motion = build_motion(trial, self.root, body, with_coco=self.version == "v2")
                ti = len(trial_infos)
                trial_infos.append({"trial": trial.trial, "subject": trial.subject, "split": split,
                                    "description": trial.description, "file": trial.file.relpath})
                for key in per_trial:
                    per_trial[key].append(motion[key])
                betas_all.append(motion["betas"])
                pelvis_all.append(motion["pelvis_rest_m"])
                for c in range(self.cameras_per_clip):
                    rng = np.random.default_rng(_trial_seed(self.seed, trial.trial, c))
                    cam = obs.sample_camera(rng, motion["joints24_world_m"], self.severity)
                    if self.version == "v1":
                        view = observe(cam, motion["lsp14_world_m"], rng, self.severity)
                    else:
                        delta = None
                        if self.camera_motion != "static":  # its own stream: static builds are unchanged
                            motion_rng = np.random.default_rng(_trial_seed(self.seed, trial.trial, 1000 + c))
                            delta = obs.camera_motion(motion_rng, len(motion["lsp14_world_m"]), FPS,
                                                      self.camera_motion)
                        view = observe_v2(cam, motion["lsp14_world_m"], motion["coco17_world_m"], rng,
                                          self.preset, self.severity, delta)
                    track_infos.append({"index": len(track_infos), "trial_index": ti, "camera_index": c,
                                        "name": f"{trial.trial}_cam{c}"})
                    cameras.append(cam)
                    for key in per_track:
                        per_track[key].append(view[key])
        lengths = [len(x) for x in per_trial["rotmat_local"]]
        track_lengths = [len(x) for x in per_track["kp2d_px"]]
        arrays = {key: np.concatenate(v).astype(np.float32 if v[0].dtype != bool else bool)
                  for key, v in {**per_trial, **per_track}.items()}
        arrays["betas"] = np.stack(betas_all).astype(np.float32)
        arrays["pelvis_rest_m"] = np.stack(pelvis_all).astype(np.float32)
        arrays["trial_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        arrays["track_offsets"] = np.concatenate([[0], np.cumsum(track_lengths)]).astype(np.int64)
        meta = {"trials": trial_infos, "tracks": track_infos, "cameras": [c.as_dict() for c in cameras],
                **({"camera_motion": self.camera_motion} if self.camera_motion != "static" else {}),
                "build_id": self.build_id(), "severity": self.severity, "seed": self.seed,
                "cameras_per_clip": self.cameras_per_clip, "subset": self.subset, "code_version": CODE_VERSION}
        if self.version == "v2":
            meta.update(code_version=CODE_VERSION_V2, benchmark_version="v2", preset=self.preset)
        arrays["meta_json"] = np.array(json.dumps(meta))
        return arrays

    def _track(self, data: dict, i: int) -> Track:
        """Assemble track ``i`` from the cache: camera-frame GT, normalised keypoints, features."""
        info = data["meta"]["tracks"][i]
        trial = data["meta"]["trials"][info["trial_index"]]
        cam = obs.Camera.from_dict(data["meta"]["cameras"][i])
        a, b = data["track_offsets"][i], data["track_offsets"][i + 1]
        ta, tb = data["trial_offsets"][info["trial_index"]], data["trial_offsets"][info["trial_index"] + 1]
        T = b - a
        R = cam.R.astype(np.float32)
        rotmat = data["rotmat_local"][ta:tb].copy()
        rotmat[:, 0] = R @ rotmat[:, 0]
        joints24 = cam.to_camera(data["joints24_world_m"][ta:tb]).astype(np.float32)
        lsp14 = cam.to_camera(data["lsp14_world_m"][ta:tb]).astype(np.float32)
        if "camera_delta_R" in data:  # a moving camera: GT in its frame, frame by frame
            D = data["camera_delta_R"][a:b]
            rotmat[:, 0] = D @ rotmat[:, 0]
            joints24 = obs.rotate_points(D, joints24).astype(np.float32)
            lsp14 = obs.rotate_points(D, lsp14).astype(np.float32)
        betas = data["betas"][info["trial_index"]]
        # The body model puts the pelvis at rest_pelvis + transl and rotates the body about it.
        transl_cam = (joints24[:, 0] - data["pelvis_rest_m"][info["trial_index"]]).astype(np.float32)
        bbox = data["bbox"][a:b]
        kp2d = obs.normalize_to_box(data["kp2d_px"][a:b], bbox)
        gt_kp2d = obs.normalize_to_box(data["gt_kp2d_px"][a:b], bbox)
        features = obs.observation_features(kp2d, bbox, (cam.w, cam.h))
        meta = {"trial": trial["trial"], "subject": trial["subject"], "split": trial["split"],
                "description": trial["description"], "source_file": trial["file"], "camera": cam.as_dict(),
                "camera_index": info["camera_index"], "seed": self.seed, "severity": self.severity,
                "build_id": data["meta"]["build_id"], "benchmark_version": self.version, "preset": self.preset,
                "supervision_2d": SUPERVISION_2D, "gt_kp2d": gt_kp2d, "bbox_px": bbox,
                "kp2d_px": data["kp2d_px"][a:b], "gt_kp2d_px": data["gt_kp2d_px"][a:b],
                "outlier": data["outlier"][a:b], "transl_cam_m": transl_cam,
                "image_wh": (cam.w, cam.h), "body_model": "skeleton", "camera_motion": self.camera_motion}
        if "camera_delta_R" in data:
            meta["camera_delta_R"] = data["camera_delta_R"][a:b]  # (T, 3, 3): x_cam(t) = D_t @ static camera
        outlier = data["outlier"][a:b]
        if outlier.shape[1] == 17:  # v2: COCO-17 events, shown on the LSP-14 keypoints the models read
            meta["outlier_coco"] = outlier
            meta["outlier"] = np.concatenate([outlier[:, list(dn.COCO17_TO_LSP12)], np.zeros((T, 2), bool)], axis=1)
        swapped = data["swapped"][a:b]
        meta["swapped"] = swapped if swapped.ndim == 1 else swapped.any(-1)  # (T,) any left/right swap
        if swapped.ndim == 2:
            meta["swapped_pairs"] = swapped  # v2: (T, 8) per COCO-17 left/right pair
        return Track(name=info["name"], fps=FPS, features=features, kp2d=kp2d, joints3d_m=lsp14, joints24_m=joints24,
                     pose_rotmat=rotmat, betas=np.repeat(betas[None], T, axis=0), valid=np.ones(T, dtype=bool),
                     meta=meta)


def build_motion(trial: CmuTrial, root: Path, body, with_coco: bool = False) -> dict:
    """Load one trial at 30 fps and pose the skeleton body model with the subject's fitted betas.

    Returns rotmat_local (T, 24, 3, 3), transl_m (T, 3), betas (10,), pelvis_rest_m (3,),
    joints24_world_m (T, 24, 3), lsp14_world_m (T, 14, 3); SMPL world, +Y up, metres; with
    ``with_coco`` also coco17_world_m (T, 17, 3), the detector's keypoints (detector_noise offset model).
    """
    import torch

    from posebench.data.mocap.clips import load_clip

    # betas are fitted here with the body model in use, not by load_clip
    clip = load_clip(root / trial.file.relpath, entry=mocap_entry(trial, root), target_fps=FPS,
                     body_model_betas=np.zeros(10))
    betas = subject_betas(clip, body)
    rot = torch.as_tensor(np.asarray(clip.pose_rotmat), dtype=torch.float64)
    transl = torch.as_tensor(np.asarray(clip.transl_m), dtype=torch.float64)
    b = torch.as_tensor(betas, dtype=torch.float64)[None]
    with torch.no_grad():
        out = body(b.expand(len(rot), -1), rot, transl)
        pelvis_rest = body.rest_joints(b)[0, 0]
    motion = {"rotmat_local": rot.numpy(), "transl_m": transl.numpy(), "betas": np.asarray(betas, np.float64),
              "pelvis_rest_m": pelvis_rest.numpy(), "joints24_world_m": out.joints24_m.numpy(),
              "lsp14_world_m": out.lsp14_m.numpy()}
    if with_coco:
        motion["coco17_world_m"] = dn.coco17_from_body(out.joints24_m.numpy(), out.global_rotmat.numpy())
    return motion


def subject_betas(clip: MotionClip, body) -> np.ndarray:
    """(10,) betas of ``body`` (the skeleton model) fitted to the clip's own rest bone offsets."""
    from posebench.data.mocap.retarget import fit_betas

    params = {"rest_offsets_mean_m": body.rest_offsets_mean_m.cpu().numpy(),
              "shape_components_m": body.shape_components_m.cpu().numpy()}
    return fit_betas(clip.meta["rest_offsets_m"], params)


def mocap_entry(trial: CmuTrial, root: Path):
    """The :class:`MocapEntry` (units, true fps, T-pose frame, naming) of a trial, from the committed list."""
    from posebench.data.mocap import manifest

    path = Path(root) / trial.file.relpath
    if trial.kind == "amc":
        scheme, unit, asf = "cmu_asf", None, Path(root) / trial.skeleton.relpath
    else:
        scheme, unit, asf = manifest._scheme(trial.naming, trial.file.relpath), manifest.unit_to_metres(
            trial.unit, trial.file.relpath), None
    return manifest.MocapEntry(
        path=path, rel_path=trial.file.relpath, kind=trial.kind, scheme=scheme, unit_to_m=unit,
        fps=trial.capture_fps, file_fps=trial.file_fps, tpose_frame0=trial.tpose_frame0, trial=trial.trial,
        subject=trial.subject, source=trial.file.urls[0], asf_path=asf, description=trial.description)


def observe(cam: obs.Camera, lsp14_world_m: np.ndarray, rng: np.random.Generator, severity: float) -> dict:
    """One camera's view of a trial: noisy and noise-free pixel keypoints (T, 14, 3), box, event masks."""
    lsp14_cam = cam.to_camera(lsp14_world_m)
    in_view = cam.in_view(lsp14_cam)
    gt_px = cam.project(lsp14_cam)
    det = obs.simulate_detections(rng, gt_px, in_view, (cam.w, cam.h), severity)
    if not (det.kp2d_px[..., 2] > 0).any():
        # sample_camera keeps the subject in view; this guards the box against an empty track
        det.kp2d_px[..., :2] = np.where(in_view[..., None], gt_px, 0.0)
        det.kp2d_px[..., 2] = in_view
    gt = np.concatenate([np.where(in_view[..., None], gt_px, 0.0), in_view[..., None]], axis=-1)
    return {"kp2d_px": det.kp2d_px, "gt_kp2d_px": gt.astype(np.float32), "bbox": obs.track_bbox(det.kp2d_px),
            "outlier": det.outlier, "swapped": det.swapped}


def observe_v2(cam: obs.Camera, lsp14_world_m: np.ndarray, coco17_world_m: np.ndarray, rng: np.random.Generator,
               preset: str, severity: float, camera_delta_R: np.ndarray | None = None) -> dict:
    """One camera's view through the v2 detector model (module docstring).

    kp2d_px (T, 14, 3): the detector's COCO-17 output turned into LSP-14; gt_kp2d_px (T, 14, 3): the
    scored joints' projections + in-view flag; det_coco_px (T, 17, 3) and gt_coco_px (T, 17, 3)
    (projection + in-view flag) for noise statistics; outlier (T, 17), swapped (T, 8) event masks.
    """
    lsp14_cam = cam.to_camera(lsp14_world_m)
    coco_cam = cam.to_camera(coco17_world_m)
    if camera_delta_R is not None:  # (T, 3, 3) a moving camera turning about its centre
        lsp14_cam = obs.rotate_points(camera_delta_R, lsp14_cam)
        coco_cam = obs.rotate_points(camera_delta_R, coco_cam)
    in_view = cam.in_view(lsp14_cam)
    gt_px = cam.project(lsp14_cam)
    coco_px = cam.project(coco_cam)
    coco_in = cam.in_view(coco_cam)
    geometry = dn.geometry_lowconf(coco_cam, coco_px, (cam.w, cam.h))
    det = dn.simulate(rng, coco_px, coco_in, (cam.w, cam.h), FPS, preset, severity, geometry)
    kp = dn.derive_lsp14_detections(det.kp_px)
    if not (kp[..., 2] > 0).any():
        # sample_camera keeps the subject in view; this guards the box against an empty track
        kp[..., :2] = np.where(in_view[..., None], gt_px, 0.0)
        kp[..., 2] = in_view
    gt = np.concatenate([np.where(in_view[..., None], gt_px, 0.0), in_view[..., None]], axis=-1)
    gt_coco = np.concatenate([np.where(coco_in[..., None], coco_px, 0.0), coco_in[..., None]], axis=-1)
    kp = kp.astype(np.float32)
    return {"kp2d_px": kp, "gt_kp2d_px": gt.astype(np.float32), "bbox": obs.track_bbox(kp),
            "outlier": det.outlier, "swapped": det.swapped, "det_coco_px": det.kp_px,
            "gt_coco_px": gt_coco.astype(np.float32),
            **({"camera_delta_R": camera_delta_R.astype(np.float32)} if camera_delta_R is not None else {})}


def _read_cache(path: Path) -> dict:
    data = load_npz(path)  # the cache folder may be shared: plain arrays only, sizes checked
    data["meta"] = json.loads(str(data.pop("meta_json")))
    return data
