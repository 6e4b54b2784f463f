"""Applying a registered filter to a model's stitched per-track output.

A filter plugin only smooths a signal (``fn(x (N, D), fps, **params) -> (N, D)``, see
:mod:`posebench.filters.builtin`); this module decides what the signal is:

- joints (``joints_lsp14_m``, ``joints24_m`` where present): the (N, J*3) coordinates;
- rotations (``rotmat`` where present): on the rotation manifold, as unit quaternions made
  sign-continuous along time (q and -q are the same rotation; without this a filter would
  average across a sign flip), filtered as 4 channels per joint, renormalised, and turned back
  into matrices, so every output is a rotation;
- ``betas`` (per-track shape) are left as they are.

Frames no window covered (NaN) are never filtered across: each contiguous covered run is
filtered on its own. Joint and rotation outputs are filtered separately, so after filtering
the joints are no longer exactly the forward kinematics of the rotations; the metrics use the
joints.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from posebench.errors import PosebenchError


def covered_runs(covered: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the contiguous True runs of ``covered`` (N,) bool."""
    c = np.concatenate([[False], np.asarray(covered, bool), [False]])
    edges = np.flatnonzero(c[1:] != c[:-1])
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def sign_continuous(q: np.ndarray) -> np.ndarray:
    """(N, ..., 4) unit quaternions with each frame's sign chosen to agree with the previous frame's."""
    q = np.array(q, dtype=float, copy=True)
    if q.shape[0] < 2:
        return q
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    flips = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
    q[1:] *= flips[..., None]
    return q


@dataclass(frozen=True)
class ConfiguredFilter:
    """A registered filter with its resolved parameters; call it on a prediction.

    ``spec(pred, fps)`` returns a copy of ``pred`` (any dataclass with ``joints_lsp14_m``,
    ``covered`` and optionally ``joints24_m``/``rotmat``, e.g. ``evaluation.TrackPrediction``)
    with the joints and rotations filtered.
    """

    name: str
    fn: Callable
    params: dict = field(default_factory=dict)
    plugin: str = ""

    def smooth(self, x: np.ndarray, fps: float) -> np.ndarray:
        """(N, D) -> (N, D): the filter on one contiguous run."""
        y = np.asarray(self.fn(np.asarray(x, dtype=float), float(fps), **self.params), dtype=float)
        if y.shape != x.shape:
            raise PosebenchError(f"filter {self.name!r} returned shape {y.shape} for input {x.shape}; "
                                 f"a filter must keep the shape")
        return y

    def filter_points(self, points: np.ndarray, covered: np.ndarray, fps: float) -> np.ndarray:
        """(N, J, 3) points -> the same, each covered run filtered; uncovered frames untouched."""
        out = np.array(points, dtype=float, copy=True)
        n = out.shape[0]
        for a, b in covered_runs(covered):
            out[a:b] = self.smooth(out[a:b].reshape(b - a, -1), fps).reshape(out[a:b].shape)
        return out.reshape(n, *points.shape[1:]).astype(points.dtype, copy=False)

    def filter_rotations(self, rotmat: np.ndarray, covered: np.ndarray, fps: float) -> np.ndarray:
        """(N, J, 3, 3) rotation matrices -> the same, filtered as renormalised unit quaternions."""
        import torch

        from posebench.geometry.rotations import matrix_to_quaternion, quaternion_to_matrix

        out = np.array(rotmat, dtype=float, copy=True)
        for a, b in covered_runs(covered):
            q = matrix_to_quaternion(torch.from_numpy(out[a:b])).numpy()  # (n, J, 4)
            q = sign_continuous(q)
            q = self.smooth(q.reshape(b - a, -1), fps).reshape(q.shape)
            norm = np.linalg.norm(q, axis=-1, keepdims=True)
            q = q / np.where(norm > 1e-8, norm, 1.0)
            out[a:b] = quaternion_to_matrix(torch.from_numpy(q)).numpy()
        return out.astype(rotmat.dtype, copy=False)

    def __call__(self, pred, fps: float):
        covered = np.ones(pred.joints_lsp14_m.shape[0], bool) if pred.covered is None else np.asarray(pred.covered)
        changes = {"joints_lsp14_m": self.filter_points(pred.joints_lsp14_m, covered, fps)}
        if getattr(pred, "joints24_m", None) is not None:
            changes["joints24_m"] = self.filter_points(pred.joints24_m, covered, fps)
        if getattr(pred, "rotmat", None) is not None:
            changes["rotmat"] = self.filter_rotations(pred.rotmat, covered, fps)
        return replace(pred, **changes)

    def describe(self) -> dict:
        """What goes into results.json."""
        return {"filter": self.name, "params": dict(self.params), "plugin": self.plugin}


@dataclass(frozen=True)
class FilterChain:
    """Filters applied one after the other (``vibe+savgol+one-euro``)."""

    filters: tuple[ConfiguredFilter, ...]

    def __call__(self, pred, fps: float):
        for f in self.filters:
            pred = f(pred, fps)
        return pred

    def describe(self) -> list[dict]:
        return [f.describe() for f in self.filters]
