"""Installed distribution versions, for the provenance of results files and checkpoints."""
from __future__ import annotations

import importlib.metadata as md

DISTRIBUTION = "posebench-hmr"  # posebench's name on the package index (pyproject.toml [project] name)


def distribution_version(dist: str = DISTRIBUTION) -> str:
    """The installed version of distribution ``dist``; "unknown" when it is not installed."""
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "unknown"
