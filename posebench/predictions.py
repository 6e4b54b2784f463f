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
files of ``posebench score`` use the same ``fps`` and ``joint_set``.

Writing::

    write_predictions("pred.npz", {"seq_0": {"joints3d_m": joints}}, fps=30.0)

Reading returns ``({seq: {field: array}}, meta)`` with ``meta = {"fps", "joint_set",
"format", "path"}``; every problem raises :class:`~posebench.errors.DataFormatError`
naming the file and the key.
"""
from __future__ import annotations

import zipfile
from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np

from posebench.errors import DataFormatError
from posebench.io import atomic_path

FORMAT = "posebench-npz-v1"
JOINT_SETS = {"lsp14": 14}
PRED_ONLY = ("covered",)
GT_ONLY = ("valid", "vis2d")
FIELDS = ("joints3d_m", "vertices_m", "covered", "valid", "vis2d")
META_KEYS = ("sequences", "fps", "joint_set", "format")
# dataclass attribute (posebench.metrics.scoring) -> file field
_ATTR_TO_FIELD = {"joints_lsp14_m": "joints3d_m"}


def _as_fields(value) -> dict:
    """A ``{field: array}`` dict from a dict or a SequencePrediction/SequenceTarget."""
    if is_dataclass(value):
        value = {f.name: getattr(value, f.name) for f in fields(value)}
    out = {}
    for k, v in value.items():
        if v is None:
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
    for seq, value in data.items():
        for fld, a in _as_fields(value).items():
            arrays[f"{fld}/{seq}"] = a
    _validate(path, arrays)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)
    return path


def read_predictions(path) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """Read a file of this layout: ``({seq: {field: array}}, meta)``."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "no such file")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFormatError(path, f"not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataFormatError(path, "is a single .npy array, not an .npz archive of keys")
    arrays = {}
    with npz:
        for key in npz.files:
            try:
                arrays[key] = npz[key]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
                raise DataFormatError(path, f"cannot read ({type(exc).__name__}: {exc}); the file may be "
                                      "truncated or hold pickled objects", field=key) from None
    return _validate(path, arrays)


def _validate(path: Path, arrays: dict) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
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

    known = set(names)
    data: dict[str, dict[str, np.ndarray]] = {s: {} for s in names}
    for key, a in arrays.items():
        if key in META_KEYS:
            continue
        fld, sep, seq = key.partition("/")
        if not sep or fld not in FIELDS:
            raise DataFormatError(path, f"unknown key; known keys are {', '.join(META_KEYS)} and "
                                  f"<field>/<sequence> with field in {', '.join(FIELDS)}", field=key)
        if seq not in known:
            raise DataFormatError(path, f"sequence {seq!r} is not listed in 'sequences'", field=key)
        data[seq][fld] = a
    present = {fld for d in data.values() for fld in d}
    if present & set(PRED_ONLY) and present & set(GT_ONLY):
        raise DataFormatError(path, f"mixes prediction-only fields {PRED_ONLY} with ground-truth-only fields "
                              f"{GT_ONLY}; a file holds predictions or ground truth, not both")
    for seq, d in data.items():
        _check_sequence(path, seq, d, n_joints)
    meta = {"fps": float(fps_arr), "joint_set": str(joint_set), "format": fmt, "path": str(path)}
    return data, meta


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
