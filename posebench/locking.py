"""One writer per folder: an advisory lock file that a second writer reports instead of racing.

    with folder_lock(out_dir, "run folder"):      # LockError naming the lock file and holder
        ...write into out_dir...

The lock is ``fcntl.flock`` on ``<folder>/.posebench.lock``, which holds the owner's pid, host
and command line for the message. The kernel drops a flock when its process dies, so the lock
of a killed run is taken over without any staleness guess. Within one process the lock is
re-entrant, and holding a folder's lock covers its sub-folders (a trainer holding the run folder
may call the core loop on a sub-folder). Linux/macOS (POSIX flock).
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from posebench.errors import PosebenchError

LOCK_NAME = ".posebench.lock"

_held: dict[Path, int] = {}  # folder (resolved) -> depth of nested holds in this process
_held_guard = threading.Lock()


class LockError(PosebenchError):
    """Another process is writing into the same folder."""


def lock_path(folder: str | os.PathLike) -> Path:
    return Path(folder) / LOCK_NAME


def _covering_hold(folder: Path) -> Path | None:
    for held in _held:
        if folder == held or held in folder.parents:
            return held
    return None


def _describe_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    return (f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('started', '?')} "
            f"({info.get('command', '?')})")


def _acquire(folder: Path, path: Path, what: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockError(f"{path}: the {what} {folder} is in use by {_describe_holder(path)}; wait for it to "
                            f"finish or write elsewhere (the lock frees itself when that process ends)") from None
        # The previous owner may have unlinked the file between our open and flock: then this lock
        # guards a deleted inode, and another process could create and lock a new file. Retry.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:300]}
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps(info).encode())
    return fd


@contextmanager
def folder_lock(folder: str | os.PathLike, what: str = "folder", lock_file: str | os.PathLike | None = None
                ) -> Iterator[Path]:
    """Hold ``folder``'s lock for the block; yields the lock file's path.

    The lock file is ``folder/.posebench.lock`` (the folder is created), or ``lock_file`` for a
    folder that is replaced whole while locked (an output set locks a file beside it). Raises
    :class:`LockError` naming the lock file and its holder when another process holds it.
    """
    folder = Path(folder).expanduser().resolve()
    path = Path(lock_file).expanduser().resolve() if lock_file is not None else lock_path(folder)
    with _held_guard:
        covering = _covering_hold(folder)
        if covering is not None:
            _held[covering] += 1
    if covering is not None:
        try:
            yield path
        finally:
            with _held_guard:
                _held[covering] -= 1
        return
    if lock_file is None:
        folder.mkdir(parents=True, exist_ok=True)
    fd = _acquire(folder, path, what)
    with _held_guard:
        _held[folder] = 1
    try:
        yield path
    finally:
        with _held_guard:
            del _held[folder]
        try:
            path.unlink()  # while still locked: nobody can be between open and flock on it
        except FileNotFoundError:
            pass
        os.close(fd)
