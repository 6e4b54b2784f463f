"""The ``.npz`` file layout that ``posebench score PRED --gt GT`` reads.

One file holds predictions (or ground truth) for a set of sequences. It is a plain numpy
``.npz`` (no pickles: read with ``allow_pickle=False``) with these keys:

==========================  =================  =============================================
key                         shape, dtype       meaning
==========================  =================  =============================================
``sequences``               (S,) unicode       the sequence names, in scoring order
``fps``                     () float           frame rate of every sequence
``joint_set``               () unicode         joint order of ``joints3d_m``: ``"lsp14"``
``format``                  () unicode         ``"posebench-npz-v1"`` (optional on read)
``videos``                  (S,) unicode       optional: the video of each sequence (same
                                               order as ``sequences``); tracks of one video
                                               are pooled by per-video protocols (hmmr-v2)
``joints3d_m/<seq>``        (N, 14, 3) float   LSP-14 joints in metres, one row per frame
``vertices_m/<seq>``        (N, V, 3) float    optional: mesh vertices in metres (for PVE)
``covered/<seq>``           (N,) bool          optional, predictions only: frames the model
                                               produced (False = not covered, not scored)
``valid/<seq>``             (N,) bool          optional, ground truth only: frames that count
``vis2d/<seq>``             (N, 14) float      optional, ground truth only: 2D-joint
                                               confidences (0 = missing; > 0.3 = visible)
==========================  =================  =============================================

Every ``<seq>`` in a per-sequence key must be listed in ``sequences`` and every listed
sequence needs ``joints3d_m/<seq>``; ``N`` is the same for all fields of one sequence.
Sequence names may contain ``/`` (the field is the text before the first ``/``). Both
files of ``posebench score`` use the same ``fps`` and ``joint_set``. Joints and vertices
are in metres (``posebench score --units mm`` reads millimetre files).

Writing::

    write_predictions("pred.npz", {"seq_0": {"joints3d_m": joints}}, fps=30.0)

Reading returns ``({seq: {field: array}}, meta)`` with ``meta = {"fps", "joint_set",
"format", "path", "videos"}`` (a sequence with a video also gets the field ``"video"``, a
string); every problem raises :class:`~posebench.errors.DataFormatError` naming the file
and the key. :func:`open_predictions` reads lazily: the keys are checked at once, each
sequence's arrays when it is accessed, so a scorer holds one sequence at a time.
"""
from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np

from posebench.data.safe_npz import open_npz
from posebench.errors import DataFormatError
from posebench.io import atomic_path

FORMAT = "posebench-npz-v1"
JOINT_SETS = {"lsp14": 14}
PRED_ONLY = ("covered",)
GT_ONLY = ("valid", "vis2d")
FIELDS = ("joints3d_m", "vertices_m", "covered", "valid", "vis2d")
META_KEYS = ("sequences", "fps", "joint_set", "format", "videos")
# dataclass attribute (posebench.metrics.scoring) -> file field
_ATTR_TO_FIELD = {"joints_lsp14_m": "joints3d_m"}


def _as_fields(value) -> dict:
    """A ``{field: array}`` dict from a dict or a SequencePrediction/SequenceTarget."""
    if is_dataclass(value):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    out = {}
    for k, v in value.items():
        if v is None or k == "video":
            continue
        if hasattr(v, "detach"):
            v = v.detach().cpu().numpy()
        out[_ATTR_TO_FIELD.get(k, k)] = np.asarray(v)
    return out


def write_predictions(path, data: dict, fps: float, joint_set: str = "lsp14", compress: bool = False) -> Path:
    """Write ``{seq: {field: array}}`` (or SequencePrediction/SequenceTarget values) to ``path``
    atomically, in the layout of this module. Returns the path."""
    path = Path(path)
    arrays = {"sequences": np.array(list(data), dtype=np.str_), "fps": np.array(float(fps)),
              "joint_set": np.array(joint_set), "format": np.array(FORMAT)}
    videos = [_video_of(v) for v in data.values()]
    if any(v is not None for v in videos):
        arrays["videos"] = np.array([seq if v is None else v for seq, v in zip(data, videos)], dtype=np.str_)
    for seq, value in data.items():
        for fld, a in _as_fields(value).items():
            arrays[f"{fld}/{seq}"] = a
    _validate(path, arrays)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)
    return path


def _video_of(value) -> str | None:
    v = value.get("video") if isinstance(value, dict) else getattr(value, "video", None)
    return None if v is None else str(v)


def read_predictions(path) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """Read a file of this layout: ``({seq: {field: array}}, meta)``."""
    lazy, meta = open_predictions(path)
    with lazy:
        return {seq: lazy[seq] for seq in lazy}, meta


class LazyPredictions(Mapping):
    """``{seq: {field: array}}`` read from an open .npz on access (checked then)."""

    def __init__(self, path: Path, npz, keys: dict[str, dict[str, str]], n_joints: int, videos: dict):
        self.path, self._npz, self._keys, self._n_joints, self._videos = path, npz, keys, n_joints, videos

    def __getitem__(self, seq: str) -> dict:
        d = {fld: _load(self.path, self._npz, key) for fld, key in self._keys[seq].items()}
        _check_sequence(self.path, seq, d, self._n_joints)
        if seq in self._videos:
            d["video"] = self._videos[seq]
        return d

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, seq) -> bool:  # without reading the arrays (Mapping's default would)
        return seq in self._keys

    def close(self) -> None:
        self._npz.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _load(path: Path, npz, key: str) -> np.ndarray:
    try:
        return npz[key]
    except DataFormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise DataFormatError(path, f"cannot read ({type(exc).__name__}: {exc}); the file may be "
                              "truncated or hold pickled objects", field=key) from None


