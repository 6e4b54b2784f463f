"""How a 2D detector errs over time: the ONE implementation behind ``posebench data noise-stats``.

The same code measures a synthetic detector (the CMU benchmark) and a real one (AIST++), so
the two can be compared number for number. A dataset hands over :class:`NoiseTrack` objects
(detections, the noise-free projections of the *same* keypoint definition, the box size);
:func:`measure` pools them. Definitions (as in the AIST++ detector study the defaults are
calibrated to; see docs/detector_noise.md):

- box size: max(width, height) of the tight box around the GT keypoints' projections, per frame;
- 2D error: per keypoint and frame, ``|det - gt|`` in px; also as % of the box;
- acceleration error (SmoothNet's definition): per keypoint ``|D2 det - D2 gt|`` with
  ``D2 x_t = x_{t-1} - 2 x_t + x_{t+1}``, px/frame^2, only where all three frames are present;
  ratio = mean acceleration error / mean 2D error (scale-free, depends on the frame rate);
- autocorrelation: of the de-meaned per-keypoint, per-axis error series, pooled over series,
  at lags in frames (pairs where either frame is missing are skipped);
- confidence vs error: Spearman rank correlation over present keypoints;
- swap: a left/right pair whose crossed assignment costs < 0.5 x the straight one, counted only
  where the two GT keypoints are > 5% of the box apart; ``swap_rate`` = share of frames with at
  least one such pair, ``flip_rate`` = share of frames where every eligible pair (>= 3) is swapped;
- dropout: a keypoint with confidence < 0.05 (or missing); outlier: error > 20% of the box;
- run length: consecutive frames in a state (per track for swaps, per keypoint for the others).

Statistics are computed on the keypoints a dataset marks as scored (the 12 limb joints that COCO
and LSP-14 share), so face points do not dilute them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posebench.errors import ShapeError

LAGS = (1, 2, 5, 10)
LOW_CONF = 0.05
OUTLIER_BOX = 0.20
SWAP_COST_RATIO = 0.5
SWAP_MIN_SEPARATION_BOX = 0.05

# Reference ranges printed beside each statistic: the AIST++ measurement at 30 fps where there
# is one (a real in-house COCO detector; see docs/detector_noise.md) and the benchmark's targets.
REFERENCE = {
    "err_pct_box": "AIST++ 3.2 (median 1.6); H36M detectors ~1-2",
    "accel_to_err_ratio": "0.5-1.1 (AIST++ 0.89 at 30 fps); H36M 0.16-0.44 at 50 fps",
    "autocorr_1": ">= 0.5 (AIST++ ~0.63 at 30 fps)",
    "autocorr_5": "AIST++ ~0.29 at 30 fps",
    "conf_err_spearman": "-0.65 to -0.35 (AIST++ -0.50)",
    "swap_rate": "1-5% (AIST++ 2.9% of frames)",
    "flip_rate": "AIST++ 0.5% of frames",
    "swap_run_mean": "AIST++ ~1.5 frames at 30 fps",
    "dropout_rate": "AIST++ 10.4% of all 17 keypoints (mostly face)",
    "dropout_run_mean": "AIST++ ~6 frames at 30 fps",
    "outlier_rate": "1-5% (AIST++ 2.3% of keypoints)",
    "outlier_run_mean": "AIST++ ~2 frames at 30 fps",
}


@dataclass
class NoiseTrack:
    """One track's detections and noise-free projections of the same keypoints (pixels).

    det_px (T, K, 3) x, y, confidence; a keypoint is missing where x or y is not finite or where
    confidence <= 0 and x = y = 0. gt_px (T, K, 2); gt_valid (T, K) bool; box_px (T,) box size.
    scored: indices of the keypoints that count; pairs: (left, right) index pairs into K.
    """

    det_px: np.ndarray
    gt_px: np.ndarray
    gt_valid: np.ndarray
    box_px: np.ndarray
    fps: float
    scored: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]
    name: str = "track"

    def __post_init__(self):
        T, K = self.det_px.shape[:2]
        if self.det_px.shape != (T, K, 3) or self.gt_px.shape != (T, K, 2) or self.gt_valid.shape != (T, K) \
                or self.box_px.shape != (T,):
            raise ShapeError(f"{self.name}: noise track needs det_px (T, K, 3), gt_px (T, K, 2), gt_valid (T, K), "
                             f"box_px (T,); got {self.det_px.shape}, {self.gt_px.shape}, {self.gt_valid.shape}, "
                             f"{self.box_px.shape}")


def gt_box_size(gt_px: np.ndarray, gt_valid: np.ndarray) -> np.ndarray:
    """(T, K, 2) GT pixels, (T, K) valid -> (T,) max(width, height) of the valid points' box (NaN if none)."""
    pts = np.where(gt_valid[..., None], gt_px, np.nan)
    with np.errstate(all="ignore"), _no_nan_warnings():
        extent = np.nanmax(pts, axis=1) - np.nanmin(pts, axis=1)
        return np.nanmax(extent, axis=-1) if extent.size else np.zeros(len(gt_px))


