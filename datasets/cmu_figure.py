"""`posebench datasets show cmu --out fig.png`: what the CMU benchmark's observations look like.

One test track, a few frames side by side, in image pixels: the noise-free projection of the
LSP-14 joints (green skeleton) against the simulated detections (orange skeleton), the smoothed
VIBE box, dropped joints (red x at their true position), outliers (magenta ring) and frames
whose left/right labels were swapped (title marked).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from posebench.errors import PosebenchError
from posebench.skeleton import LSP14_BONES

# LSP-14 bones (skeleton.LSP14_JOINT_NAMES order) for drawing.


def _draw_skeleton(ax, kp: np.ndarray, color: str, label: str) -> None:
    """kp (14, 3) pixels + confidence; bones with a missing end are skipped."""
    ok = kp[:, 2] > 0
    for i, j in LSP14_BONES:
        if ok[i] and ok[j]:
            ax.plot(kp[[i, j], 0], kp[[i, j], 1], "-", color=color, lw=1.5)
    ax.plot(kp[ok, 0], kp[ok, 1], "o", color=color, ms=3, label=label)


def pick_frames(track, n: int = 4) -> list[int]:
    """``n`` frames spread over the track, preferring frames that show a swap, an outlier or a dropout."""
    T = len(track)
    events = track.meta["swapped"] | track.meta["outlier"].any(1) | (track.kp2d[..., 2] == 0).any(1)
    spread = np.linspace(0, T - 1, n + 2)[1:-1].round().astype(int)
    frames = []
    for f in spread:
        near = np.flatnonzero(events[max(0, f - 15):f + 15])
        frames.append(int(max(0, f - 15) + near[0]) if near.size else int(f))
    return sorted(set(frames))


def show(out: str | Path, root=None, track: str | None = None, **dataset_kwargs) -> Path:
    """Write a PNG of one test track (``track`` = its name, default the first) to ``out``; return the path.

    ``dataset_kwargs`` go to :class:`CmuBenchmark` (e.g. ``subset="quick"``, ``mirror=...``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from posebench_datasets.cmu import CmuBenchmark

    tracks = CmuBenchmark(root, **dataset_kwargs).tracks("test")
    if track is not None:
        chosen = [t for t in tracks if t.name == track]
        if not chosen:
            raise PosebenchError(f"cmu: no test track {track!r}; known: {', '.join(t.name for t in tracks[:10])} ...")
        tr = chosen[0]
    else:
        tr = tracks[0]
    frames = pick_frames(tr)
    w, h = tr.meta["image_wh"]
    fig, axes = plt.subplots(1, len(frames), figsize=(4 * len(frames), 4.5), squeeze=False)
    for ax, f in zip(axes[0], frames):
        gt = tr.meta["gt_kp2d_px"][f]
        det = tr.meta["kp2d_px"][f]
        _draw_skeleton(ax, gt, "tab:green", "ground truth")
        _draw_skeleton(ax, det, "tab:orange", "detections")
        dropped = (det[:, 2] == 0) & (gt[:, 2] > 0)
        ax.plot(gt[dropped, 0], gt[dropped, 1], "x", color="red", ms=8, mew=2, label="dropped")
        out_mask = tr.meta["outlier"][f]
        ax.plot(det[out_mask, 0], det[out_mask, 1], "o", mfc="none", mec="magenta", ms=12, mew=2, label="outlier")
        cx, cy, bw, bh = tr.meta["bbox_px"][f]
        ax.add_patch(plt.Rectangle((cx - bw / 2, cy - bh / 2), bw, bh, fill=False, ls="--", color="gray"))
        # Zoom on the box (1.3x) so the keypoints are readable; the image is w x h.
        half = 0.65 * max(bw, bh)
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy + half, cy - half)  # image y points down
        ax.set_aspect("equal")
        title = f"frame {f}" + ("  [L/R swapped]" if tr.meta["swapped"][f] else "")
        ax.set_title(title, fontsize=9)
    axes[0][0].legend(loc="lower left", fontsize=7)
    cam = tr.meta["camera"]
    fig.suptitle(f"CMU {tr.meta['trial']} ({tr.meta['description']}), {tr.name}: image {w}x{h}, "
                 f"f={cam['f']:.0f}px, severity {tr.meta['severity']}", fontsize=10)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
