"""The built-in post-hoc smoothing filters: ``savgol``, ``one-euro``, ``gaussian``.

Each is a plain signal smoother ``fn(x, fps, **params) -> y``: ``x`` (N, D) float64, one
contiguous run of N frames at ``fps`` frames per second, D independent channels; ``y`` the
same shape. :mod:`posebench.filters.apply` feeds it joint coordinates and (for rotations)
sign-aligned unit quaternions, one covered run of a track at a time.

- ``savgol``: Savitzky-Golay, a least-squares polynomial of degree ``order`` fitted over a
  centred window of ``window`` frames (odd). Edge frames use the polynomial fitted to the
  first/last window (scipy's ``mode="interp"``), so a run keeps its length and no frame is
  padded with invented data. Keeps constants and every polynomial up to ``order`` exactly.
- ``one-euro``: the 1€ filter (Casiez, Roussel, Vogel, CHI 2012): per channel, an exponential
  low-pass whose cutoff grows with the filtered speed, ``cutoff = min_cutoff + beta * |dx/dt|``
  (Hz, speed in units per second, so ``fps`` matters); the speed itself is low-passed at
  ``d_cutoff`` Hz. Causal (online): frame t uses frames up to t only.
- ``gaussian``: convolution with a normalised Gaussian of ``sigma`` frames, truncated at
  4 sigma, edges extended with the nearest frame (scipy ``gaussian_filter1d``,
  ``mode="nearest"``). Non-causal.
"""
from __future__ import annotations

import math

import numpy as np

from posebench.errors import ConfigError

SAVGOL_DEFAULTS = {"window": 9, "order": 2}
ONE_EURO_DEFAULTS = {"min_cutoff": 1.0, "beta": 0.0, "d_cutoff": 1.0}
GAUSSIAN_DEFAULTS = {"sigma": 2.0}
GAUSSIAN_TRUNCATE = 4.0  # kernel radius in sigmas (scipy's default)


def savgol(x: np.ndarray, fps: float, *, window: int = 9, order: int = 2) -> np.ndarray:
    """Savitzky-Golay along axis 0 of ``x`` (N, D). A run shorter than ``window`` uses the
    longest odd window it holds (and a lower order if needed); 1-2 frames pass unchanged."""
    from scipy.signal import savgol_filter

    window, order = int(window), int(order)
    if window < 1 or window % 2 == 0:
        raise ConfigError(f"filter 'savgol': window must be a positive odd number of frames, got {window}")
    if order < 0 or order >= window:
        raise ConfigError(f"filter 'savgol': order must be in [0, window), got order {order}, window {window}")
    n = x.shape[0]
    w = min(window, n if n % 2 else n - 1)
    if w < 3:
        return x.copy()
    return savgol_filter(x, w, min(order, w - 1), axis=0, mode="interp")


def _smoothing_factor(cutoff_hz: np.ndarray | float, fps: float) -> np.ndarray | float:
    """The exponential smoothing weight of a first-order low-pass at ``cutoff_hz`` sampled at ``fps``."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz, dtype=float))
    return 1.0 / (1.0 + tau * fps)


def one_euro(x: np.ndarray, fps: float, *, min_cutoff: float = 1.0, beta: float = 0.0,
             d_cutoff: float = 1.0) -> np.ndarray:
    """The 1€ filter along axis 0 of ``x`` (N, D), each channel on its own (see the module docstring)."""
    if not fps or fps <= 0:
        raise ConfigError(f"filter 'one-euro': the frame rate must be positive, got fps={fps}")
    if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
        raise ConfigError(f"filter 'one-euro': min_cutoff and d_cutoff must be > 0 Hz and beta >= 0, got "
                             f"min_cutoff={min_cutoff}, d_cutoff={d_cutoff}, beta={beta}")
    y = np.empty_like(x, dtype=float)
    if x.shape[0] == 0:
        return y
    y[0] = x[0]
    dx_hat = np.zeros(x.shape[1:], dtype=float)
    a_d = _smoothing_factor(d_cutoff, fps)
    for t in range(1, x.shape[0]):
        dx = (x[t] - x[t - 1]) * fps  # raw speed, units per second (as the authors' reference code)
        dx_hat = a_d * dx + (1.0 - a_d) * dx_hat
        a = _smoothing_factor(min_cutoff + beta * np.abs(dx_hat), fps)
        y[t] = a * x[t] + (1.0 - a) * y[t - 1]
    return y


def gaussian_kernel(sigma: float) -> np.ndarray:
    """The normalised, truncated (``GAUSSIAN_TRUNCATE`` sigmas) Gaussian kernel of :func:`gaussian`."""
    radius = int(GAUSSIAN_TRUNCATE * float(sigma) + 0.5)
    k = np.arange(-radius, radius + 1, dtype=float)
    g = np.exp(-0.5 * (k / float(sigma)) ** 2)
    return g / g.sum()


def gaussian(x: np.ndarray, fps: float, *, sigma: float = 2.0) -> np.ndarray:
    """Gaussian smoothing along axis 0 of ``x`` (N, D), ``sigma`` in frames."""
    from scipy.ndimage import gaussian_filter1d

    if not sigma > 0:
        raise ConfigError(f"filter 'gaussian': sigma must be > 0 frames, got {sigma}")
    return gaussian_filter1d(np.asarray(x, dtype=float), float(sigma), axis=0, mode="nearest",
                             truncate=GAUSSIAN_TRUNCATE)


BUILTIN_FILTERS = (
    ("savgol", savgol, SAVGOL_DEFAULTS,
     "Savitzky-Golay: polynomial of degree `order` fitted over a centred `window` (frames); offline"),
    ("one-euro", one_euro, ONE_EURO_DEFAULTS,
     "1€ filter (Casiez et al. 2012): speed-adaptive low-pass, `min_cutoff`/`d_cutoff` in Hz, `beta`; causal"),
    ("gaussian", gaussian, GAUSSIAN_DEFAULTS,
     "Gaussian smoothing, `sigma` in frames, truncated at 4 sigma; offline"),
)
