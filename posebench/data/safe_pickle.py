"""Allow-list unpicklers for the licensed datasets' pickle and joblib files.

A pickle can name any importable callable and run it while loading, so ``pickle.load``
on a downloaded file is code execution. The readers here resolve only the globals that
numpy arrays and plain containers need; any other ``module.name`` raises
:class:`~posebench.errors.DataFormatError` naming the file and the refused global,
before anything is called.

- :func:`safe_load`: plain pickles (3DPW ``sequenceFiles/*.pkl``, Python-2 era,
  ``encoding="latin1"`` so Python-2 ``str`` array buffers decode byte for byte).
- :func:`safe_joblib_load`: ``joblib.dump`` files (VIBE ``*_db.pt``), which carry
  ``joblib.numpy_pickle.NumpyArrayWrapper`` objects followed by raw array bytes.

joblib's pre-0.10 layout (arrays in companion ``.npy``/``.z`` files, read through
``NDArrayWrapper``/``ZNDArrayWrapper``) is refused: ``NDArrayWrapper.read`` calls
``np.load(..., allow_pickle=True)`` on a path taken from the pickle, which is not safe.
"""
from __future__ import annotations

import _compat_pickle
import builtins
import collections
import io
import os
import pickle
from pathlib import Path
from typing import BinaryIO, Iterable

import numpy as np

from posebench.errors import DataFormatError

# numpy moved ``numpy.core`` to ``numpy._core`` in 2.0; pickles written by either
# name the module they were written with. Both names resolve to the same object here,
# without importing the deprecated ``numpy.core`` shim.
_np_multiarray = np._core.multiarray
_np_numeric = np._core.numeric

_NUMPY_GLOBALS = {
    "_reconstruct": _np_multiarray._reconstruct,  # ndarray.__reduce__ (protocol <= 4)
    "scalar": _np_multiarray.scalar,  # numpy scalars (np.float64(1.0) etc.)
}

ALLOWED_GLOBALS: dict[str, object] = {
    "numpy.ndarray": np.ndarray,
    "numpy.dtype": np.dtype,
    # protocol 5 pickles of contiguous arrays go through _frombuffer
    "numpy.core.numeric._frombuffer": _np_numeric._frombuffer,
    "numpy._core.numeric._frombuffer": _np_numeric._frombuffer,
    "collections.OrderedDict": collections.OrderedDict,
}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    for _name, _obj in _NUMPY_GLOBALS.items():
        ALLOWED_GLOBALS[f"{_mod}.{_name}"] = _obj
for _name in ("dict", "list", "tuple", "set", "frozenset", "bytes", "bytearray", "complex", "slice", "range"):
    ALLOWED_GLOBALS[f"builtins.{_name}"] = getattr(builtins, _name)



def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """Python 3 writes ``bytes`` at protocol < 3 as ``_codecs.encode(text, 'latin1')``; allow only that codec."""
    if encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise pickle.UnpicklingError(f"_codecs.encode with codec {encoding!r} is not allowed")
    return text.encode("latin1")


ALLOWED_GLOBALS["_codecs.encode"] = _latin1_bytes

# numpy >= 1.25 pickles dtypes of its DType classes by name (numpy.dtypes.Float64DType ...)
for _name in dir(np.dtypes):
    if _name.endswith("DType") and isinstance(getattr(np.dtypes, _name), type):
        ALLOWED_GLOBALS[f"numpy.dtypes.{_name}"] = getattr(np.dtypes, _name)


