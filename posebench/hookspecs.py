"""The plugin hooks of posebench, in one place.

A plugin is a module (or object) with functions named like the specs below. Built-in
models and datasets register through exactly these hooks, from the ``posebench``
entry-point group, the same way a third-party package does::

    # pyproject.toml of a third-party package
    [project.entry-points.posebench]
    mymodel = "mymodel_posebench.plugin"

Each ``register`` callable takes one typed spec of :mod:`posebench.specs` (``ModelSpec``,
``DatasetSpec``, ``MetricSpec``, ``ProtocolSpec``, ``FilterSpec``), whose fields are documented
there; :class:`posebench.registry.Registry` checks names. The older ``register(name, factory,
**metadata)`` still works for one release, with a DeprecationWarning.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

hookspec = pluggy.HookspecMarker("posebench")
hookimpl = pluggy.HookimplMarker("posebench")


@hookspec
def posebench_register_models(register: Callable) -> None:
    """Register models: ``register(ModelSpec("meva", build, train=train, window=90, ...))``.

    ``build(cfg: dict | None) -> posebench.models.PoseModel``; ``train``: :class:`posebench.specs.TrainFn`.
    A model with a tiny ``NAME-test`` twin registers both with :func:`posebench.specs.register_with_test_twin`.
    """


@hookspec
def posebench_register_datasets(register: Callable) -> None:
    """Register datasets: ``register(DatasetSpec("cmu", factory, description=..., licence=...))``.

    ``factory(root: Path | None, **options) -> posebench.data.PoseDataset``.
    """


@hookspec
def posebench_register_metrics(register: Callable) -> None:
    """Register per-frame metrics: ``register(MetricSpec("mpjpe", fn, unit="mm"))``."""


@hookspec
def posebench_register_protocols(register: Callable) -> None:
    """Register evaluation protocols: ``register(ProtocolSpec.of(Protocol(id="myproto-v1", ...)))``."""


@hookspec
def posebench_register_filters(register: Callable) -> None:
    """Register post-hoc filters: ``register(FilterSpec("savgol", fn, defaults={"window": 9, "order": 2}))``.

    ``fn(x: np.ndarray (N, D) float64, fps: float, **params) -> np.ndarray (N, D)`` smooths one
    contiguous run of N frames, each of the D channels a signal over time. ``defaults`` names
    every parameter (unknown ones are refused). The harness feeds it a track's joints and its
    rotations as sign-continuous unit quaternions, renormalised afterwards
    (:mod:`posebench.filters.apply`). Used as ``MODEL+FILTER``, e.g. ``vibe+savgol``.
    """


@hookspec
def posebench_register_commands(cli: "click.Group") -> None:
    """Add click commands or groups to the ``posebench`` CLI."""