def open_predictions(path) -> tuple[LazyPredictions, dict]:
    """Open a file of this layout lazily: ``(LazyPredictions, meta)``; the keys and metadata
    are checked now, each sequence's arrays when it is read."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "no such file")
    npz = open_npz(path)  # only .npy members of plain dtypes; sizes checked before allocation
    try:
        meta_arrays = {k: _load(path, npz, k) for k in META_KEYS if k in npz.files}
        keys, meta, n_joints = _validate_keys(path, meta_arrays, [k for k in npz.files if k not in META_KEYS])
    except BaseException:
        npz.close()
        raise
    return LazyPredictions(path, npz, keys, n_joints, meta["videos"]), meta


def _validate(path: Path, arrays: dict) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """Check a whole ``{key: array}`` set (before writing)."""
    meta_arrays = {k: v for k, v in arrays.items() if k in META_KEYS}
    keys, meta, n_joints = _validate_keys(path, meta_arrays, [k for k in arrays if k not in META_KEYS])
    data = {}
    for seq, fields_ in keys.items():
        data[seq] = {fld: arrays[key] for fld, key in fields_.items()}
        _check_sequence(path, seq, data[seq], n_joints)
    return data, meta


def _validate_keys(path: Path, arrays: dict, data_keys: list[str]) -> tuple[dict[str, dict[str, str]], dict, int]:
    """Check the metadata arrays and the names of the per-sequence keys: ``({seq: {field:
    key}}, meta, n_joints)``."""
    if "sequences" not in arrays:
        raise DataFormatError(path, "missing the list of sequence names", field="sequences")
    names = arrays["sequences"]
    if names.ndim != 1 or names.dtype.kind != "U":
        raise DataFormatError(path, f"must be a 1-D unicode array, got {names.dtype} {names.shape}", field="sequences")
    names = [str(s) for s in names]
    if len(set(names)) != len(names) or any(not s for s in names):
        raise DataFormatError(path, "sequence names must be unique and non-empty", field="sequences")
    for key in ("fps", "joint_set"):
        if key not in arrays:
            raise DataFormatError(path, "missing", field=key)
    fps_arr = arrays["fps"]
    if fps_arr.shape != () or fps_arr.dtype.kind not in "fiu" or not np.isfinite(fps_arr) or fps_arr <= 0:
        raise DataFormatError(path, f"must be a positive scalar, got {fps_arr!r}", field="fps")
    joint_set = arrays["joint_set"]
    if joint_set.shape != () or joint_set.dtype.kind != "U" or str(joint_set) not in JOINT_SETS:
        raise DataFormatError(path, f"must be one of {sorted(JOINT_SETS)}, got {joint_set!r}", field="joint_set")
    n_joints = JOINT_SETS[str(joint_set)]
    fmt = str(arrays["format"]) if "format" in arrays else FORMAT
    if fmt != FORMAT:
        raise DataFormatError(path, f"unsupported format {fmt!r}; this posebench reads {FORMAT!r}", field="format")

    videos = {}
    if "videos" in arrays:
        v = arrays["videos"]
        if v.ndim != 1 or v.dtype.kind != "U" or v.shape[0] != len(names):
            raise DataFormatError(path, f"must be a unicode array of {len(names)} video names (one per sequence), "
                                  f"got {v.dtype} {v.shape}", field="videos")
        videos = {s: str(x) for s, x in zip(names, v)}
    known = set(names)
    keys: dict[str, dict[str, str]] = {s: {} for s in names}
    for key in data_keys:
        fld, sep, seq = key.partition("/")
        if not sep or fld not in FIELDS:
            raise DataFormatError(path, f"unknown key; known keys are {', '.join(META_KEYS)} and "
                                  f"<field>/<sequence> with field in {', '.join(FIELDS)}", field=key)
        if seq not in known:
            raise DataFormatError(path, f"sequence {seq!r} is not listed in 'sequences'", field=key)
        keys[seq][fld] = key
    present = {fld for d in keys.values() for fld in d}
    if present & set(PRED_ONLY) and present & set(GT_ONLY):
        raise DataFormatError(path, f"mixes prediction-only fields {PRED_ONLY} with ground-truth-only fields "
                              f"{GT_ONLY}; a file holds predictions or ground truth, not both")
    for seq, d in keys.items():
        if "joints3d_m" not in d:
            raise DataFormatError(path, f"sequence {seq!r} is listed but has no joints", field=f"joints3d_m/{seq}")
    meta = {"fps": float(fps_arr), "joint_set": str(joint_set), "format": fmt, "path": str(path), "videos": videos}
    return keys, meta, n_joints


def _check_sequence(path: Path, seq: str, d: dict, n_joints: int) -> None:
    key = f"joints3d_m/{seq}"
    if "joints3d_m" not in d:
        raise DataFormatError(path, f"sequence {seq!r} is listed but has no joints", field=key)
    j = d["joints3d_m"]
    if j.ndim != 3 or j.shape[1:] != (n_joints, 3) or j.dtype.kind != "f":
        raise DataFormatError(path, f"expected float (N, {n_joints}, 3), got {j.dtype} {j.shape}", field=key)
    n = j.shape[0]
    expect = {"vertices_m": ((n, None, 3), "f"), "covered": ((n,), "b"), "valid": ((n,), "b"),
              "vis2d": ((n, n_joints), "fiu")}
    for fld, (shape, kinds) in expect.items():
        if fld not in d:
            continue
        a = d[fld]
        ok = a.ndim == len(shape) and all(s is None or s == x for s, x in zip(shape, a.shape)) and a.dtype.kind in kinds
        if not ok:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise DataFormatError(path, f"expected {want} of kind {kinds!r} to match {n} frames, "
                                  f"got {a.dtype} {a.shape}", field=f"{fld}/{seq}")
