"""Fetch data files: copy them from a mirror or download them, always checked by sha256.

A dataset lists its files as :class:`FileSpec` (path relative to the dataset root, sha256,
size, source URLs). :func:`fetch_files` makes ``dest_dir/relpath`` hold exactly those bytes:

- a file already present with the right sha256 is left alone;
- otherwise the bytes come from ``mirror/relpath`` when a mirror is given (a local folder,
  or an ``http://``, ``https://`` or ``file://`` URL prefix), else from the spec's URLs in
  order (the first that works);
- bytes go to ``<name>.part`` first. A download resumes an existing ``.part`` with an HTTP
  ``Range`` request (``file://`` URLs resume by seeking). The file is renamed to its final
  name only after its sha256 matched, so a reader never sees a half-written or wrong file
  under the final name;
- a checksum mismatch raises :class:`ChecksumError` naming the file and both hashes. When a
  resumed download fails the check, it is downloaded once more from byte 0 first.

Hostile folders and specs are refused: a spec path must be relative without ``..``; every
destination must resolve inside ``dest_dir`` (a planted symlinked sub-folder is refused); a
``.part`` that is a symlink or a hard link is removed, never written through, and ``.part``
files are opened with ``O_NOFOLLOW``; a mirror file of the wrong size is refused before
anything is copied, and a download that sends more than the spec's size is stopped. One
fetch at a time writes a dataset folder: a second one fails with
:class:`~posebench.locking.LockError` naming the lock file.
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable

from posebench.errors import PosebenchError
from posebench.locking import folder_lock

_CHUNK = 1 << 20
_HASH_WRONG_SIZE_UP_TO = 16 << 20  # a mirror file of the wrong size is hashed for the message only if small
_URL_SCHEMES = ("http", "https", "file")


class ChecksumError(PosebenchError):
    """A fetched file whose sha256 is not the expected one."""

    def __init__(self, name: str, source: str, expected: str, actual: str):
        super().__init__(f"{name}: sha256 mismatch for the copy from {source}: expected {expected}, got {actual}")
        self.name, self.source, self.expected, self.actual = name, source, expected, actual


class FetchError(PosebenchError):
    """A file that could not be obtained from any source."""


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset: where it goes (``relpath``), what it must hash to, where it comes from."""

    relpath: str
    sha256: str
    size: int
    urls: list[str] = field(default_factory=list)

    def __post_init__(self):
        parts = PurePosixPath(self.relpath).parts
        if (not self.relpath or PurePosixPath(self.relpath).is_absolute() or PureWindowsPath(self.relpath).drive
                or ".." in parts or "\\" in self.relpath):
            raise FetchError(f"{self.relpath!r}: a dataset file path must be relative and stay inside the "
                             "dataset folder (no '..', not absolute)")
        if not isinstance(self.size, int) or self.size < 0:
            raise FetchError(f"{self.relpath}: size must be a non-negative int, got {self.size!r}")


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def is_present(path: Path, spec: FileSpec) -> bool:
    """True when ``path`` exists with the spec's size and sha256 (size is checked first: cheap)."""
    return path.is_file() and path.stat().st_size == spec.size and sha256_file(path) == spec.sha256


def _is_url(mirror: str | os.PathLike) -> bool:
    return isinstance(mirror, str) and urllib.parse.urlparse(mirror).scheme in _URL_SCHEMES


def _sources(spec: FileSpec, mirror: str | os.PathLike | None) -> list[str | Path]:
    """Where to get the file from, in order. A mirror replaces the spec's URLs (offline use)."""
    if mirror is None:
        return list(spec.urls)
    if _is_url(mirror):
        return [str(mirror).rstrip("/") + "/" + urllib.parse.quote(spec.relpath)]
    return [Path(mirror).expanduser() / spec.relpath]


