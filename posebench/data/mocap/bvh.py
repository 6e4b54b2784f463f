"""BVH reader: hierarchy (joints, End Sites, per-joint channel order) and the motion block.

A BVH joint's rotation channels are intrinsic Euler angles in the order they are listed
(``Zrotation Xrotation Yrotation`` -> R = R_Z @ R_X @ R_Y), degrees. Orders may differ per joint
within one file (cgspeed Daz/3dsMax files mix ZYX and ZXY). Offsets and positions stay in the
file's own units; :func:`bvh_global_positions` takes the unit -> metres factor.

Every format problem raises :class:`posebench.errors.DataFormatError` naming the file, the
line and what was expected.
"""
from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from posebench.errors import DataFormatError
from posebench.geometry.rotations import euler_to_matrix

_POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
_ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
# "Frame Time: 0.0083", "Frame time:0.0083", "FrameTime: .0083" all occur in the wild.
_FRAME_TIME_RE = re.compile(r"^frame\s*time\s*:?\s*(\S+)\s*$", re.IGNORECASE)
_FRAMES_RE = re.compile(r"^frames\s*:?\s*(\S+)\s*$", re.IGNORECASE)


@dataclass
class BvhMotion:
    """A parsed BVH file.

    - ``names`` (J,): joint names; End Sites are joints too, named ``<parent>_end`` with
      ``is_end_site`` True and no channels.
    - ``parents`` (J,): parent index, -1 for the root; parents come before children.
    - ``offsets`` (J, 3): OFFSET in the file's units.
    - ``channels``: per joint, the channel names in file order ([] for End Sites).
    - ``rotation_orders``: per joint, e.g. "ZXY" ("" when the joint has no rotation channel).
    - ``frames`` (T, C) float64: the motion block; ``channel_index[j]`` gives joint j's columns.
    - ``frame_time`` seconds per frame as written in the file (may be wrong: see the manifest).
    """

    path: Path
    names: list[str]
    parents: list[int]
    offsets: np.ndarray
    channels: list[list[str]]
    rotation_orders: list[str]
    is_end_site: list[bool]
    channel_index: list[list[int]]
    frames: np.ndarray
    frame_time: float
    end_site_parent_names: dict[str, str] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise DataFormatError(self.path, f"no joint named {name!r}; joints: {', '.join(self.names)}") from None


def _tokens_with_lines(lines: Iterable[str]):
    """Yield (line_number, tokens) for non-blank, non-comment lines (1-based numbers)."""
    for number, raw in enumerate(lines, start=1):
        tokens = raw.split("#", 1)[0].split()
        if tokens:
            yield number, tokens


# Mocap numbers are centimetres, inches or degrees: anything this large is corrupt, and values
# like 1e300 would silently become inf in unit conversions and rotations.
MAX_ABS_VALUE = 1e7


def parse_number(path, token: str, line: int, what: str) -> float:
    """``token`` as a finite float of plausible magnitude (shared by the BVH and ASF/AMC readers);
    DataFormatError naming the file and line otherwise."""
    try:
        value = float(token)
    except ValueError:
        raise DataFormatError(path, f"expected a number for {what}, got {token!r}", line=line) from None
    if not np.isfinite(value):
        raise DataFormatError(path, f"expected a finite number for {what}, got {token!r}", line=line)
    if abs(value) > MAX_ABS_VALUE:
        raise DataFormatError(path, f"implausible value {token!r} for {what} (|value| > {MAX_ABS_VALUE:g})",
                              line=line)
    return value



def _read_motion_rows(rows, path: Path, num_frames: int, num_channels: int, ft_line: int) -> np.ndarray:
    """(num_frames, num_channels) float64 from the motion rows, filled block by block."""
    frames = np.empty((num_frames, num_channels), dtype=np.float64)
    tokens: list[str] = []
    numbers: list[int] = []  # file line of each row in the block
    filled = seen = 0
    last = ft_line
    for number, tok in rows:
        seen += 1
        last = number
        if seen > num_frames:
            continue  # counted for the message below
        if len(tok) != num_channels:
            raise DataFormatError(path, f"expected {num_channels} channel values, got {len(tok)}", line=number)
        tokens.extend(tok)
        numbers.append(number)
        if len(numbers) == ROWS_PER_BLOCK:
            filled = _store_block(frames, filled, tokens, numbers, path)
            tokens, numbers = [], []
    if seen != num_frames:
        raise DataFormatError(path, f"'Frames: {num_frames}' but the motion block has {seen} lines", line=last)
    if numbers:
        _store_block(frames, filled, tokens, numbers, path)
    return frames


