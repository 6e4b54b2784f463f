"""Allow-list unpicklers for the licensed datasets' pickle and joblib files.

A pickle can name any importable callable and run it while loading, so ``pickle.load``
on a downloaded file is code execution. The readers here resolve only the globals that
numpy arrays and plain containers need; any other ``module.name`` raises
:class:`~posebench.errors.DataFormatError` naming the file and the refused global,
before anything is called.

Refusing globals is not enough: numpy's own reconstruction functions trust their
arguments. A pickle can give a dtype file-chosen ``flags`` (so an object field looks like
raw bytes) and then have ``ndarray.__setstate__`` copy file bytes into object slots, which
makes Python dereference an address taken from the file. So every numpy entry point is
replaced by a checked one (:data:`ALLOWED_GLOBALS` maps the numpy names to them):

- dtypes: only plain bool/int/uint/float/complex, fixed-size bytes ``S``/str ``U`` (and
  plain ``object`` arrays, see below). The state of a dtype (flags, fields, sizes) is never
  taken from the file: numpy re-derives it; only the byte order is read.
- arrays (``_reconstruct`` + ``ndarray.__setstate__``, ``numpy.ndarray(shape, dtype,
  buffer)``, ``_frombuffer``, ``scalar``): shape non-negative, element count bounded, and the
  byte length equal to ``prod(shape) * itemsize`` before anything is copied. ``object``
  arrays are only built from a list of already-unpickled objects of the right length
  (numpy's list path), never from bytes.
- sizes: a declared length can never exceed what the file still holds (no allocation
  before the bytes exist), builtin containers refuse to expand a lazy ``range`` (or an
  integer size) into more than :data:`MAX_EXPANDED_ITEMS` items, and the result's nesting
  depth is bounded by :data:`MAX_DEPTH`.
- ``BUILD`` (``__setstate__``) is only applied to dtypes and arrays (checked as above),
  ``OrderedDict`` and the pure-Python stand-in classes a reader names (``buildable``).

Readers:

- :func:`safe_load`: plain pickles (3DPW ``sequenceFiles/*.pkl``, Python-2 era,
  ``encoding="latin1"`` so Python-2 ``str`` array buffers decode byte for byte).
- :func:`safe_joblib_load`: ``joblib.dump`` files (VIBE ``*_db.pt``), which carry
  ``joblib.numpy_pickle.NumpyArrayWrapper`` objects followed by raw array bytes; the
  wrapper's dtype, shape and order go through the same checks, and object arrays are
  read by this module's unpickler, not joblib's.
- :func:`restricted_load`: the same unpickler with a reader-specific allow-list.
- :func:`torch_numpy_safe_globals`: the numpy globals to hand ``torch.load(weights_only=True)``
  (numpy scalars), as checked stand-ins.

joblib's pre-0.10 layout (arrays in companion ``.npy``/``.z`` files, read through
``NDArrayWrapper``/``ZNDArrayWrapper``) is refused: ``NDArrayWrapper.read`` calls
``np.load(..., allow_pickle=True)`` on a path taken from the pickle, which is not safe.
"""
from __future__ import annotations

import _compat_pickle
import builtins
import collections
import io
import lzma
import math
import os
import pickle
import re
import struct
import zlib
from pathlib import Path
from typing import BinaryIO, Iterable

import numpy as np

from posebench.errors import DataFormatError

MAX_DEPTH = 100  # nesting of containers in a loaded object (deeper data breaks str()/repr())
MAX_EXPANDED_ITEMS = 1_000_000  # list(range(n)), bytes(n) ...: items not paid for by file bytes
MAX_NDIM = 32  # numpy's own limit is 64
# joblib compressed files: the arrays may not declare more than this many times the file's
# size (zlib's best ratio is ~1000x on zeros; real pose/feature arrays compress < 10x).
MAX_COMPRESSION_RATIO = 200
MIN_DECOMPRESSED_BUDGET = 256 << 20

class _Refused(ValueError):
    """A check in this module failed; turned into DataFormatError naming the file."""


# ---------------------------------------------------------------------------- numpy checks

