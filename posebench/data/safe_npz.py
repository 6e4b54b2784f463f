"""Read ``.npz`` files (AMASS motion, SMPL models without chumpy) from untrusted sources.

``np.load(allow_pickle=False)`` already refuses pickled object arrays, but it allocates an
array of the size a member *declares* before reading it: a 3 MB zip of zeros can ask for
3 GB and end in a ``MemoryError`` traceback. :func:`load_npz` reads each member itself:

- every member must be a ``.npy`` array (anything else is refused, naming the member);
- a member's declared uncompressed size may not exceed :data:`MAX_COMPRESSION_RATIO` times
  its compressed size (or :data:`MIN_DECOMPRESSED_BUDGET`, whichever is larger);
- the ``.npy`` header's dtype must be a plain numeric/bool/string dtype and its shape must
  fit in the member's declared size, all checked before anything is allocated.

Every failure is a :class:`~posebench.errors.DataFormatError` naming the file and member.
"""
from __future__ import annotations

import math
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from posebench.data.safe_pickle import MAX_COMPRESSION_RATIO, MIN_DECOMPRESSED_BUDGET, checked_shape, plain_dtype
from posebench.errors import DataFormatError

_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, struct.error, NotImplementedError,
           RuntimeError, KeyError, IndexError, TypeError, UnicodeDecodeError, SyntaxError, OverflowError)


def _member_budget(info: zipfile.ZipInfo) -> int:
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    return max(MIN_DECOMPRESSED_BUDGET, MAX_COMPRESSION_RATIO * info.compress_size)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    key = info.filename[:-len(".npy")]
    if info.file_size > _member_budget(info):
        raise DataFormatError(path, f"declares {info.file_size} bytes uncompressed from {info.compress_size} "
                                    f"compressed (more than {MAX_COMPRESSION_RATIO}x): refused", field=key)
    with zf.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise DataFormatError(path, f".npy format version {version} is not supported", field=key)
        try:
            dtype = plain_dtype(dtype)
            shape = checked_shape(shape)
        except ValueError as exc:
            raise DataFormatError(path, str(exc), field=key) from None
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > info.file_size:
            raise DataFormatError(path, f"shape {shape} of {dtype.str} needs {nbytes} bytes, the member holds "
                                        f"{info.file_size}", field=key)
        data = member.read(nbytes)
    if len(data) != nbytes:
        raise DataFormatError(path, f"truncated: {len(data)} of {nbytes} bytes", field=key)
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file, keyed by member name without ``.npy``.

    Raises FileNotFoundError for a missing file and DataFormatError (naming the file and the
    member) for anything else that is not a well-formed npz of plain arrays.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    out: dict[str, np.ndarray] = {}
    member = None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                member = info.filename
                if not member.endswith(".npy"):
                    raise DataFormatError(path, "not a .npy array member (an .npz holds only .npy arrays)",
                                          field=member)
                out[member[:-len(".npy")]] = _read_member(zf, info, path)
    except DataFormatError:
        raise
    except _ERRORS as exc:
        where = f"member {member!r}: " if member else ""
        raise DataFormatError(path, f"not a readable .npz (truncated or corrupt?): {where}"
                                    f"{type(exc).__name__}: {exc}"[:400]) from None
    return out
