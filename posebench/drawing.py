"""Pictures of a demo run: the overlay video and the contact sheet, one colour per track id.

Inputs are :class:`DrawnTrack` objects: a track's frame span, its LSP-14 detector keypoints in
pixels and its predicted LSP-14 joints (camera axes, metres). Nothing here computes a pose.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posebench.errors import PosebenchError
from posebench.io import atomic_path
from posebench.skeleton import LSP14_BONES

# BGR colours per track id (tab10 without grey), cycled.
TRACK_COLOURS_BGR = ((180, 119, 31), (14, 127, 255), (44, 160, 44), (40, 39, 214), (189, 103, 148),
                     (75, 86, 140), (194, 119, 227), (34, 189, 188), (207, 190, 23))
_MIDHIP = (2, 3)


def track_colour(track_id: int) -> tuple[int, int, int]:
    """The BGR colour of a track id (ids start at 1)."""
    return TRACK_COLOURS_BGR[(track_id - 1) % len(TRACK_COLOURS_BGR)]


def _rgb01(bgr: tuple[int, int, int]) -> tuple[float, float, float]:
    return bgr[2] / 255, bgr[1] / 255, bgr[0] / 255


@dataclass
class DrawnTrack:
    """What is drawn of one track: frames ``start .. start + T - 1``; kp2d_px (T, 14, 3) detector
    keypoints (confidence 0 = not drawn); joints_m (T, 14, 3) predicted joints; observed (T,);
    label printed beside the box; quality lines for the contact sheet."""

    track_id: int
    start: int
    kp2d_px: np.ndarray
    joints_m: np.ndarray
    observed: np.ndarray
    label: str = ""
    quality_lines: list[str] = field(default_factory=list)

    def at(self, t: int) -> int | None:
        """Index into the arrays of video frame ``t``, or None outside the track."""
        i = t - self.start
        return i if 0 <= i < len(self.observed) else None


def draw_keypoints(frame_bgr: np.ndarray, kp_px: np.ndarray, colour: tuple[int, int, int], label: str = "") -> None:
    """Draw LSP-14 keypoints (14, 3) pixels + confidence and a label on a BGR frame (in place)."""
    import cv2

    ok = kp_px[:, 2] > 0
    thick = max(1, round(frame_bgr.shape[0] / 240))
    for i, j in LSP14_BONES:
        if ok[i] and ok[j]:
            cv2.line(frame_bgr, tuple(int(v) for v in kp_px[i, :2]), tuple(int(v) for v in kp_px[j, :2]), colour,
                     thick, cv2.LINE_AA)
    for k in np.flatnonzero(ok):
        cv2.circle(frame_bgr, tuple(int(v) for v in kp_px[k, :2]), thick + 1, colour, -1, cv2.LINE_AA)
    if label and ok.any():
        x0, y0 = kp_px[ok, 0].min(), kp_px[ok, 1].min()
        cv2.putText(frame_bgr, label, (int(x0), max(12, int(y0) - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 2,
                    cv2.LINE_AA)


def side_panel(joints_by_colour: list[tuple[np.ndarray, tuple[int, int, int]]], size: int,
               extent_m: float = 2.4) -> np.ndarray:
    """A (size, size, 3) BGR side view (depth z to the right, y down) of LSP-14 joint sets, each
    centred on its own mid-hip and drawn in its colour."""
    import cv2

    panel = np.full((size, size, 3), 255, np.uint8)
    cv2.putText(panel, "side view (z ->)", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (80, 80, 80), 1, cv2.LINE_AA)
    cv2.line(panel, (0, size // 2), (size, size // 2), (225, 225, 225), 1)
    cv2.line(panel, (size // 2, 0), (size // 2, size), (225, 225, 225), 1)
    scale = size / extent_m
    for joints_m, colour in joints_by_colour:
        if not np.all(np.isfinite(joints_m)):
            continue
        centre = joints_m[list(_MIDHIP)].mean(axis=0)
        uv = np.stack([(joints_m[:, 2] - centre[2]) * scale + size / 2,
                       (joints_m[:, 1] - centre[1]) * scale + size / 2], axis=1)
        for i, j in LSP14_BONES:
            cv2.line(panel, tuple(int(v) for v in uv[i]), tuple(int(v) for v in uv[j]), colour, 2, cv2.LINE_AA)
    return panel


def write_overlay_video(path: Path, video: str | os.PathLike, tracks: list[DrawnTrack], fps: float,
                        n_frames: int, progress: bool = False) -> Path:
    """Write ``path`` (mp4, atomic): each frame with every track's keypoints and id, beside a side
    view of the tracks' 3D joints."""
    import cv2

    from posebench.video import iter_frames

    path = Path(path)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    writer = None
    frames = iter_frames(video, n_frames)
    if progress:
        from tqdm.auto import tqdm

        frames = tqdm(frames, total=n_frames, desc=f"overlay {path.name}", unit="frame", leave=False)
    try:
        for t, rgb in enumerate(frames):
            frame = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
            side = []
            for tr in tracks:
                i = tr.at(t)
                if i is None:
                    continue
                colour = track_colour(tr.track_id)
                if tr.observed[i]:
                    draw_keypoints(frame, tr.kp2d_px[i], colour, tr.label or f"id {tr.track_id}")
                side.append((tr.joints_m[i], colour))
            tile = np.concatenate([frame, side_panel(side, frame.shape[0])], axis=1)
            if writer is None:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps),
                                         (tile.shape[1], tile.shape[0]))
                if not writer.isOpened():
                    raise PosebenchError(f"{path}: OpenCV cannot write an mp4 video here")
            writer.write(tile)
        if writer is not None:
            writer.release()
            writer = None
            os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        if tmp.exists():
            tmp.unlink()
    return path