_PLAIN_KINDS = frozenset("biufcSU")  # bool, int, uint, float, complex, bytes, str
_DTYPE_SPEC = re.compile(r"[<>|=]?[?biufcSUO]\d*")


def plain_dtype(dtype, *, allow_object: bool = False) -> np.dtype:
    """numpy's own dtype for ``dtype`` if it is a plain scalar type; else :class:`ValueError`.

    The returned dtype is re-derived from the type code (``dtype.str``), so flags, fields
    and sizes that a file may have forged are never used; a dtype whose flags or size
    differ from the re-derived one is refused outright.
    """
    if not isinstance(dtype, np.dtype):
        raise _Refused(f"expected a numpy dtype, got {type(dtype).__name__}")
    if dtype.fields is not None or dtype.subdtype is not None or dtype.names is not None:
        raise _Refused(f"refused structured dtype {dtype!r}: only plain numeric/bool/string arrays are allowed")
    if dtype.kind == "O" and not allow_object:
        raise _Refused("refused object dtype here: only plain numeric/bool/string arrays are allowed")
    if dtype.kind not in _PLAIN_KINDS and dtype.kind != "O":
        raise _Refused(f"refused dtype {dtype.str!r} (kind {dtype.kind!r}): only plain numeric/bool/string arrays")
    fresh = np.dtype(dtype.str)
    if dtype.flags != fresh.flags or dtype.itemsize != fresh.itemsize or dtype.itemsize <= 0:
        raise _Refused(f"refused dtype {dtype.str!r} with forged flags/size (flags {dtype.flags}, "
                       f"itemsize {dtype.itemsize}; numpy's own: {fresh.flags}, {fresh.itemsize})")
    return fresh


def checked_shape(shape, *, limit_items: int | None = None) -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative Python ints (at most MAX_NDIM); its element count
    must not exceed ``limit_items`` when given."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or len(shape) > MAX_NDIM:
        raise _Refused(f"bad array shape {shape!r:.80}")
    out = []
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or int(s) < 0:
            raise _Refused(f"bad array shape {shape!r:.80} (dimensions must be non-negative ints)")
        out.append(int(s))
    if limit_items is not None and math.prod(out) > limit_items:
        raise _Refused(f"array shape {tuple(out)} has {math.prod(out)} elements, more than the file can hold "
                       f"({limit_items})")
    return tuple(out)


def _as_bytes(raw) -> bytes | memoryview:
    if isinstance(raw, str):  # Python-2 byte strings decoded as latin1
        try:
            return raw.encode("latin1")
        except UnicodeEncodeError:
            raise _Refused("array data is text that is not latin1 bytes") from None
    if isinstance(raw, (bytes, bytearray)):
        return raw
    if isinstance(raw, pickle.PickleBuffer):
        return memoryview(raw).cast("B")
    raise _Refused(f"array data must be bytes, got {type(raw).__name__}")


def _array_from_bytes(raw, dtype: np.dtype, shape: tuple[int, ...], fortran: bool) -> np.ndarray:
    data = _as_bytes(raw)
    want = math.prod(shape) * dtype.itemsize
    if len(data) != want:
        raise _Refused(f"array data has {len(data)} bytes, shape {shape} of {dtype.str} needs {want}")
    flat = np.frombuffer(data, dtype=dtype).copy()
    return flat.reshape(shape, order="F" if fortran else "C")


def _safe_dtype(spec, align=False, copy=False, *_ignored):
    """``numpy.dtype(spec, align, copy)`` for plain type codes only; always a private copy
    (BUILD may set its byte order; it must never touch numpy's shared builtin dtypes)."""
    if isinstance(spec, bytes):
        spec = spec.decode("latin1")
    if not isinstance(spec, str) or not _DTYPE_SPEC.fullmatch(spec):
        raise _Refused(f"refused dtype spec {spec!r:.80}: only plain numeric/bool/string type codes are allowed")
    fresh = np.dtype(spec, False, True)
    plain_dtype(fresh, allow_object=True)
    return fresh