def _store_block(frames: np.ndarray, start: int, tokens: list[str], numbers: list[int], path: Path) -> int:
    """Convert one block of rows into ``frames[start:]`` (values checked); returns the next row."""
    try:
        block = np.array(tokens, dtype=np.float64).reshape(len(numbers), frames.shape[1])
    except ValueError:
        width = frames.shape[1]
        for row, number in enumerate(numbers):  # slow path only to name the bad line
            for t in tokens[row * width:(row + 1) * width]:
                parse_number(path, t, number, "a channel value")
        raise DataFormatError(path, "expected numbers as channel values", line=numbers[0]) from None
    if not np.isfinite(block).all():
        bad = int(np.argwhere(~np.isfinite(block))[0, 0])
        raise DataFormatError(path, "expected finite channel values (found nan/inf)", line=numbers[bad])
    if (np.abs(block) > MAX_ABS_VALUE).any():
        bad = int(np.argwhere(np.abs(block) > MAX_ABS_VALUE)[0, 0])
        raise DataFormatError(path, f"implausible channel value (|value| > {MAX_ABS_VALUE:g})", line=numbers[bad])
    frames[start:start + len(numbers)] = block
    return start + len(numbers)


# Motion rows parsed per block: one numpy conversion per block keeps the Python objects of
# at most this many lines alive (a 1 M-frame file no longer holds every token as a str).
ROWS_PER_BLOCK = 4096


