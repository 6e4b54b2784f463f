"""Atomic file and folder writes: a reader sees the old version or the new one, never half of one.

- :func:`atomic_path`: write a file under a temporary name beside it, then rename it into place.
- :func:`atomic_folder`: build a whole set of files (e.g. ``eval --out DIR``) in a temporary
  folder beside it, then swap it in; the old set is replaced whole, never mixed with the new.
- :func:`clean_stale_temporaries`: a killed writer leaves its temporaries (``.NAME.*.tmp``);
  the next writer of the folder (holding its lock, :mod:`posebench.locking`) removes them.

Files and folders get the permissions of an ordinary ``open()``/``mkdir`` under the process
umask (``tempfile`` would leave them 0600/0700).
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

TMP_SUFFIX = ".tmp"  # every temporary this module makes is named ".NAME.<random>.tmp"
OLD_SUFFIX = ".old.tmp"  # the previous set of an atomic_folder swap, until it is deleted


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask is process-wide and not thread-safe)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _chmod_default(path: Path, directory: bool = False) -> None:
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _chmod_default(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def torch_save(path, obj: Any) -> None:
    import torch  # here, not at the top: the CLI imports this module at startup

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _temporaries(folder: Path, name: str | None = None) -> list[Path]:
    pattern = f".{glob.escape(name)}.*{TMP_SUFFIX}" if name else f".*{TMP_SUFFIX}"
    return [p for p in folder.glob(pattern) if not p.is_symlink()]


def clean_stale_temporaries(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Remove the temporaries a killed writer left in ``folder`` (those of ``name`` only, if given).

    Call it while holding the folder's lock: another live writer's temporaries look the same.
    An :func:`atomic_folder` swap killed between its two renames is finished first (the old set
    is put back when the new one never got its name). Returns what was removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    for old in _temporaries(folder, name):
        if old.name.endswith(OLD_SUFFIX) and old.is_dir():
            target = folder / _base_name(old)
            if not target.exists():
                os.replace(old, target)
    removed = []
    for tmp in _temporaries(folder, name):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def _base_name(temporary: Path) -> str:
    """``.NAME.<random>.old.tmp`` -> ``NAME`` (the random part has no dots)."""
    stem = temporary.name[1:]
    stem = stem[: -len(OLD_SUFFIX)] if stem.endswith(OLD_SUFFIX) else stem[: -len(TMP_SUFFIX)]
    return stem.rsplit(".", 1)[0]


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it replaces ``path`` whole.

    The old folder is first renamed aside, then the new one takes its name, then the old one is
    deleted: a reader sees the old set or the new set (or, for an instant, none), never a mix.
    On an error the temporary folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent))
    try:
        yield tmp
        _chmod_default(tmp, directory=True)
        if path.exists() or path.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=OLD_SUFFIX, dir=path.parent))
            os.replace(path, old)  # an empty folder can be replaced by a folder
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
