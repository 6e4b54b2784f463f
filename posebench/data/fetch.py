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
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from posebench.errors import PosebenchError

_CHUNK = 1 << 20
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


def _download(url: str, part: Path, spec: FileSpec, bar) -> bool:
    """Append ``url``'s bytes to ``part`` (resuming when it already holds a prefix). Returns whether it resumed."""
    offset = part.stat().st_size if part.is_file() else 0
    if offset >= spec.size:  # too long or already complete but unchecked: start again
        offset = 0
    stream, resumed = _open_from(url, offset)
    with stream, open(part, "ab" if resumed else "wb") as out:
        if bar is not None and resumed:
            bar.update(offset)
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            out.write(chunk)
            if bar is not None:
                bar.update(len(chunk))
    return resumed


def _fetch_one(spec: FileSpec, dest: Path, source: str | Path, bar) -> None:
    part = dest.with_name(dest.name + ".part")
    if isinstance(source, Path):
        if not source.is_file():
            raise FetchError(f"{spec.relpath}: not in the mirror (looked for {source})")
        shutil.copyfile(source, part)
        if bar is not None:
            bar.update(spec.size)
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
    Raises :class:`ChecksumError` on a hash mismatch and :class:`FetchError` when no source works.
    """
    specs = list(specs)
    dest_dir = Path(dest_dir).expanduser()
    paths = [dest_dir / s.relpath for s in specs]
    todo = [(s, p) for s, p in zip(specs, paths) if not is_present(p, s)]
    if not todo:
        return paths
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(s.size for s, _ in todo), unit="B", unit_scale=True, desc="fetch", file=sys.stderr)
    try:
        for spec, dest in todo:
            dest.parent.mkdir(parents=True, exist_ok=True)
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
    return paths
