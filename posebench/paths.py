"""Where posebench reads data and writes caches. Every location can be overridden.

- ``POSEBENCH_DATA``: root of the datasets (one sub-folder per dataset, e.g. ``cmu/``,
  ``3dpw/``). Default: ``~/.cache/posebench/data``.
- ``POSEBENCH_CACHE``: checkpoints, built benchmark caches. Default: ``~/.cache/posebench``.
- ``POSEBENCH_BODY_MODELS``: folder with SMPL model files (``SMPL_NEUTRAL.pkl`` ...).
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("POSEBENCH_CACHE", Path.home() / ".cache" / "posebench")).expanduser()


def data_root() -> Path:
    env = os.environ.get("POSEBENCH_DATA")
    return Path(env).expanduser() if env else cache_dir() / "data"


def dataset_dir(name: str, root: Path | str | None = None) -> Path:
    return (Path(root).expanduser() if root is not None else data_root() / name)


def body_models_dir() -> Path | None:
    env = os.environ.get("POSEBENCH_BODY_MODELS")
    return Path(env).expanduser() if env else None