def _build_dtype(inst: np.dtype, state) -> None:
    """Apply a pickled dtype state: only its byte order is read; numpy derives the rest."""
    if inst is np.dtype(inst.str):
        raise _Refused("refused to set the state of numpy's shared builtin dtype")
    plain_dtype(inst, allow_object=True)
    if not isinstance(state, tuple) or len(state) not in (8, 9) or state[0] not in (3, 4):
        raise _Refused(f"bad dtype state {state!r:.80}")
    version, endian, subarray, names, fields, elsize, alignment, flags, *metadata = state
    if endian not in ("<", ">", "|", "=") or subarray is not None or names is not None or fields is not None \
            or any(m is not None for m in metadata):
        raise _Refused(f"refused dtype state {state!r:.120}: only plain dtypes (no fields, subarrays, metadata)")
    # The sizes and flags must be numpy's own for this type code (NEEDS_INIT, 0x08, varies by version).
    if elsize not in (-1, inst.itemsize) or alignment not in (-1, inst.alignment) \
            or not isinstance(flags, int) or (flags ^ inst.flags) & ~0x08:
        raise _Refused(f"refused dtype {inst.str!r} with forged state (elsize {elsize!r:.20}, alignment "
                       f"{alignment!r:.20}, flags {flags!r:.20}; numpy's own: {inst.itemsize}, {inst.alignment}, "
                       f"{inst.flags})")
    target = inst
    if endian in ("<", ">") and inst.byteorder != "|":
        target = inst.newbyteorder(endian)
    inst.__setstate__(target.__reduce__()[2])


def _build_ndarray(inst: np.ndarray, state) -> None:
    """Check a pickled ``ndarray.__setstate__`` state, then apply it with numpy's own dtype."""
    if type(inst) is not np.ndarray:
        raise _Refused(f"refused array subclass {type(inst).__name__}")
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise _Refused(f"bad array state ({type(state).__name__})")
    version, shape, dtype, fortran, raw = state if len(state) == 5 else (1, *state)
    if version != 1 or not isinstance(fortran, (bool, int, np.bool_)):
        raise _Refused("bad array state (version/order)")
    dtype = plain_dtype(dtype, allow_object=True)
    shape = checked_shape(shape)
    count = math.prod(shape)
    if dtype.kind == "O":
        # numpy fills object arrays from a list of objects the unpickler already made.
        if not isinstance(raw, list) or len(raw) != count:
            raise _Refused(f"object array of {count} elements needs a list of that length")
    else:
        raw = _as_bytes(raw)
        if len(raw) != count * dtype.itemsize:
            raise _Refused(f"array data has {len(raw)} bytes, shape {shape} of {dtype.str} needs "
                           f"{count * dtype.itemsize}")
        raw = bytes(raw)
    inst.__setstate__((1, shape, dtype, bool(fortran), raw))


class _SafeNdarray:
    """Stands in for ``numpy.ndarray`` in pickles: ``ndarray(shape, dtype, buffer)`` with checks,
    and the class argument of ``_reconstruct``."""

    def __new__(cls, shape=(), dtype=float, buffer=None, offset=0, strides=None, order=None):
        if dtype in (float, int, bool, complex):  # the Python types numpy accepts as dtypes
            dtype = np.dtype(dtype)
        dtype = plain_dtype(dtype if isinstance(dtype, np.dtype) else _safe_dtype(dtype))
        if offset != 0 or strides is not None:
            raise _Refused("refused ndarray(...) with an offset or strides")
        shape = checked_shape(shape, limit_items=MAX_EXPANDED_ITEMS if buffer is None else None)
        if buffer is None:  # numpy would hand out uninitialised memory
            return np.zeros(shape, dtype)
        return _array_from_bytes(buffer, dtype, shape, order == "F")


def _safe_reconstruct(subtype, shape, typecode):
    """``numpy.core.multiarray._reconstruct``: an empty plain array that BUILD then fills."""
    if subtype not in (_SafeNdarray, np.ndarray):
        raise _Refused(f"refused array subclass {subtype!r:.80}")
    return np.empty((0,), np.uint8)


