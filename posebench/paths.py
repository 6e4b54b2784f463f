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


DEFAULT_CONFIG = "cpu"


def checkpoint_dir(model: str, dataset: str, seed: int = 0, config: str = DEFAULT_CONFIG) -> Path:
    """Where ``posebench train`` writes and ``posebench eval`` looks for a checkpoint.

    One folder per (model, dataset, config, seed), so a quick run never stands in for a full one.
    """
    config_tag = config if "/" not in config and not config.endswith(".py") else Path(config).stem
    return cache_dir() / "checkpoints" / model / dataset / config_tag / f"seed{seed}"