def _python2_name(module: str, name: str) -> tuple[str, str]:
    """Map Python-2 names (``__builtin__.set``, ``copy_reg`` ...) to Python 3, as pickle's fix_imports does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _resolve(module: str, name: str, allowed: dict[str, object], source: str, resolve_extra=None) -> object:
    # Always map: a Python-3 pickle never names the Python-2 modules, and the result is still checked.
    module, name = _python2_name(module, name)
    key = f"{module}.{name}"
    if key in allowed:
        return allowed[key]
    found = resolve_extra(module, name) if resolve_extra is not None else None
    if found is None:
        raise DataFormatError(
            source, f"refused to unpickle global {key!r}: only vetted globals (numpy arrays/dtypes, builtin "
                    "containers and what this file type needs) are allowed; nothing from the file was run"
        )
    return found


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, *, source: str, allowed: dict[str, object], encoding: str, resolve_extra=None):
        super().__init__(file, encoding=encoding)
        self._source, self._allowed, self._resolve_extra = source, allowed, resolve_extra

    def find_class(self, module, name):
        return _resolve(module, name, self._allowed, self._source, self._resolve_extra)

    def persistent_load(self, pid):
        raise DataFormatError(self._source, f"refused persistent id {pid!r} (not a plain pickle)")


def _as_allowed(allowed: Iterable[str] | dict[str, object] | None, base: dict[str, object]) -> dict[str, object]:
    """``allowed`` narrows the default allow-list; it can never add globals outside it."""
    if allowed is None:
        return dict(base)
    names = allowed.keys() if isinstance(allowed, dict) else allowed
    unknown = [n for n in names if n not in base]
    if unknown:
        raise ValueError(f"safe_pickle cannot allow globals outside its vetted list: {unknown}")
    return {n: base[n] for n in names}


def _fail_corrupt(source: str, exc: BaseException) -> DataFormatError:
    return DataFormatError(source, f"not a readable pickle (truncated or corrupt?): {type(exc).__name__}: {exc}")


def safe_load(fileobj_or_path: str | os.PathLike | BinaryIO, *, encoding: str = "latin1",
              allowed: Iterable[str] | None = None):
    """Unpickle a file allowing only numpy arrays and builtin containers.

    ``allowed`` optionally restricts :data:`ALLOWED_GLOBALS` further (``"module.name"`` keys).
    Raises :class:`DataFormatError` naming the file for a refused global or a truncated/corrupt file.
    """
    table = _as_allowed(allowed, ALLOWED_GLOBALS)
    if hasattr(fileobj_or_path, "read"):
        source = str(getattr(fileobj_or_path, "name", "<stream>"))
        return _load_stream(fileobj_or_path, source, table, encoding)
    path = Path(fileobj_or_path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise DataFormatError(path, "file not found") from None
    with f:
        return _load_stream(f, str(path), table, encoding)


def restricted_load(f: BinaryIO, *, source: str, allowed: dict[str, object], encoding: str = "latin1",
                    resolve_extra=None):
    """The one allow-list unpickler, for readers of other pickled file types (SMPL models, tensor pickles).

    ``allowed`` maps ``"module.name"`` to the object to use; ``resolve_extra(module, name)`` may
    return a stand-in for a whole family of names (e.g. chumpy classes) or ``None`` to refuse.
    Refused globals and corrupt files raise :class:`DataFormatError` naming ``source``.
    """
    return _load_stream(f, source, allowed, encoding, resolve_extra)


def _load_stream(f: BinaryIO, source: str, table: dict[str, object], encoding: str, resolve_extra=None):
    try:
        return _RestrictedUnpickler(f, source=source, allowed=table, encoding=encoding,
                                    resolve_extra=resolve_extra).load()
    except DataFormatError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            UnicodeDecodeError, MemoryError, OverflowError) as exc:
        raise _fail_corrupt(source, exc) from exc


# ---------------------------------------------------------------------------- joblib

def _joblib_allowed() -> dict[str, object]:
    from joblib import numpy_pickle

    table = dict(ALLOWED_GLOBALS)
    table["joblib.numpy_pickle.NumpyArrayWrapper"] = numpy_pickle.NumpyArrayWrapper
    return table


def _make_joblib_unpickler():
    """A subclass of joblib's NumpyUnpickler whose find_class goes through the allow-list.

    joblib (1.6) routes the nested pickle of object-dtype arrays through the outer
    unpickler's ``find_class`` too, so one override covers both.
    """
    from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

    class SafeNumpyUnpickler(NumpyUnpickler):
        dispatch = NumpyUnpickler.dispatch.copy()

        def __init__(self, filename, file_handle, *, source: str, allowed: dict[str, object]):
            super().__init__(filename, file_handle, ensure_native_byte_order=True, mmap_mode=None)
            self._source, self._allowed = source, allowed

        def find_class(self, module, name):
            return _resolve(module, name, self._allowed, self._source)

        def persistent_load(self, pid):
            raise DataFormatError(self._source, f"refused persistent id {pid!r}")

        def load_build(self):
            # A NumpyArrayWrapper's state is set from the pickle; check it before
            # joblib reads raw bytes with it (dtype and subclass must be plain numpy).
            state = self.stack[-1]
            inst = self.stack[-2] if len(self.stack) > 1 else None
            if isinstance(inst, NumpyArrayWrapper):
                if not isinstance(state, dict) or not isinstance(state.get("dtype"), np.dtype):
                    raise DataFormatError(self._source, "malformed joblib array wrapper (dtype)")
                if state.get("subclass", np.ndarray) is not np.ndarray:
                    raise DataFormatError(self._source, f"refused array subclass {state.get('subclass')!r}")
            NumpyUnpickler.load_build(self)

        dispatch[pickle.BUILD[0]] = load_build

    return SafeNumpyUnpickler


def safe_joblib_load(path: str | os.PathLike, *, allowed: Iterable[str] | None = None):
    """Load a ``joblib.dump`` file (compressed or not) through the allow-list.

    Raises :class:`DataFormatError` naming the file for a refused global, the old
    companion-file joblib layout, or a truncated/corrupt file.
    """
    from joblib.numpy_pickle_utils import _detect_compressor, _validate_fileobject_and_memmap

    path = Path(path)
    table = _as_allowed(allowed, _joblib_allowed())
    source = str(path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise DataFormatError(path, "file not found") from None
    with f:
        if _detect_compressor(f) == "compat":
            raise DataFormatError(path, "joblib < 0.10 layout with companion array files is not supported "
                                        "(it can load pickled objects unchecked); re-dump it with joblib >= 0.10")
        unpickler_cls = _make_joblib_unpickler()
        try:
            with _validate_fileobject_and_memmap(f, source, None) as (fobj, _):
                return unpickler_cls(source, fobj, source=source, allowed=table).load()
        except DataFormatError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
                UnicodeDecodeError, MemoryError, OverflowError, OSError, io.UnsupportedOperation) as exc:
            raise _fail_corrupt(source, exc) from exc