def _safe_frombuffer(buf, dtype, shape, order="C"):
    """``numpy.core.numeric._frombuffer`` (protocol-5 pickles of contiguous arrays)."""
    if order not in ("C", "F", "A", "K"):
        raise _Refused(f"bad array order {order!r:.20}")
    return _array_from_bytes(buf, plain_dtype(dtype), checked_shape(shape), order == "F")


def _safe_scalar(dtype, obj=None):
    """``numpy.core.multiarray.scalar`` (numpy scalars such as ``np.float64(1.5)``)."""
    dtype = plain_dtype(dtype, allow_object=True)
    if dtype.kind == "O":
        return obj
    data = _as_bytes(obj)
    if len(data) != dtype.itemsize:
        raise _Refused(f"numpy scalar of {dtype.str} needs {dtype.itemsize} bytes, got {len(data)}")
    return np.frombuffer(bytes(data), dtype=dtype)[0]


# ---------------------------------------------------------------------------- bounded builtins

def _bounded(factory):
    """Wrap a builtin container so a lazy ``range`` or an integer size cannot expand a tiny file
    into gigabytes (items that come from the file's own bytes are bounded by the file)."""

    def make(*args, **kwargs):
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, range) and len(arg) > MAX_EXPANDED_ITEMS:
                raise _Refused(f"refused {factory.__name__}() of a range of {len(arg)} items "
                               f"(more than {MAX_EXPANDED_ITEMS})")
            if factory in (bytes, bytearray) and isinstance(arg, int) and arg > MAX_EXPANDED_ITEMS:
                raise _Refused(f"refused {factory.__name__}({arg})")
        return factory(*args, **kwargs)

    make.__name__ = make.__qualname__ = factory.__name__
    return make


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """Python 3 writes ``bytes`` at protocol < 3 as ``_codecs.encode(text, 'latin1')``; allow only that codec."""
    if not isinstance(text, str):
        raise _Refused("_codecs.encode needs a str")
    if encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise _Refused(f"_codecs.encode with codec {encoding!r} is not allowed")
    return text.encode("latin1")


ALLOWED_GLOBALS: dict[str, object] = {
    "numpy.ndarray": _SafeNdarray,
    "numpy.dtype": _safe_dtype,
    "collections.OrderedDict": collections.OrderedDict,
    "_codecs.encode": _latin1_bytes,
}
for _mod in ("numpy.core", "numpy._core"):
    ALLOWED_GLOBALS[f"{_mod}.multiarray._reconstruct"] = _safe_reconstruct  # ndarray.__reduce__ (protocol <= 4)
    ALLOWED_GLOBALS[f"{_mod}.multiarray.scalar"] = _safe_scalar  # numpy scalars (np.float64(1.0) etc.)
    ALLOWED_GLOBALS[f"{_mod}.numeric._frombuffer"] = _safe_frombuffer  # protocol 5, contiguous arrays
for _name in ("dict", "list", "tuple", "set", "frozenset", "bytes", "bytearray"):
    ALLOWED_GLOBALS[f"builtins.{_name}"] = _bounded(getattr(builtins, _name))
for _name in ("complex", "slice", "range"):  # range is lazy; the containers above bound its expansion
    ALLOWED_GLOBALS[f"builtins.{_name}"] = getattr(builtins, _name)


def torch_numpy_safe_globals() -> list:
    """``(object, "module.name")`` pairs for ``torch.serialization.safe_globals``: numpy scalars
    and dtypes as checked stand-ins (torch applies a dtype's pickled state with ``__setstate__``,
    so the dtype is a :class:`DtypeSpec` that records the state; the scalar converts it)."""
    pairs = []
    for mod in ("numpy.core", "numpy._core"):
        pairs.append((_torch_scalar, f"{mod}.multiarray.scalar"))
    pairs.append((DtypeSpec, "numpy.dtype"))
    return pairs


class DtypeSpec:
    """A pickled ``numpy.dtype`` as torch's weights-only unpickler builds it: the type code and
    the byte order only, turned into numpy's own dtype by :meth:`to_dtype`."""

    def __init__(self, spec, align=False, copy=False, *_ignored):
        self.dtype = _safe_dtype(spec)

    def __setstate__(self, state):
        _build_dtype(self.dtype, state)

    def to_dtype(self) -> np.dtype:
        return plain_dtype(self.dtype)


