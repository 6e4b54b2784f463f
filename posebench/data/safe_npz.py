"""Read ``.npz`` and ``.npy`` files (AMASS motion, SMPL models, predictions) from untrusted sources.

``np.load(allow_pickle=False)`` already refuses pickled object arrays, but it allocates an
array of the size a member *declares* before reading it: a 3 MB zip of zeros can ask for
3 GB and end in a ``MemoryError`` traceback. :func:`load_npz` reads each member itself:

- every member must be a ``.npy`` array (anything else is refused, naming the member);
- a member's declared uncompressed size may not exceed :data:`MAX_COMPRESSION_RATIO` times
  its compressed size (or :data:`MIN_DECOMPRESSED_BUDGET`, whichever is larger);
- the ``.npy`` header's dtype must be a plain numeric/bool/string dtype and its shape must
  fit in the member's declared size, all checked before anything is allocated.

Every failure is a :class:`~posebench.errors.DataFormatError` naming the file and member.
:func:`open_npz` is the lazy form (members read on access, for files too large to hold at
once); :func:`load_npy` reads a single ``.npy`` file with the same header checks.
"""
from __future__ import annotations

import math
import os
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from posebench.data.safe_pickle import MAX_COMPRESSION_RATIO, MIN_DECOMPRESSED_BUDGET, checked_shape, plain_dtype
from posebench.errors import DataFormatError

_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, struct.error, NotImplementedError,
           RuntimeError, KeyError, IndexError, TypeError, UnicodeDecodeError, SyntaxError, OverflowError)


NPY_MAGIC = b"\x93NUMPY"


def _member_budget(info: zipfile.ZipInfo) -> int:
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    return max(MIN_DECOMPRESSED_BUDGET, MAX_COMPRESSION_RATIO * info.compress_size)


def _read_array(f: BinaryIO, size: int, path: Path, key: str | None) -> np.ndarray:
    """One ``.npy`` stream of ``size`` bytes (header included): header checked, then exactly its bytes read."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise DataFormatError(path, f".npy format version {version} is not supported", field=key)
    try:
        dtype = plain_dtype(dtype)
        shape = checked_shape(shape)
    except ValueError as exc:
        raise DataFormatError(path, str(exc), field=key) from None
    nbytes = math.prod(shape) * dtype.itemsize
    available = size - f.tell()  # the bytes after the header
    if nbytes > available:
        held = "the member holds" if key is not None else "the file holds"
        raise DataFormatError(path, f"shape {shape} of {dtype.str} needs {nbytes} bytes, {held} {available}",
                              field=key)
    order = "F" if fortran else "C"
    if nbytes == 0:
        return np.empty(shape, dtype=dtype, order=order)
    buffer = np.empty(nbytes, dtype=np.uint8)  # read in place: the array's bytes are held once
    view, filled = memoryview(buffer), 0
    while filled < nbytes:
        got = f.readinto(view[filled:])
        if not got:
            raise DataFormatError(path, f"truncated: {filled} of {nbytes} bytes", field=key)
        filled += got
    return buffer.view(dtype).reshape(shape, order=order)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    key = info.filename[:-len(".npy")]
    if info.file_size > _member_budget(info):
        raise DataFormatError(path, f"declares {info.file_size} bytes uncompressed from {info.compress_size} "
                                    f"compressed (more than {MAX_COMPRESSION_RATIO}x): refused", field=key)
    with zf.open(info) as member:
        return _read_array(member, info.file_size, path, key)


def _unreadable(path: Path, exc: BaseException, member: str | None) -> DataFormatError:
    where = f"member {member!r}: " if member else ""
    return DataFormatError(path, f"not a readable .npz (truncated or corrupt?): {where}"
                                 f"{type(exc).__name__}: {exc}"[:400])


class NpzArchive(Mapping):
    """An open ``.npz``: ``archive[key]`` reads and checks one member (see :func:`open_npz`)."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]):
        self.path, self._zf, self._members = path, zf, members

    @property
    def files(self) -> list[str]:
        """The member names without ``.npy`` (as ``numpy.lib.npyio.NpzFile.files``)."""
        return list(self._members)

    def __getitem__(self, key: str) -> np.ndarray:
        info = self._members[key]
        try:
            return _read_member(self._zf, info, self.path)
        except DataFormatError:
            raise
        except _ERRORS as exc:
            raise _unreadable(self.path, exc, info.filename) from None

    def __iter__(self):
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, key) -> bool:  # without reading the member (Mapping's default would)
        return key in self._members

    def close(self) -> None:
        self._zf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_npz(path: str | os.PathLike) -> NpzArchive:
    """Open an ``.npz`` lazily: every member name is checked now, each array when it is read.

    Raises FileNotFoundError for a missing file and DataFormatError (naming the file and the
    member) for a single ``.npy`` array, a non-``.npy`` member or a file that is not a zip.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    try:
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) == NPY_MAGIC:
                raise DataFormatError(path, "is a single .npy array, not an .npz archive of keys")
        zf = zipfile.ZipFile(path)
    except DataFormatError:
        raise
    except _ERRORS as exc:
        raise _unreadable(path, exc, None) from None
    members = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            zf.close()
            raise DataFormatError(path, "not a .npy array member (an .npz holds only .npy arrays)",
                                  field=info.filename)
        members[info.filename[:-len(".npy")]] = info
    return NpzArchive(path, zf, members)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file, keyed by member name without ``.npy``.

    Raises FileNotFoundError for a missing file and DataFormatError (naming the file and the
    member) for anything else that is not a well-formed npz of plain arrays.
    """
    with open_npz(path) as archive:
        return {key: archive[key] for key in archive.files}


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """The array of a single ``.npy`` file (plain dtype; its shape must fit in the file's bytes).

    Raises FileNotFoundError for a missing file and DataFormatError naming the file otherwise.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found")
    try:
        with open(path, "rb") as f:
            return _read_array(f, os.fstat(f.fileno()).st_size, path, None)
    except DataFormatError:
        raise
    except _ERRORS as exc:
        raise DataFormatError(path, f"not a readable .npy file: {type(exc).__name__}: {exc}"[:400]) from None