def pick_frames(active: np.ndarray, n: int) -> list[int]:
    """Up to ``n`` frame indices spread evenly over the ``active`` (T,) frames (over all if none is)."""
    pool = np.flatnonzero(active)
    if pool.size == 0:
        pool = np.arange(len(active))
    picks = pool[np.linspace(0, pool.size - 1, min(n, pool.size)).round().astype(int)]
    return sorted({int(p) for p in picks})


def write_contact_sheet(path: Path, video: str | os.PathLike, tracks: list[DrawnTrack], n_video_frames: int,
                        fps: float, n_frames: int = 6, title: str = "") -> Path:
    """A PNG (matplotlib, Agg; atomic): per picked frame, the image with every track's keypoints and
    id, and the tracks' 3D joints from the camera (x, y) and from the side (z, y); below, each
    track's quality lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from posebench.video import iter_frames

    active = np.zeros(n_video_frames, bool)
    for tr in tracks:
        active[tr.start:tr.start + len(tr.observed)] |= tr.observed
    picks = pick_frames(active, n_frames)
    frames = {t: rgb for t, rgb in enumerate(iter_frames(video, max(picks) + 1)) if t in picks}
    quality = [line for tr in tracks for line in tr.quality_lines]
    fig, axes = plt.subplots(3, len(picks), figsize=(2.6 * len(picks), 6.6 + 0.16 * len(quality)), squeeze=False,
                             gridspec_kw={"height_ratios": [0.75, 1, 1]})
    for col, t in enumerate(picks):
        ax = axes[0, col]
        ax.imshow(frames[t])
        for tr in tracks:
            i = tr.at(t)
            if i is None or not tr.observed[i]:
                continue
            colour = _rgb01(track_colour(tr.track_id))
            kp = tr.kp2d_px[i]
            for a, b in LSP14_BONES:
                if kp[a, 2] > 0 and kp[b, 2] > 0:
                    ax.plot(kp[[a, b], 0], kp[[a, b], 1], "-", color=colour, lw=1.5)
            ok = kp[:, 2] > 0
            ax.text(kp[ok, 0].min(), kp[ok, 1].min() - 4, f"id {tr.track_id}", color=colour, fontsize=7)
        ax.set_title(f"frame {t} ({t / fps:.1f} s)", fontsize=8)
        ax.axis("off")
        for row, (axis, label) in ((1, (0, "front: x")), (2, (2, "side: z"))):
            ax = axes[row, col]
            for tr in tracks:
                i = tr.at(t)
                if i is None or not np.all(np.isfinite(tr.joints_m[i])):
                    continue
                j3 = tr.joints_m[i]
                centre = j3[list(_MIDHIP)].mean(axis=0)
                for a, b in LSP14_BONES:
                    ax.plot(j3[[a, b], axis] - centre[axis], -(j3[[a, b], 1] - centre[1]), "-",
                            color=_rgb01(track_colour(tr.track_id)), lw=2)
            ax.set_xlim(-1.1, 1.1)
            ax.set_ylim(-1.1, 1.1)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
            ax.set_xlabel(f"{label} (m)", fontsize=7)
    fig.suptitle(title, fontsize=9)
    bottom = 0.02 + 0.022 * len(quality)
    for k, line in enumerate(quality):
        fig.text(0.01, bottom - 0.022 * (k + 1), line, fontsize=7, family="monospace")
    fig.tight_layout(rect=(0, bottom, 1, 1))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        fig.savefig(f, format="png", dpi=90)
    plt.close(fig)
    return Path(path)