class _no_nan_warnings:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)


def present_mask(det_px: np.ndarray) -> np.ndarray:
    """(T, K) bool: the detector gave coordinates for the keypoint."""
    xy = det_px[..., :2]
    finite = np.isfinite(xy).all(-1) & np.isfinite(det_px[..., 2])
    zero = (det_px[..., 2] <= 0) & (xy == 0).all(-1)
    return finite & ~zero


def run_lengths(state: np.ndarray) -> np.ndarray:
    """Lengths of the runs of True along axis 0 of ``state`` (T,) or (T, K), all series pooled."""
    s = np.asarray(state, bool)
    if s.ndim == 1:
        s = s[:, None]
    padded = np.concatenate([np.zeros((1, s.shape[1]), bool), s, np.zeros((1, s.shape[1]), bool)]).astype(np.int8)
    d = np.diff(padded, axis=0)
    out = []
    for k in range(s.shape[1]):
        starts, stops = np.flatnonzero(d[:, k] == 1), np.flatnonzero(d[:, k] == -1)
        out.append(stops - starts)
    return np.concatenate(out) if out else np.zeros(0, int)


def _spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation; None where it is undefined (a constant side, e.g. no noise)."""
    from scipy.stats import spearmanr

    if len(x) < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    return float(spearmanr(x, y).statistic)


def measure(tracks: list[NoiseTrack], *, lags: tuple[int, ...] = LAGS) -> dict:
    """Pool the statistics of the module docstring over ``tracks``. Returns plain floats.

    Keys: err_px, err_median_px, err_pct_box, err_median_pct_box, accel_err_px, accel_to_err_ratio,
    autocorr ({str(lag): r}), conf_err_spearman (None when undefined), swap_rate, flip_rate, swap_run_mean, dropout_rate,
    dropout_run_mean, outlier_rate, outlier_run_mean, keypoints, frames, fps.
    """
    if not tracks:
        raise ShapeError("noise stats: no tracks to measure")
    fps = sorted({float(t.fps) for t in tracks})
    err_all, pct_all, conf_all, accel_all = [], [], [], []
    num = {lag: 0.0 for lag in lags}
    den = 0.0
    swap_frames = flip_frames = eligible_frames = 0
    swap_runs, drop_runs, out_runs = [], [], []
    n_kp = n_low = n_out = 0
    for tr in tracks:
        idx = list(tr.scored)
        det = np.asarray(tr.det_px, np.float64)[:, idx]
        gt = np.asarray(tr.gt_px, np.float64)[:, idx]
        valid = np.asarray(tr.gt_valid, bool)[:, idx] & np.isfinite(gt).all(-1)
        box = np.asarray(tr.box_px, np.float64)
        valid &= np.isfinite(box)[:, None] & (box > 0)[:, None]
        present = present_mask(det[..., :3] if det.shape[-1] == 3 else det) & valid
        conf = np.where(np.isfinite(det[..., 2]), det[..., 2], 0.0)
        diff = np.where(present[..., None], det[..., :2] - gt, np.nan)
        err = np.linalg.norm(diff, axis=-1)
        pct = err / box[:, None] * 100.0
        err_all.append(err[present])
        pct_all.append(pct[present])
        conf_all.append(conf[present])
        # acceleration error, all three frames present
        ok3 = present[:-2] & present[1:-1] & present[2:]
        d2 = diff[:-2] - 2 * diff[1:-1] + diff[2:]
        accel_all.append(np.linalg.norm(d2, axis=-1)[ok3])
        # autocorrelation of the de-meaned per-keypoint, per-axis series
        mean = np.nanmean(np.where(present[..., None], diff, np.nan), axis=0) if present.any() else 0.0
        centred = np.where(present[..., None], diff - np.nan_to_num(mean), 0.0)
        den += float((centred**2).sum())
        for lag in lags:
            if lag < len(centred):
                both = (present[:-lag] & present[lag:])[..., None]
                num[lag] += float((centred[:-lag] * centred[lag:] * both).sum())
        # low confidence and outliers (missing keypoints count as dropped)
        low = valid & (~present | (conf < LOW_CONF))
        out = present & (pct > OUTLIER_BOX * 100.0)
        n_kp += int(valid.sum())
        n_low += int(low.sum())
        n_out += int(out.sum())
        drop_runs.append(run_lengths(low))
        out_runs.append(run_lengths(out))
        # swaps
        pos = {k: i for i, k in enumerate(idx)}
        swapped_pairs, eligible_pairs = [], []
        for left, right in tr.pairs:
            if left not in pos or right not in pos:
                continue
            a, b = pos[left], pos[right]
            both = present[:, a] & present[:, b]
            sep = np.linalg.norm(gt[:, a] - gt[:, b], axis=-1)
            elig = both & (sep > SWAP_MIN_SEPARATION_BOX * box)
            straight = np.linalg.norm(det[:, a, :2] - gt[:, a], axis=-1) + np.linalg.norm(det[:, b, :2] - gt[:, b],
                                                                                           axis=-1)
            crossed = np.linalg.norm(det[:, a, :2] - gt[:, b], axis=-1) + np.linalg.norm(det[:, b, :2] - gt[:, a],
                                                                                          axis=-1)
            with np.errstate(invalid="ignore"):
                swapped_pairs.append(elig & (crossed < SWAP_COST_RATIO * straight))
            eligible_pairs.append(elig)
        if swapped_pairs:
            sw, el = np.stack(swapped_pairs, 1), np.stack(eligible_pairs, 1)
            frame_swapped = sw.any(1)
            n_elig = el.sum(1)
            swap_frames += int(frame_swapped.sum())
            flip_frames += int(((sw.sum(1) == n_elig) & (n_elig >= 3)).sum())
            eligible_frames += int((n_elig > 0).sum())
            swap_runs.append(run_lengths(frame_swapped))
    err = np.concatenate(err_all)
    pct = np.concatenate(pct_all)
    conf = np.concatenate(conf_all)
    accel = np.concatenate(accel_all)

    def mean(x):
        return float(np.mean(x)) if len(x) else float("nan")

    def runs_mean(runs):
        r = np.concatenate(runs) if runs else np.zeros(0)
        return mean(r) if len(r) else 0.0

    err_px = mean(err)
    return {
        "err_px": err_px,
        "err_median_px": float(np.median(err)) if len(err) else float("nan"),
        "err_pct_box": mean(pct),
        "err_median_pct_box": float(np.median(pct)) if len(pct) else float("nan"),
        "accel_err_px": mean(accel),
        "accel_to_err_ratio": mean(accel) / err_px if err_px > 0 else 0.0,
        "autocorr": {str(lag): (num[lag] / den if den > 0 else 0.0) for lag in lags},
        "conf_err_spearman": _spearman(conf, err),
        "swap_rate": swap_frames / eligible_frames if eligible_frames else 0.0,
        "flip_rate": flip_frames / eligible_frames if eligible_frames else 0.0,
        "swap_run_mean": runs_mean(swap_runs),
        "dropout_rate": n_low / n_kp if n_kp else 0.0,
        "dropout_run_mean": runs_mean(drop_runs),
        "outlier_rate": n_out / n_kp if n_kp else 0.0,
        "outlier_run_mean": runs_mean(out_runs),
        "keypoints": n_kp,
        "frames": int(sum(len(t.det_px) for t in tracks)),
        "fps": fps[0] if len(fps) == 1 else fps,
    }


def format_table(stats: dict, compare: dict | None = None, compare_label: str = "") -> str:
    """A plain-text table: statistic, value, (optional second column), reference range."""
    rows = [("err_px", "2D error, px"), ("err_pct_box", "2D error, % of box"),
            ("err_median_pct_box", "2D error median, % of box"), ("accel_err_px", "accel error, px/frame^2"),
            ("accel_to_err_ratio", "accel / error"), ("autocorr_1", "autocorr lag 1"), ("autocorr_2", "autocorr lag 2"),
            ("autocorr_5", "autocorr lag 5"), ("autocorr_10", "autocorr lag 10"),
            ("conf_err_spearman", "conf vs error Spearman"), ("swap_rate", "frames with a swap"),
            ("flip_rate", "whole-body flips"), ("swap_run_mean", "swap run, frames"),
            ("dropout_rate", "conf < 0.05"), ("dropout_run_mean", "low-conf run, frames"),
            ("outlier_rate", "outliers (> 20% box)"), ("outlier_run_mean", "outlier run, frames")]

    def get(s, key):
        if s is None:
            return None
        if key.startswith("autocorr_"):
            return s["autocorr"].get(key.split("_")[1])
        return s.get(key)

    def fmt(key, v):
        if v is None:
            return "-"
        if key in ("swap_rate", "flip_rate", "dropout_rate", "outlier_rate"):
            return f"{100 * v:.2f}%"
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"

    header = ["statistic", "value"] + ([compare_label or "compare"] if compare is not None else []) + ["reference"]
    lines = [header]
    for key, label in rows:
        line = [label, fmt(key, get(stats, key))]
        if compare is not None:
            line.append(fmt(key, get(compare, key)))
        line.append(REFERENCE.get(key, ""))
        lines.append(line)
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in lines)
