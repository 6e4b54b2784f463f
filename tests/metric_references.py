"""Slow, independent references shared by the metric tests (tests/test_metrics.py,
tests/test_protocols_official.py): plain numpy, one frame at a time, no posebench code."""
from __future__ import annotations

import numpy as np


def procrustes_error(s1, s2):
    """Mean joint distance after the similarity transform that best maps s1 onto s2 (one frame,
    (J, 3) each, same unit as the input): an SVD of the centred cross-covariance, reflection fixed."""
    mu1, mu2 = s1.mean(axis=0), s2.mean(axis=0)
    x1, x2 = s1 - mu1, s2 - mu2
    k = x1.T @ x2
    u, _, vt = np.linalg.svd(k)
    v = vt.T
    z = np.eye(3)
    z[2, 2] = np.sign(np.linalg.det(u @ v.T))
    r = v @ z @ u.T
    scale = np.trace(r @ k) / np.sum(x1 ** 2)
    aligned = np.array([scale * (r @ x) for x in s1]) + (mu2 - scale * (r @ mu1))
    return np.mean([np.linalg.norm(a - b) for a, b in zip(aligned, s2)])
