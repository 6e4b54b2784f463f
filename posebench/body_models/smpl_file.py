"""Read SMPL model files without chumpy, and without running code from the file.

Official SMPL ``.pkl`` files are Python-2 pickles. Some of their arrays (``shapedirs``, often
``v_template``, ``posedirs``, ``J``) are ``chumpy.ch.Ch`` objects, and ``J_regressor`` is a
``scipy.sparse.csc_matrix``. chumpy no longer imports on current numpy, so this module unpickles
with an allow-list:

- numpy array and scalar reconstruction, numpy dtypes;
- scipy.sparse csc/csr matrices, densified here from their stored (data, indices, indptr, shape)
  after checking them (offsets non-decreasing, indices inside the shape), without scipy;
- chumpy classes, replaced by a stand-in that keeps the array stored in the object's ``x``
  (a plain ``Ch`` pickles its ``__dict__`` minus caches, so the value is its ``x`` term);
- a few data-only builtins.

Any other global (``os.system``, ``builtins.eval``, ...) raises DataFormatError naming the file
and the refused global; nothing it names is imported or called.

``.npz`` files (as written by smplx's chumpy-removal tool) are read with
:func:`posebench.data.safe_npz.load_npz` (plain arrays only, sizes checked before allocation).
"""
from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np

from posebench.data.safe_npz import load_npz
from posebench.data.safe_pickle import ALLOWED_GLOBALS, restricted_load
from posebench.errors import DataFormatError

NUM_VERTICES = 6890
NUM_FACES = 13776
NUM_JOINTS = 24
NUM_POSE_BASIS = 207  # 23 joints x 9 rotation-matrix entries

# key -> (expected shape with None for "at least 10" in the last dim, dtype)
SMPL_FIELDS: dict[str, tuple[tuple[int | None, ...], type]] = {
    "v_template": ((NUM_VERTICES, 3), np.float64),
    "shapedirs": ((NUM_VERTICES, 3, None), np.float64),
    "posedirs": ((NUM_VERTICES, 3, NUM_POSE_BASIS), np.float64),
    "J_regressor": ((NUM_JOINTS, NUM_VERTICES), np.float64),
    "weights": ((NUM_VERTICES, NUM_JOINTS), np.float64),
    "kintree_table": ((2, NUM_JOINTS), np.int64),
    "f": ((NUM_FACES, 3), np.int64),
}
MIN_SHAPE_COMPONENTS = 10


class _ChumpyStandIn:
    """Takes the place of any chumpy class; keeps the pickled state, runs nothing."""

    def __init__(self, *args, **kwargs):  # only reached through copyreg._reconstructor
        self.state = {}

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {"state": state}

    def to_array(self) -> np.ndarray | None:
        """The stored value (``x`` of a plain Ch; ``r`` if a cached result was kept)."""
        for key in ("x", "r"):
            value = self.state.get(key)
            if isinstance(value, _ChumpyStandIn):
                value = value.to_array()
            if isinstance(value, np.ndarray) or np.isscalar(value):
                return np.asarray(value)
        return None


class _SparseStandIn:
    """Takes the place of scipy.sparse csc/csr matrices; densified here after checking the stored
    arrays (scipy trusts ``indices``/``indptr``: out-of-range ones write outside the dense array)."""

    format = "csc"
    max_dense_elements = 10 * NUM_JOINTS * NUM_VERTICES  # far above any SMPL-family regressor

    def __init__(self, *args, **kwargs):
        self.state = {}

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {}

    def to_dense(self) -> np.ndarray:
        """The dense (rows, cols) float64 matrix; ValueError naming what is wrong."""
        s = self.state
        shape = s.get("_shape", s.get("shape"))
        if shape is None or not all(k in s for k in ("data", "indices", "indptr")):
            raise ValueError(f"sparse matrix state lacks data/indices/indptr/shape (has {sorted(s)})")
        if (not isinstance(shape, (tuple, list)) or len(shape) != 2
                or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape)):
            raise ValueError(f"bad sparse shape {shape!r:.80}")
        rows, cols = int(shape[0]), int(shape[1])
        if rows * cols > self.max_dense_elements:
            raise ValueError(f"sparse shape {rows}x{cols} is too large to densify")
        data, indices, indptr = (s[k] for k in ("data", "indices", "indptr"))
        for name, a, kinds in (("data", data, "biuf"), ("indices", indices, "iu"), ("indptr", indptr, "iu")):
            if not isinstance(a, np.ndarray) or a.ndim != 1 or a.dtype.kind not in kinds:
                raise ValueError(f"sparse {name} must be a 1-D numeric array, got {getattr(a, 'dtype', type(a))!r:.60}")
        major, minor = (cols, rows) if self.format == "csc" else (rows, cols)
        indptr = indptr.astype(np.int64)
        if indptr.shape[0] != major + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
            raise ValueError(f"sparse indptr must be {major + 1} non-decreasing offsets from 0")
        nnz = int(indptr[-1])
        if nnz != indices.shape[0] or nnz != data.shape[0]:
            raise ValueError(f"sparse indptr ends at {nnz}, but indices/data hold {indices.shape[0]}/{data.shape[0]}")
        indices = indices.astype(np.int64)
        if nnz and (indices.min() < 0 or indices.max() >= minor):
            raise ValueError(f"sparse indices outside [0, {minor})")
        dense = np.zeros((major, minor), np.float64)
        owner = np.repeat(np.arange(major), np.diff(indptr))
        np.add.at(dense, (owner, indices), data.astype(np.float64))  # scipy sums duplicates too
        return dense.T.copy() if self.format == "csc" else dense