def _torch_scalar(dtype, obj=None):
    if not isinstance(dtype, DtypeSpec):
        raise _Refused(f"numpy scalar with a {type(dtype).__name__} dtype")
    return _safe_scalar(dtype.to_dtype(), obj)


# ---------------------------------------------------------------------------- the unpickler

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


class _CappedReader:
    """A file wrapper that refuses reads beyond ``limit`` bytes, so no length declared in the
    file is allocated before the bytes exist (``read(n)`` allocates ``n`` up front)."""

    def __init__(self, f, limit: int):
        self._f, self.remaining = f, limit
        self.name = getattr(f, "name", "<stream>")

    def _take(self, n: int) -> int:
        if n < 0 or n > self.remaining:
            raise _Refused(f"truncated or corrupt: needs {n} more bytes, at most {self.remaining} are left")
        return n

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(self._take(self.remaining if n is None or n < 0 else n))
        self.remaining -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._f.readline(self.remaining if size is None or size < 0 else min(size, self.remaining))
        self.remaining -= len(data)
        return data

    def readinto(self, buf) -> int:
        self._take(len(buf))
        n = self._f.readinto(buf)
        self.remaining -= n or 0
        return n

    def tell(self):
        return self._f.tell()

    def seek(self, *args):
        return self._f.seek(*args)


def _stream_size(f) -> int | None:
    """Bytes left in a seekable stream, else None."""
    try:
        pos = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(pos)
        return end - pos
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None


class _CheckedOps:
    """Opcode handlers shared by this module's unpicklers (pure-Python pickle machinery: its memo
    is a dict, so a huge memo index cannot allocate a huge table)."""

    _buildable: tuple[type, ...] = ()

    def _checked_build(self):
        state = self.stack[-1]
        inst = self.stack[-2] if len(self.stack) > 1 else None
        if isinstance(inst, np.dtype):
            self.stack.pop()
            _build_dtype(inst, state)
        elif isinstance(inst, np.ndarray):
            self.stack.pop()
            _build_ndarray(inst, state)
        elif type(inst) is collections.OrderedDict or (self._buildable and isinstance(inst, self._buildable)):
            pickle._Unpickler.load_build(self)
        else:
            raise _Refused(f"refused to set the state of a {type(inst).__name__} (BUILD)")

    def _checked_bytearray8(self):
        # pickle._Unpickler allocates the declared size before reading: check it first.
        (size,) = struct.unpack("<Q", self.read(8))
        if size > self._byte_limit:
            raise _Refused(f"a bytearray of {size} bytes is larger than the file")
        b = bytearray(size)
        self.readinto(b)
        self.append(b)


class _RestrictedUnpickler(_CheckedOps, pickle._Unpickler):
    dispatch = pickle._Unpickler.dispatch.copy()
    dispatch[pickle.BUILD[0]] = _CheckedOps._checked_build

    def __init__(self, file, *, source: str, allowed: dict[str, object], encoding: str, resolve_extra=None,
                 buildable: tuple[type, ...] = ()):
        size = _stream_size(file)
        self._byte_limit = size if size is not None else 1 << 62
        super().__init__(_CappedReader(file, self._byte_limit), encoding=encoding)
        self._source, self._allowed, self._resolve_extra = source, allowed, resolve_extra
        self._buildable = tuple(buildable)

    dispatch[pickle.BYTEARRAY8[0]] = _CheckedOps._checked_bytearray8

    def find_class(self, module, name):
        return _resolve(module, name, self._allowed, self._source, self._resolve_extra)

    def persistent_load(self, pid):
        raise DataFormatError(self._source, f"refused persistent id {pid!r:.80} (not a plain pickle)")