def read_bvh(path) -> BvhMotion:
    """Parse a BVH file. CRLF, tabs, blank lines and ``#`` comments are accepted.

    The file is read line by line and the motion block goes straight into a preallocated
    (T, C) float64 array, so peak memory is about the array plus one block of rows.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8", errors="replace", newline=None) as f:
            return _parse_bvh_lines(f, path, max_values=os.fstat(f.fileno()).st_size // 2 + 1)
    except OSError as e:
        raise DataFormatError(path, f"cannot read file: {e}") from e


def parse_bvh_text(text: str, path="<string>") -> BvhMotion:
    """Parse BVH text; ``path`` is only used in error messages and stored on the result."""
    return _parse_bvh_lines(io.StringIO(text, newline=None), Path(path), max_values=len(text) // 2 + 1)


def _parse_bvh_lines(lines: Iterable[str], path: Path, max_values: int) -> BvhMotion:
    """Parse BVH lines; ``max_values``: how many numbers the source can hold at most (every
    value takes a character and a separator), which bounds the ``Frames:`` count before the
    frame array is allocated."""
    rows = _tokens_with_lines(lines)
    first = next(rows, None)
    if first is None or first[1][0].upper() != "HIERARCHY":
        raise DataFormatError(path, "expected 'HIERARCHY' as the first keyword", line=first[0] if first else 1)

    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    is_end: list[bool] = []
    stack: list[int] = []  # open joints ('{' seen)
    pending: int | None = None  # joint declared, its '{' not yet seen
    motion_line = None
    last_line = first[0]
    for number, tok in rows:
        last_line = number
        key = tok[0].upper()
        if key in ("ROOT", "JOINT"):
            if pending is not None:
                raise DataFormatError(path, f"expected '{{' after joint {names[pending]!r}", line=number)
            if key == "ROOT" and (stack or names):
                raise DataFormatError(path, "expected a single ROOT at the top of the hierarchy", line=number)
            if key == "JOINT" and not stack:
                raise DataFormatError(path, "expected JOINT inside a joint's braces", line=number)
            if len(tok) < 2:
                raise DataFormatError(path, f"expected a name after {tok[0]}", line=number)
            name = " ".join(tok[1:])
            if name in names:
                raise DataFormatError(path, f"duplicate joint name {name!r}", line=number)
            names.append(name)
            parents.append(stack[-1] if stack else -1)
            offsets.append([])
            channels.append([])
            is_end.append(False)
            pending = len(names) - 1
        elif key == "END":
            if not stack or len(tok) < 2 or tok[1].lower() != "site":
                raise DataFormatError(path, "expected 'End Site' inside a joint's braces", line=number)
            if pending is not None:
                raise DataFormatError(path, f"expected '{{' after joint {names[pending]!r}", line=number)
            parent = stack[-1]
            name = f"{names[parent]}_end"
            k = 2
            while name in names:
                name = f"{names[parent]}_end{k}"
                k += 1
            names.append(name)
            parents.append(parent)
            offsets.append([])
            channels.append([])
            is_end.append(True)
            pending = len(names) - 1
        elif key == "{":
            if pending is None:
                raise DataFormatError(path, "unexpected '{' (no joint declared before it)", line=number)
            stack.append(pending)
            pending = None
        elif key == "}":
            if not stack or pending is not None:
                raise DataFormatError(path, "unexpected '}'", line=number)
            j = stack.pop()
            if len(offsets[j]) != 3:
                raise DataFormatError(path, f"joint {names[j]!r} has no OFFSET", line=number)
        elif key == "OFFSET":
            if not stack or offsets[stack[-1]]:
                raise DataFormatError(path, "unexpected OFFSET (outside a joint, or a second one)", line=number)
            if len(tok) != 4:
                raise DataFormatError(path, f"expected 'OFFSET x y z' (3 numbers), got {len(tok) - 1}", line=number)
            offsets[stack[-1]] = [parse_number(path, t, number, "OFFSET") for t in tok[1:]]
        elif key == "CHANNELS":
            if not stack or is_end[stack[-1]] or channels[stack[-1]]:
                raise DataFormatError(path, "unexpected CHANNELS (outside a joint, in an End Site, or a second one)", line=number)
            if len(tok) < 2 or not tok[1].isdigit():
                raise DataFormatError(path, "expected 'CHANNELS <count> <names...>'", line=number)
            count = int(tok[1])
            names_ch = tok[2:]
            if len(names_ch) != count:
                raise DataFormatError(path, f"CHANNELS says {count} channels but lists {len(names_ch)}", line=number)
            for ch in names_ch:
                if ch not in _POSITION_CHANNELS + _ROTATION_CHANNELS:
                    raise DataFormatError(path, f"unknown channel {ch!r} (expected X/Y/Z position or rotation)", line=number)
            if len(set(names_ch)) != len(names_ch):
                raise DataFormatError(path, f"repeated channel in {names_ch}", line=number)
            channels[stack[-1]] = names_ch
        elif key == "MOTION":
            if stack or pending is not None:
                raise DataFormatError(path, "MOTION before the hierarchy's braces were closed", line=number)
            motion_line = number
            break
        else:
            raise DataFormatError(path, f"unexpected keyword {tok[0]!r} in HIERARCHY", line=number)

    if motion_line is None:
        raise DataFormatError(path, "expected a MOTION section after the hierarchy (file ends first)", line=last_line)
    if not names:
        raise DataFormatError(path, "the hierarchy has no ROOT joint", line=motion_line)

    # Frames: N / Frame Time: dt
    header = [row for _, row in zip(range(2), rows)]
    if len(header) < 2:
        last = header[-1][0] if header else motion_line
        raise DataFormatError(path, "expected 'Frames:' and 'Frame Time:' after MOTION", line=last)
    (frames_line, frames_tok), (ft_line, ft_tok) = header
    m = _FRAMES_RE.match(" ".join(frames_tok))
    if not m or not m.group(1).isdigit():
        raise DataFormatError(path, f"expected 'Frames: <count>', got {' '.join(frames_tok)!r}", line=frames_line)
    num_frames = int(m.group(1))
    m = _FRAME_TIME_RE.match(" ".join(ft_tok))
    if not m:
        raise DataFormatError(path, f"expected 'Frame Time: <seconds>', got {' '.join(ft_tok)!r}", line=ft_line)
    frame_time = parse_number(path, m.group(1), ft_line, "Frame Time")
    if frame_time <= 0:
        raise DataFormatError(path, f"Frame Time must be > 0, got {frame_time}", line=ft_line)

    channel_index: list[list[int]] = []
    col = 0
    for ch in channels:
        channel_index.append(list(range(col, col + len(ch))))
        col += len(ch)
    num_channels = col
    if num_frames * num_channels > max_values:
        raise DataFormatError(path, f"'Frames: {num_frames}' x {num_channels} channels is more values than the "
                                    f"file can hold (at most {max_values})", line=frames_line)
    frames = _read_motion_rows(rows, path, num_frames, num_channels, ft_line)

    rotation_orders = []
    for ch in channels:
        rot = [c[0] for c in ch if c in _ROTATION_CHANNELS]
        if rot and len(rot) != 3:
            raise DataFormatError(path, f"a joint has {len(rot)} rotation channels; 0 or 3 are supported", field="CHANNELS")
        rotation_orders.append("".join(rot))
    return BvhMotion(
        path=path,
        names=names,
        parents=parents,
        offsets=np.asarray(offsets, dtype=np.float64).reshape(len(names), 3),
        channels=channels,
        rotation_orders=rotation_orders,
        is_end_site=is_end,
        channel_index=channel_index,
        frames=frames,
        frame_time=frame_time,
    )


def bvh_local_rotations(motion: BvhMotion) -> np.ndarray:
    """(T, J, 3, 3) local rotation of every joint (identity for End Sites / no channels)."""
    T, J = motion.num_frames, len(motion.names)
    local = np.broadcast_to(np.eye(3), (T, J, 3, 3)).copy()
    by_order: dict[str, tuple[list[int], list[list[int]]]] = {}
    for j, (ch, cols, order) in enumerate(zip(motion.channels, motion.channel_index, motion.rotation_orders)):
        if order:
            joints, columns = by_order.setdefault(order, ([], []))
            joints.append(j)
            columns.append([c for name, c in zip(ch, cols) if name in _ROTATION_CHANNELS])
    for order, (joints, columns) in by_order.items():  # one batched call per rotation order
        angles = torch.from_numpy(np.deg2rad(motion.frames[:, np.asarray(columns)]))  # (T, Jo, 3)
        local[:, joints] = euler_to_matrix(angles, order).numpy()
    return local


def bvh_local_translations(motion: BvhMotion) -> np.ndarray:
    """(T, J, 3) translation of every joint from its parent, file units: OFFSET, replaced
    per axis by the position channels where a joint has them (BVH root convention)."""
    T = motion.num_frames
    trans = np.broadcast_to(motion.offsets, (T, *motion.offsets.shape)).copy()
    for j, (ch, cols) in enumerate(zip(motion.channels, motion.channel_index)):
        for name, c in zip(ch, cols):
            if name in _POSITION_CHANNELS:
                trans[:, j, _POSITION_CHANNELS.index(name)] = motion.frames[:, c]
    return trans


def bvh_global_transforms(motion: BvhMotion, unit_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Forward kinematics of the file's own skeleton.

    Returns positions (T, J, 3) in ``unit_scale`` x file units and global rotations
    (T, J, 3, 3) (rotation of each joint's frame relative to the rest pose, world axes).
    """
    local_r = bvh_local_rotations(motion)
    local_t = bvh_local_translations(motion) * unit_scale
    T, J = local_r.shape[:2]
    glob_r = np.empty_like(local_r)
    pos = np.empty((T, J, 3))
    for j, p in enumerate(motion.parents):
        if p < 0:
            glob_r[:, j] = local_r[:, j]
            pos[:, j] = local_t[:, j]
        else:
            glob_r[:, j] = glob_r[:, p] @ local_r[:, j]
            pos[:, j] = pos[:, p] + np.einsum("tab,tb->ta", glob_r[:, p], local_t[:, j])
    return pos, glob_r


def bvh_global_positions(motion: BvhMotion, unit_scale: float = 1.0) -> np.ndarray:
    """(T, J, 3) world positions of every joint and End Site, in ``unit_scale`` x file units."""
    return bvh_global_transforms(motion, unit_scale)[0]