class _CscStandIn(_SparseStandIn):
    format = "csc"


class _CsrStandIn(_SparseStandIn):
    format = "csr"


_SPARSE_CLASSES = {"csc_matrix": _CscStandIn, "csr_matrix": _CsrStandIn}
_SPARSE_MODULES = ("scipy.sparse.csc", "scipy.sparse._csc", "scipy.sparse.csr", "scipy.sparse._csr")
_CHUMPY_MODULES = ("chumpy", "chumpy.ch", "chumpy.ch_ops", "chumpy.reordering")

_STAND_IN_CLASSES = (_ChumpyStandIn, _CscStandIn, _CsrStandIn)


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` (protocol < 2 objects) for the stand-in classes only."""
    if cls not in _STAND_IN_CLASSES or base is not object or state is not None:
        raise ValueError(f"refused copyreg._reconstructor({getattr(cls, '__name__', cls)!r:.60}, ...)")
    return object.__new__(cls)


# The shared allow-list (numpy arrays, dtypes, builtin containers) plus what SMPL files need.
SMPL_ALLOWED_GLOBALS: dict[str, object] = {
    **ALLOWED_GLOBALS,
    "copyreg._reconstructor": _reconstructor,
    **{f"builtins.{n}": getattr(builtins, n) for n in ("int", "float", "bool", "str", "object")},
    **{f"{m}.{c}": cls for m in _SPARSE_MODULES for c, cls in _SPARSE_CLASSES.items()},
}


def _chumpy_stand_in(module: str, name: str):
    """Every chumpy class becomes the stand-in that keeps the stored array."""
    return _ChumpyStandIn if module in _CHUMPY_MODULES else None


def _to_plain(value, path: Path, key: str):
    if isinstance(value, _ChumpyStandIn):
        array = value.to_array()
        if array is None:
            raise DataFormatError(
                path, f"chumpy object without a stored array (state keys {sorted(value.state)}); "
                "re-export the model with plain numpy arrays", field=key,
            )  # fmt: skip
        return array
    if isinstance(value, _SparseStandIn):
        try:
            return value.to_dense()
        except (ValueError, TypeError) as exc:
            raise DataFormatError(path, f"bad sparse matrix: {exc}", field=key) from exc
    return value


def validate_smpl_arrays(raw: dict, path: Path) -> dict[str, np.ndarray]:
    """Check keys and shapes of an SMPL model dict; return dense numpy arrays (see SMPL_FIELDS)."""
    missing = [key for key in SMPL_FIELDS if key not in raw]
    if missing:
        raise DataFormatError(path, f"missing SMPL field(s) {missing} (file has: {sorted(raw)})", field=missing[0])
    out: dict[str, np.ndarray] = {}
    for key, (shape, dtype) in SMPL_FIELDS.items():
        try:
            array = np.asarray(_to_plain(raw[key], path, key))
            if key == "kintree_table":
                # The root's parent is stored as uint32 max (4294967295); keep it -1.
                array = array.astype(np.int64)
                array[0, 0] = -1
            array = array.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise DataFormatError(path, f"not a numeric array: {exc}", field=key) from exc
        expected_ok = array.ndim == len(shape) and all(e is None or e == a for e, a in zip(shape, array.shape))
        if not expected_ok or (shape[-1] is None and array.shape[-1] < MIN_SHAPE_COMPONENTS):
            want = tuple(f">={MIN_SHAPE_COMPONENTS}" if e is None else e for e in shape)
            raise DataFormatError(path, f"expected shape {want}, got {array.shape}", field=key)
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            raise DataFormatError(path, "contains NaN or inf", field=key)
        out[key] = array
    if out["f"].min() < 0 or out["f"].max() >= NUM_VERTICES:
        raise DataFormatError(path, f"face indices outside [0, {NUM_VERTICES})", field="f")
    return out


def load_smpl_pickle(path: str | Path) -> dict:
    """Unpickle an SMPL ``.pkl`` with the allow-list; returns the raw dict (chumpy/sparse
    values still wrapped). Most callers want :func:`load_smpl_model`."""
    path = Path(path)
    with open(path, "rb") as fh:
        raw = restricted_load(fh, source=str(path), allowed=SMPL_ALLOWED_GLOBALS, encoding="latin1",
                              resolve_extra=_chumpy_stand_in, buildable=_STAND_IN_CLASSES)
    if not isinstance(raw, dict):
        raise DataFormatError(path, f"expected a pickled dict, got {type(raw).__name__}")
    return raw


def load_smpl_model(path: str | Path) -> dict[str, np.ndarray]:
    """Read an SMPL model file (``.pkl`` without chumpy, or ``.npz``) and validate it.

    Returns float64/int64 numpy arrays: ``v_template`` (6890, 3), ``shapedirs`` (6890, 3, K>=10),
    ``posedirs`` (6890, 3, 207), ``J_regressor`` (24, 6890) dense, ``weights`` (6890, 24),
    ``kintree_table`` (2, 24) with kintree_table[0, 0] = -1, ``f`` (13776, 3).
    """
    path = Path(path)
    if path.suffix == ".npz":
        raw = load_npz(path)
    else:
        raw = load_smpl_pickle(path)
    return validate_smpl_arrays(raw, path)