def _as_allowed(allowed: Iterable[str] | dict[str, object] | None, base: dict[str, object]) -> dict[str, object]:
    """``allowed`` narrows the default allow-list; it can never add globals outside it."""
    if allowed is None:
        return dict(base)
    names = allowed.keys() if isinstance(allowed, dict) else allowed
    unknown = [n for n in names if n not in base]
    if unknown:
        raise ValueError(f"safe_pickle cannot allow globals outside its vetted list: {unknown}")
    return {n: base[n] for n in names}


_LOAD_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
                UnicodeDecodeError, MemoryError, OverflowError, RecursionError, struct.error)


def _fail(source: str, exc: BaseException) -> DataFormatError:
    if isinstance(exc, _Refused):
        return DataFormatError(source, str(exc))
    return DataFormatError(source, f"not a readable pickle (truncated or corrupt?): {type(exc).__name__}: {exc}"[:500])


def check_nesting(obj, source: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse containers nested deeper than ``max_depth`` (they break ``str``/``repr``/copy)."""
    seen: set[int] = set()
    stack = [(obj, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, tuple, dict, set, frozenset)) or (
                isinstance(value, np.ndarray) and value.dtype.kind == "O"):
            if depth > max_depth:
                raise DataFormatError(source, f"containers nested more than {max_depth} deep")
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, dict):
                items = [*value.keys(), *value.values()]
            elif isinstance(value, np.ndarray):
                items = list(value.flat)
            else:
                items = value
            stack.extend((v, depth + 1) for v in items)


def _open_data_file(path: Path) -> BinaryIO:
    """``path`` opened for binary reading; a missing file is a DataFormatError naming it."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DataFormatError(path, "file not found") from None


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
    with _open_data_file(path) as f:
        return _load_stream(f, str(path), table, encoding)


def restricted_load(f: BinaryIO, *, source: str, allowed: dict[str, object], encoding: str = "latin1",
                    resolve_extra=None, buildable: tuple[type, ...] = ()):
    """The one allow-list unpickler, for readers of other pickled file types (SMPL models, tensor pickles).

    ``allowed`` maps ``"module.name"`` to the object to use; ``resolve_extra(module, name)`` may
    return a stand-in for a whole family of names (e.g. chumpy classes) or ``None`` to refuse.
    ``buildable``: pure-Python classes whose pickled state may be applied (BUILD).
    Refused globals, failed checks and corrupt files raise :class:`DataFormatError` naming ``source``.
    """
    return _load_stream(f, source, allowed, encoding, resolve_extra, buildable)


def _load_stream(f: BinaryIO, source: str, table: dict[str, object], encoding: str, resolve_extra=None,
                 buildable: tuple[type, ...] = ()):
    try:
        obj = _RestrictedUnpickler(f, source=source, allowed=table, encoding=encoding,
                                   resolve_extra=resolve_extra, buildable=buildable).load()
    except DataFormatError:
        raise
    except _LOAD_ERRORS as exc:
        raise _fail(source, exc) from None
    check_nesting(obj, source)
    return obj


# ---------------------------------------------------------------------------- joblib

def _joblib_allowed() -> dict[str, object]:
    from joblib import numpy_pickle

    table = dict(ALLOWED_GLOBALS)
    table["joblib.numpy_pickle.NumpyArrayWrapper"] = numpy_pickle.NumpyArrayWrapper
    return table


_WRAPPER_KEYS = {"subclass", "shape", "order", "dtype", "allow_mmap", "numpy_array_alignment_bytes"}


def _make_joblib_unpickler():
    """A subclass of joblib's NumpyUnpickler whose find_class and BUILD go through this module.

    joblib reads the raw bytes of each array with the dtype and shape of its
    ``NumpyArrayWrapper``; those are checked exactly as a pickled array's are, and the
    budget of bytes left in the file (or the decompression budget) bounds the size before
    joblib allocates. Object arrays (a nested pickle in joblib's layout) are read by this
    module's unpickler, never by a plain one.
    """
    from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler

    class SafeNumpyUnpickler(_CheckedOps, NumpyUnpickler):
        dispatch = NumpyUnpickler.dispatch.copy()

        def __init__(self, filename, reader: _CappedReader, *, source: str, allowed: dict[str, object],
                     byte_limit: int):
            super().__init__(filename, reader, ensure_native_byte_order=True, mmap_mode=None)
            self._source, self._allowed, self._byte_limit = source, allowed, byte_limit

        def find_class(self, module, name):
            return _resolve(module, name, self._allowed, self._source)

        def persistent_load(self, pid):
            raise DataFormatError(self._source, f"refused persistent id {pid!r:.80}")

        dispatch[pickle.BYTEARRAY8[0]] = _CheckedOps._checked_bytearray8

        def load_build(self):
            state = self.stack[-1]
            inst = self.stack[-2] if len(self.stack) > 1 else None
            if not isinstance(inst, NumpyArrayWrapper):
                self._checked_build()
                return
            self.stack.pop()
            self.stack.pop()
            self.stack.append(self._read_wrapped_array(inst, state))

        dispatch[pickle.BUILD[0]] = load_build

        def _read_wrapped_array(self, wrapper, state) -> np.ndarray:
            if not isinstance(state, dict) or not set(state) <= _WRAPPER_KEYS or "dtype" not in state:
                raise _Refused("malformed joblib array wrapper")
            if state.get("subclass", _SafeNdarray) not in (_SafeNdarray, np.ndarray):
                raise _Refused(f"refused array subclass {state.get('subclass')!r:.80}")
            dtype = plain_dtype(state["dtype"], allow_object=True)
            shape = checked_shape(state.get("shape", ()))
            order = state.get("order", "C")
            if order not in ("C", "F"):
                raise _Refused(f"bad array order {order!r:.20}")
            if dtype.kind == "O":
                array = _RestrictedUnpickler(self.file_handle, source=self._source, allowed=self._allowed,
                                             encoding="ASCII").load()
                if not isinstance(array, np.ndarray) or array.dtype.kind != "O" or array.shape != shape:
                    raise _Refused(f"joblib object array does not match its wrapper (shape {shape})")
                return array
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes > self.file_handle.remaining:
                raise _Refused(f"array of shape {shape} ({dtype.str}) needs {nbytes} bytes, more than the file "
                               f"holds or may expand to ({self.file_handle.remaining} left)")
            wrapper.__dict__.update(subclass=np.ndarray, shape=shape, order=order, dtype=dtype,
                                    allow_mmap=False)
            if "numpy_array_alignment_bytes" in state:
                wrapper.numpy_array_alignment_bytes = state["numpy_array_alignment_bytes"]
            return wrapper.read(self, self.ensure_native_byte_order)

    return SafeNumpyUnpickler


def safe_joblib_load(path: str | os.PathLike, *, allowed: Iterable[str] | None = None):
    """Load a ``joblib.dump`` file (compressed or not) through the allow-list.

    Raises :class:`DataFormatError` naming the file for a refused global or dtype, an array
    larger than the file can hold, the old companion-file joblib layout, or a truncated/corrupt file.
    """
    from joblib.numpy_pickle_utils import _detect_compressor, _validate_fileobject_and_memmap

    path = Path(path)
    table = _as_allowed(allowed, _joblib_allowed())
    source = str(path)
    with _open_data_file(path) as f:
        compressor = _detect_compressor(f)
        if compressor == "compat":
            raise DataFormatError(path, "joblib < 0.10 layout with companion array files is not supported "
                                        "(it can load pickled objects unchecked); re-dump it with joblib >= 0.10")
        file_size = os.fstat(f.fileno()).st_size
        limit = file_size if compressor == "not-compressed" else max(MIN_DECOMPRESSED_BUDGET,
                                                                      MAX_COMPRESSION_RATIO * file_size)
        unpickler_cls = _make_joblib_unpickler()
        try:
            with _validate_fileobject_and_memmap(f, source, None) as (fobj, _):
                reader = _CappedReader(fobj, limit)
                obj = unpickler_cls(source, reader, source=source, allowed=table, byte_limit=limit).load()
        except DataFormatError:
            raise
        except (*_LOAD_ERRORS, OSError, io.UnsupportedOperation, zlib.error, lzma.LZMAError) as exc:
            raise _fail(source, exc) from None
    check_nesting(obj, source)
    return obj
