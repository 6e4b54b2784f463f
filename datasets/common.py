"""Helpers shared by the licensed-format loaders (3DPW, VIBE db files, InstaVariety, AMASS).

Every check raises a :mod:`posebench.errors` exception that names the file and the key.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from posebench.errors import DataFormatError, PosebenchError


class DatasetFilesMissing(PosebenchError, FileNotFoundError):
    """A licensed dataset whose files are not where posebench looked (they are never downloaded for you)."""


def _missing(what: str, path: Path, dataset: str, hint: str) -> DatasetFilesMissing:
    return DatasetFilesMissing(
        f"{dataset}: expected {what} {path} was not found. {hint}".rstrip()
        + " Set the dataset root with --root/load_dataset(name, root=...) or POSEBENCH_DATA."
    )


def require_file(path: Path, dataset: str, hint: str = "") -> Path:
    if not path.is_file():
        raise _missing("file", path, dataset, hint)
    return path


def require_dir(path: Path, dataset: str, hint: str = "") -> Path:
    if not path.is_dir():
        raise _missing("folder", path, dataset, hint)
    return path


def check_split(dataset: str, split: str, known: Sequence[str]) -> None:
    if split not in known:
        raise PosebenchError(f"{dataset}: unknown split {split!r}; this dataset has {', '.join(known)}")


def get_key(data: dict, key: str, path) -> object:
    if not isinstance(data, dict):
        raise DataFormatError(path, f"expected a dict at the top level, got {type(data).__name__}")
    if key not in data:
        raise DataFormatError(path, f"missing key (present: {', '.join(sorted(map(str, data)))})", field=key)
    return data[key]


def as_array(value, path, key: str, *, shape: Sequence[int | None] | None = None, dtype=np.float64,
             finite: bool = True) -> np.ndarray:
    """``value`` as an array of ``dtype`` whose shape matches ``shape`` (None = any size)."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(path, f"cannot read as {np.dtype(dtype).name} array: {exc}", field=key) from None
    if shape is not None:
        ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
        if not ok:
            want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
            raise DataFormatError(path, f"expected shape {want}, got {arr.shape}", field=key)
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise DataFormatError(path, "contains NaN or inf", field=key)
    return arr


def as_strings(value, path, key: str, n: int | None = None) -> np.ndarray:
    """(N,) array of ``str``; bytes (HDF5, Python 2) are decoded as UTF-8 (latin-1 if that fails)."""
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise DataFormatError(path, f"expected a 1-D array of names, got shape {arr.shape}", field=key)
    if n is not None and arr.shape[0] != n:
        raise DataFormatError(path, f"expected {n} rows, got {arr.shape[0]}", field=key)

    def decode(v) -> str:
        if isinstance(v, (bytes, np.bytes_)):
            try:
                return bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                return bytes(v).decode("latin1")
        return str(v)

    return np.array([decode(v) for v in arr], dtype=object)


def group_rows(names: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Rows grouped by name, groups in first-seen order, rows in file order within a group."""
    order: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        order.setdefault(name, []).append(i)
    return [(name, np.asarray(rows, dtype=np.int64)) for name, rows in order.items()]


def axis_angle_to_rotmat(aa: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) float32, through ``posebench.geometry.rotations``."""
    from posebench.geometry.rotations import axis_angle_to_matrix

    t = torch.as_tensor(np.asarray(aa, dtype=np.float64))
    return axis_angle_to_matrix(t).numpy().astype(np.float32)


def smpl_pose_to_rotmat(pose72: np.ndarray, path, key: str) -> np.ndarray:
    """(T, 72) SMPL axis-angle -> (T, 24, 3, 3)."""
    pose72 = as_array(pose72, path, key, shape=(None, 72))
    return axis_angle_to_rotmat(pose72.reshape(-1, 24, 3))


def body_joints(rotmat: np.ndarray, betas: np.ndarray, transl_m: np.ndarray | None = None,
                body_model=None, batch: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Pose a body model: rotmat (T, 24, 3, 3), betas (T, 10), transl_m (T, 3) ->
    (joints24_m (T, 24, 3), lsp14_m (T, 14, 3), vertices_m (T, V, 3) or None), float32.

    ``body_model`` defaults to ``get_body_model("auto")`` (SMPL when its files are
    configured, else the built-in skeleton model).
    """
    if body_model is None:
        from posebench.body_models import get_body_model

        body_model = get_body_model("auto")
    T = rotmat.shape[0]
    j24, l14, verts = [], [], []
    with torch.no_grad():
        for s in range(0, T, batch):
            e = min(T, s + batch)
            out = body_model(
                torch.as_tensor(betas[s:e], dtype=torch.float32),
                torch.as_tensor(rotmat[s:e], dtype=torch.float32),
                None if transl_m is None else torch.as_tensor(transl_m[s:e], dtype=torch.float32),
            )
            j24.append(out.joints24_m.cpu().numpy())
            l14.append(out.lsp14_m.cpu().numpy())
            if out.vertices_m is not None:
                verts.append(out.vertices_m.cpu().numpy())
    cat = lambda xs: np.concatenate(xs, axis=0).astype(np.float32)  # noqa: E731
    return cat(j24), cat(l14), (cat(verts) if verts else None)

