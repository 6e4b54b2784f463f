"""A training run's folder: one writer at a time, no leftovers, no silent mixing of two runs.

    with run_folder(out_dir, resume=False):      # lock, clean temporaries, refuse a used folder
        ...train, writing last.pt, best.pt, metrics.csv...

- Lock: ``out_dir/.posebench.lock`` (:mod:`posebench.locking`): a second writer fails with a
  LockError naming the lock and the process holding it; a killed run's lock is taken over.
- Temporaries a killed writer left (``.NAME.*.tmp``, :mod:`posebench.io`) are removed.
- A fresh run (not ``resume``) into a folder that holds a run (``last.pt``, ``best.pt`` or
  ``metrics.csv``) is refused, unless ``overwrite``: then that run's files are removed first.
  Without this a new run appended to the old ``metrics.csv`` and kept the old ``best.pt``.

Only DDP rank 0 writes, so only it locks and checks (the other ranks never touch the folder).
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from posebench.errors import PosebenchError
from posebench.io import clean_stale_temporaries
from posebench.locking import folder_lock

RUN_FILES = ("last.pt", "best.pt", "metrics.csv", "train.log", "report.json")  # what a trainer writes
RUN_DIRS = ("tb",)  # TensorBoard events
USED_MARKERS = ("last.pt", "best.pt", "metrics.csv")  # any of these: the folder holds a run


class RunFolderError(PosebenchError):
    """A fresh run into a folder that already holds one (names the folder and the way out)."""


def _is_main_rank() -> bool:
    return int(os.environ.get("RANK", "0")) == 0 if int(os.environ.get("WORLD_SIZE", "1")) > 1 else True


def run_files(folder: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """The files and folders a trainer wrote in ``folder`` (and, if ``recursive``, in its direct
    sub-folders: a stage's folder such as MEVA's ``vae/``; never deeper, ``--out`` may be a big tree)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [folder / n for n in RUN_FILES + RUN_DIRS if (folder / n).exists() or (folder / n).is_symlink()]
    if recursive:
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in RUN_DIRS):
            found += run_files(sub, recursive=False)
    return found


def clear_run(folder: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """Remove the run files of ``folder`` (only the names in RUN_FILES/RUN_DIRS, never anything else)."""
    removed = run_files(folder, recursive)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return removed


def clean_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove killed writers' temporaries in ``folder`` and its direct sub-folders (a stage's
    folder, e.g. MEVA's ``vae/``); hold the folder's lock. Never deeper: ``--out`` may be a big tree."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = clean_stale_temporaries(folder)
    for sub in folder.iterdir():
        if sub.is_dir() and not sub.is_symlink() and not sub.name.startswith("."):
            removed += clean_stale_temporaries(sub)
    return removed


def check_fresh_run(folder: str | os.PathLike, overwrite: bool = False) -> None:
    """Before a run that starts from step 0 in ``folder``: refuse when the folder holds a run
    (RunFolderError), or with ``overwrite`` remove that run's files."""
    folder = Path(folder)
    used = [n for n in USED_MARKERS if (folder / n).exists()]
    if not used:
        return
    if overwrite:
        clear_run(folder)
        return
    raise RunFolderError(f"{folder} already holds a run ({', '.join(used)}); continue it with --resume, "
                         f"start again with --overwrite, or choose another --out")


@contextmanager
def run_folder(folder: str | os.PathLike, *, resume: bool, overwrite: bool = False) -> Iterator[Path]:
    """Hold ``folder`` for one training stage (see the module docstring); yields the folder."""
    folder = Path(folder)
    if not _is_main_rank():
        yield folder
        return
    with folder_lock(folder, "run folder"):
        clean_temporaries(folder)
        if not resume:
            check_fresh_run(folder, overwrite)
        yield folder
