"""Cut a track into fixed-length model windows and stitch the outputs back together.

A model sees windows of ``window`` frames. :func:`plan_windows` says which source frames
each window holds (with edge padding where the track runs out) and which of its outputs
are kept; :func:`pad_and_slice` builds a window's input; :func:`stitch` puts the kept
outputs back on the track's timeline and reports which frames were covered.

Policies (``plan_windows(n_frames, window, policy, **params)``):

- ``"full"`` (default): windows of ``window`` frames, stride ``window − overlap``
  (``overlap`` defaults to ``window // 4``); the last window is aligned to the end of the
  track; where two windows overlap, the outputs are hard-cut in the middle of the overlap.
  Every frame is kept exactly once. A track shorter than ``window`` is edge-padded (its
  last frame repeated) to one window and the padded outputs are dropped: posebench's
  declared short-track policy.
- ``"meva"``: MEVA's evaluation (docs/official_implementations.md §2.3). ``overlap`` (default 10, even) windows
  start at 0, 0 + (W − overlap), ... while they fit, plus one extra window on the last W
  frames. Hard cut: the first window keeps local ``[0, W − overlap/2)``, middle windows
  ``[overlap/2, W − overlap/2)``, the extra window its final
  ``n − W − last_start + overlap/2`` frames. With N = W the same window runs twice, as in
  MEVA. N < W: ``short="pad"`` (default) edge-pads like ``"full"`` (a posebench
  extension); ``short="skip"`` gives no window, as MEVA's released evaluation script does
  for tracks under 90 frames.
- ``"vibe"``: VIBE's evaluation (§2.2): non-overlapping windows, the tail that does not
  fill a window is dropped (not covered), tracks shorter than ``window`` get no window.
- ``"hmmr"``: HMMR's evaluation (§2.4): ``margin`` (default 6) padding frames at both
  ends, windows of ``window`` (20) sliding by ``window − 2·margin`` (8), each keeping its
  middle ``window − 2·margin`` outputs. Every frame is kept exactly once. HMMR pads with
  zero images; :func:`pad_and_slice` repeats edge frames unless ``mode="zeros"``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posebench.errors import PosebenchError, ShapeError

POLICIES = ("full", "meva", "vibe", "hmmr")


@dataclass(frozen=True)
class Window:
    """One model window.

    Source frames ``[start, stop)`` fill the window after ``pad_before`` padding frames and
    before ``pad_after`` padding frames, so local frame ``l`` shows source frame
    ``start − pad_before + l`` (clamped to the track for padding). Outputs at local frames
    ``[keep[0], keep[1])`` are kept.
    """

    start: int
    stop: int
    pad_before: int = 0
    pad_after: int = 0
    keep: tuple[int, int] = (0, 0)

    @property
    def length(self) -> int:
        """Frames the model sees (the model's window)."""
        return self.pad_before + (self.stop - self.start) + self.pad_after

    @property
    def kept_source(self) -> tuple[int, int]:
        """Source frames ``[a, b)`` whose outputs this window provides."""
        offset = self.start - self.pad_before
        return offset + self.keep[0], offset + self.keep[1]

    def mask(self) -> np.ndarray:
        """(length,) bool: True for real frames, False for padding."""
        m = np.zeros(self.length, dtype=bool)
        m[self.pad_before:self.pad_before + self.stop - self.start] = True
        return m


def plan_windows(n_frames: int, window: int, policy: str = "full", **params) -> list[Window]:
    """Windows for a track of ``n_frames`` frames under ``policy`` (see module docstring)."""
    n_frames, window = int(n_frames), int(window)
    if n_frames < 0:
        raise ShapeError(f"plan_windows: n_frames must be >= 0, got {n_frames}")
    if window < 1:
        raise ShapeError(f"plan_windows: window must be >= 1, got {window}")
    planners = {"full": _plan_full, "meva": _plan_meva, "vibe": _plan_vibe, "hmmr": _plan_hmmr}
    if policy not in planners:
        raise PosebenchError(f"unknown windowing policy {policy!r}; known: {', '.join(POLICIES)}")
    if n_frames == 0:
        return []
    try:
        return planners[policy](n_frames, window, **params)
    except TypeError as exc:  # an unknown keyword for this policy
        raise PosebenchError(f"windowing policy {policy!r}: {exc}") from None


def _short_track(n: int, window: int) -> list[Window]:
    """One window: the whole track, edge-padded at the end; padded outputs dropped."""
    return [Window(0, n, 0, window - n, (0, n))]


def _plan_full(n: int, window: int, overlap: int | None = None) -> list[Window]:
    overlap = window // 4 if overlap is None else int(overlap)
    if not 0 <= overlap < window:
        raise PosebenchError(f"windowing 'full': overlap must be in [0, {window}), got {overlap}")
    if n <= window:
        return _short_track(n, window)
    stride = window - overlap
    starts = [0]
    while starts[-1] + window < n:
        starts.append(min(starts[-1] + stride, n - window))
    # Cut each overlap in its middle: window i keeps up to cut[i], window i+1 from cut[i].
    cuts = [(nxt + prev + window) // 2 for prev, nxt in zip(starts, starts[1:])]
    bounds = [0] + cuts + [n]
    return [Window(s, s + window, 0, 0, (bounds[i] - s, bounds[i + 1] - s)) for i, s in enumerate(starts)]


def _plan_meva(n: int, window: int, overlap: int = 10, short: str = "pad") -> list[Window]:
    overlap = int(overlap)
    if overlap % 2 or not 0 <= overlap < window:
        raise PosebenchError(f"windowing 'meva': overlap must be even and in [0, {window}), got {overlap}")
    if short not in ("pad", "skip"):
        raise PosebenchError(f"windowing 'meva': short must be 'pad' or 'skip', got {short!r}")
    if n < window:
        return [] if short == "skip" else _short_track(n, window)
    step, half = window - overlap, overlap // 2
    starts = list(range(0, n - window + 1, step))
    plan = []
    for i, s in enumerate(starts):
        keep = (0 if i == 0 else half, window - half)
        plan.append(Window(s, s + window, 0, 0, keep))
    last_chunk = n - window - starts[-1] + half
    plan.append(Window(n - window, n, 0, 0, (window - last_chunk, window)))
    return plan


def _plan_vibe(n: int, window: int) -> list[Window]:
    return [Window(s, s + window, 0, 0, (0, window)) for s in range(0, n - window + 1, window)]


def _plan_hmmr(n: int, window: int, margin: int = 6) -> list[Window]:
    margin = int(margin)
    good = window - 2 * margin
    if margin < 0 or good < 1:
        raise PosebenchError(f"windowing 'hmmr': need window - 2*margin >= 1, got window {window}, margin {margin}")
    plan = []
    for first_kept in range(0, n, good):
        lo, hi = first_kept - margin, first_kept - margin + window  # source range, may leave the track
        start, stop = max(lo, 0), min(hi, n)
        n_kept = min(good, n - first_kept)
        plan.append(Window(start, stop, start - lo, hi - stop, (margin, margin + n_kept)))
    return plan


def pad_and_slice(array, win: Window, mode: str = "edge") -> np.ndarray:
    """The window's input: ``array[start:stop]`` (N, ...) padded to (win.length, ...).

    ``mode="edge"`` repeats the first/last real frame; ``"zeros"`` pads with zeros (HMMR's
    zero images).
    """
    a = np.asarray(array)
    if a.ndim < 1 or not 0 <= win.start < win.stop <= a.shape[0]:
        raise ShapeError(f"pad_and_slice: window [{win.start}, {win.stop}) does not fit an array of shape {a.shape}")
    part = a[win.start:win.stop]
    if win.pad_before == 0 and win.pad_after == 0:
        return part
    if mode not in ("edge", "zeros"):
        raise PosebenchError(f"pad_and_slice: unknown mode {mode!r}; use 'edge' or 'zeros'")
    widths = [(win.pad_before, win.pad_after)] + [(0, 0)] * (a.ndim - 1)
    return np.pad(part, widths, mode="edge" if mode == "edge" else "constant")


def stitch(window_outputs, plan: list[Window], n_frames: int,
           trailing_shape: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Put each window's kept outputs back on the track.

    ``window_outputs``: one array/tensor (win.length, ...) per window of ``plan``. Returns
    ``(out (n_frames, ...), covered (n_frames,) bool)``; frames no window keeps are
    ``covered = False`` and NaN (0 for integer outputs). ``trailing_shape`` is the
    per-frame shape used when the plan is empty (e.g. VIBE on a track < 16 frames).
    """
    if len(window_outputs) != len(plan):
        raise ShapeError(f"stitch: {len(window_outputs)} window outputs for a plan of {len(plan)} windows")
    covered = np.zeros(n_frames, dtype=bool)
    out = None
    for i, (y, win) in enumerate(zip(window_outputs, plan)):
        if hasattr(y, "detach"):
            y = y.detach().cpu().numpy()
        y = np.asarray(y)
        if y.ndim < 1 or y.shape[0] != win.length:
            raise ShapeError(f"stitch: output of window {i} has shape {y.shape}, expected ({win.length}, ...)")
        if out is None:
            fill = np.nan if np.issubdtype(y.dtype, np.floating) else 0
            out = np.full((n_frames,) + y.shape[1:], fill, dtype=y.dtype)
        elif y.shape[1:] != out.shape[1:]:
            raise ShapeError(f"stitch: output of window {i} has shape {y.shape}, others (…, {out.shape[1:]})")
        a, b = win.kept_source
        if a < 0 or b > n_frames:
            raise ShapeError(f"stitch: window {i} keeps source frames [{a}, {b}) outside a {n_frames}-frame track")
        if covered[a:b].any():
            raise ShapeError(f"stitch: window {i} keeps frames already kept by an earlier window")
        out[a:b] = y[win.keep[0]:win.keep[1]]
        covered[a:b] = True
    if out is None:  # no windows: nothing covered
        out = np.full((n_frames, *trailing_shape), np.nan)
    return out, covered


def training_windows(n_frames: int, window: int, stride: int) -> list[tuple[int, int]]:
    """Training crops ``(start, stop)`` of exactly ``window`` frames every ``stride`` frames;
    a track shorter than ``window`` yields none (training never pads)."""
    if window < 1 or stride < 1:
        raise ShapeError(f"training_windows: window and stride must be >= 1, got {window}, {stride}")
    return [(s, s + window) for s in range(0, int(n_frames) - window + 1, stride)]