def _open_from(url: str, offset: int):
    """Open ``url`` for reading from byte ``offset``. Returns (stream, resumed: bool)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        f = open(urllib.request.url2pathname(parsed.path), "rb")
        f.seek(offset)
        return f, offset > 0
    req = urllib.request.Request(url, headers={"User-Agent": "posebench"})
    if offset > 0:
        req.add_header("Range", f"bytes={offset}-")
    resp = urllib.request.urlopen(req, timeout=60)
    # 206 = the server honoured the Range header; 200 = it sends the whole file again.
    return resp, offset > 0 and getattr(resp, "status", None) == 206


def _regular_part_size(part: Path) -> int:
    """Size of a resumable ``.part``; a symlink, hard link or non-file there is removed (never followed)."""
    try:
        st = os.lstat(part)
    except FileNotFoundError:
        return 0
    if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
        return st.st_size
    if stat.S_ISDIR(st.st_mode):
        raise FetchError(f"{part}: is a folder; remove it")
    part.unlink()  # a planted link: remove the link itself, its target is untouched
    return 0


def _open_part(part: Path, append: bool):
    """Open ``part`` for writing without following a symlink; a fresh file unless ``append``."""
    if not append:
        _regular_part_size(part)
        part.unlink(missing_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    else:
        flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW
    return os.fdopen(os.open(part, flags, 0o666), "ab" if append else "wb")


def _copy_limited(stream, out, limit: int, what: str, bar) -> None:
    """Copy ``stream`` to ``out``; stop with FetchError once more than ``limit`` bytes came."""
    written = 0
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        written += len(chunk)
        if written > limit:
            raise FetchError(f"{what}: sent more than the expected {limit} bytes; stopped")
        out.write(chunk)
        if bar is not None:
            bar.update(len(chunk))


def _download(url: str, part: Path, spec: FileSpec, bar) -> bool:
    """Append ``url``'s bytes to ``part`` (resuming when it already holds a prefix). Returns whether it resumed."""
    offset = _regular_part_size(part)
    if offset >= spec.size:  # too long or already complete but unchecked: start again
        offset = 0
    stream, resumed = _open_from(url, offset)
    with stream:
        start = offset if resumed else 0
        length = getattr(stream, "headers", {}).get("Content-Length") if hasattr(stream, "headers") else None
        if length is not None and length.isdigit() and start + int(length) > spec.size:
            raise FetchError(f"{url}: announces {start + int(length)} bytes, expected {spec.size}")
        with _open_part(part, append=resumed) as out:
            if bar is not None and resumed:
                bar.update(offset)
            _copy_limited(stream, out, spec.size - start, url, bar)
    return resumed


def _check_inside(dest: Path, root: Path) -> None:
    """``dest``'s folder must resolve inside ``root`` (a symlinked sub-folder could point anywhere)."""
    if not dest.parent.resolve().is_relative_to(root):
        raise FetchError(f"{dest}: its folder resolves to {dest.parent.resolve()}, outside the dataset folder "
                         f"{root}; refusing to write there")


def _fetch_one(spec: FileSpec, dest: Path, source: str | Path, bar) -> None:
    part = dest.with_name(dest.name + ".part")
    if isinstance(source, Path):
        if not source.is_file():
            raise FetchError(f"{spec.relpath}: not in the mirror (looked for {source})")
        size = source.stat().st_size
        if size != spec.size:  # refused before copying anything
            actual = sha256_file(source) if size <= _HASH_WRONG_SIZE_UP_TO else f"a file of {size} bytes"
            raise ChecksumError(spec.relpath, f"{source} ({size} bytes, expected {spec.size})", spec.sha256, actual)
        with open(source, "rb") as src, _open_part(part, append=False) as out:
            _copy_limited(src, out, spec.size, str(source), bar)
        resumed = False
    else:
        resumed = _download(source, part, spec, bar)
    actual = sha256_file(part)
    if actual != spec.sha256 and resumed:
        # The old .part may have held bytes of another version: one clean retry from byte 0.
        part.unlink()
        _download(source, part, spec, None)
        actual = sha256_file(part)
    if actual != spec.sha256:
        part.unlink()
        raise ChecksumError(spec.relpath, str(source), spec.sha256, actual)
    os.replace(part, dest)


def fetch_files(
    specs: Iterable[FileSpec],
    dest_dir: str | os.PathLike,
    mirror: str | os.PathLike | None = None,
    progress: bool = True,
) -> list[Path]:
    """Make ``dest_dir/spec.relpath`` hold each file; return their paths (in ``specs`` order).

    ``mirror``: a local folder or an http/https/file URL prefix laid out like ``dest_dir``
    (e.g. ``../shared/realdata``); when given, only the mirror is used (no network).
    Raises :class:`ChecksumError` on a hash mismatch, :class:`FetchError` when no source works
    and :class:`~posebench.locking.LockError` when another process is fetching into ``dest_dir``.
    """
    specs = list(specs)
    dest_dir = Path(dest_dir).expanduser()
    paths = [dest_dir / s.relpath for s in specs]
    if all(is_present(p, s) for s, p in zip(specs, paths)):
        return paths
    with folder_lock(dest_dir, "dataset folder"):
        _fetch_missing(specs, paths, dest_dir, mirror, progress)
    return paths


def _fetch_missing(specs: list[FileSpec], paths: list[Path], dest_dir: Path, mirror, progress: bool) -> None:
    root = dest_dir.resolve()
    todo = [(s, p) for s, p in zip(specs, paths) if not is_present(p, s)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(s.size for s, _ in todo), unit="B", unit_scale=True, desc="fetch", file=sys.stderr)
    try:
        for spec, dest in todo:
            _check_inside(dest, root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            _check_inside(dest, root)
            sources = _sources(spec, mirror)
            if not sources:
                raise FetchError(f"{spec.relpath}: no URL and no mirror to fetch it from")
            errors = []
            for source in sources:
                try:
                    _fetch_one(spec, dest, source, bar)
                    break
                except ChecksumError:
                    raise
                except (OSError, FetchError) as e:  # URLError is an OSError: try the next source
                    errors.append(f"{source}: {e}")
            else:
                raise FetchError(f"{spec.relpath}: could not fetch it from any source: " + "; ".join(errors))
    finally:
        if bar is not None:
            bar.close()
