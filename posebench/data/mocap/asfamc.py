"""Acclaim ASF (skeleton) and AMC (motion) readers, CMU conventions.

Kinematics (as CMU's viewer and the usual ASF/AMC tools compute them):

- ``C_b`` = the bone's ``axis`` rotation, angles applied in the written order about fixed
  axes ("XYZ": X first, so C = Rz @ Ry @ Rx); ``M_b`` = the AMC dof rotation, dofs applied in
  the written order the same way.
- Local transform ``L_b = C_b @ M_b @ C_b^-1``; world rotation ``W_b = W_parent @ L_b``
  (relative to the rest pose, world axes); bone end = bone start + length * W_b @ direction.
- The root is placed at the AMC root translation; its ``C`` comes from ``:root orientation``.

Lengths: ``:units length 0.45`` means 1 file unit = 1/0.45 inch, so metres = value / length
* 0.0254 (CMU: x0.056444). AMC files carry no frame rate (take it from the manifest).

:func:`amc_joint_transforms` lays the skeleton out like a BVH conversion (amc2bvh): one joint
per bone at the bone's *start* (its pivot), plus ``<bone>_end`` end points for leaf bones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from posebench.data.mocap.bvh import MAX_ABS_VALUE, parse_number
from posebench.errors import DataFormatError
from posebench.geometry.rotations import euler_to_matrix

INCH_M = 0.0254
_DOF_NAMES = ("tx", "ty", "tz", "rx", "ry", "rz", "l")


@dataclass
class AsfBone:
    name: str
    direction: np.ndarray  # (3,) unit vector, world axes at rest
    length: float  # file units
    axis_deg: np.ndarray  # (3,) angles of the bone's local frame
    axis_order: str  # e.g. "XYZ" (applied X first)
    dof: list[str]  # e.g. ["rx", "ry", "rz"]
    limits: list[tuple[float, float]] = field(default_factory=list)
    id: int | None = None


@dataclass
class AsfSkeleton:
    """A parsed ASF file. ``bones`` keeps file order; ``children`` comes from :hierarchy."""

    path: Path
    units: dict[str, str]
    length_unit: float  # the ``length`` value of :units (1 file unit = 1/length inch)
    angle_unit: str  # "deg" or "rad"
    root_order: list[str]  # e.g. ["tx", "ty", "tz", "rx", "ry", "rz"]
    root_axis: str
    root_position: np.ndarray
    root_orientation: np.ndarray
    bones: dict[str, AsfBone]
    children: dict[str, list[str]]

    @property
    def metres_per_unit(self) -> float:
        return INCH_M / self.length_unit

    def parent_of(self) -> dict[str, str]:
        return {c: p for p, cs in self.children.items() for c in cs}


@dataclass
class AmcMotion:
    """A parsed AMC file: per bone, (T, n_dof) values in the ASF's angle/length units."""

    path: Path
    frame_numbers: np.ndarray  # (T,) as written
    values: dict[str, np.ndarray]
    degrees: bool

    @property
    def num_frames(self) -> int:
        return int(self.frame_numbers.shape[0])


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise DataFormatError(path, f"cannot read file: {e}") from e


def _floats(path, tokens, line, what, count=None):
    if count is not None and len(tokens) != count:
        raise DataFormatError(path, f"expected {count} numbers for {what}, got {len(tokens)}", line=line)
    return [parse_number(path, t, line, what) for t in tokens]


def _check_axis_order(path, order: str, line: int) -> str:
    order = order.upper()
    if len(order) != 3 or set(order) - set("XYZ"):
        raise DataFormatError(path, f"expected an axis order like 'XYZ', got {order!r}", line=line)
    return order


def read_asf(path) -> AsfSkeleton:
    path = Path(path)
    return parse_asf_text("\n".join(_read_lines(path)), path)


def parse_asf_text(text: str, path="<string>") -> AsfSkeleton:
    path = Path(path)
    units: dict[str, str] = {}
    root: dict[str, tuple[int, list[str]]] = {}
    bones: dict[str, AsfBone] = {}
    children: dict[str, list[str]] = {}
    section = None
    bone: dict | None = None
    bone_line = 0
    last_key = None
    seen_hierarchy = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tok = line.split()
        if tok[0].startswith(":"):
            if bone is not None:
                raise DataFormatError(path, f"bone block opened at line {bone_line} has no 'end'", line=number)
            section = tok[0][1:].lower()
            if section == "hierarchy":
                seen_hierarchy = True
            continue
        if section == "units":
            if len(tok) != 2:
                raise DataFormatError(path, "expected '<name> <value>' in :units", line=number)
            units[tok[0].lower()] = tok[1]
        elif section == "root":
            root[tok[0].lower()] = (number, tok[1:])
        elif section == "bonedata":
            key = tok[0].lower()
            if key == "begin":
                if bone is not None:
                    raise DataFormatError(path, "'begin' inside an open bone block", line=number)
                bone, bone_line, last_key = {}, number, None
            elif key == "end":
                if bone is None:
                    raise DataFormatError(path, "'end' without 'begin' in :bonedata", line=number)
                b = _make_bone(path, bone, bone_line)
                if b.name in bones or b.name == "root":
                    raise DataFormatError(path, f"duplicate bone name {b.name!r}", line=bone_line)
                bones[b.name] = b
                bone = None
            elif bone is None:
                raise DataFormatError(path, f"expected 'begin' in :bonedata, got {tok[0]!r}", line=number)
            elif tok[0].startswith("("):
                if last_key != "limits":
                    raise DataFormatError(path, "a '(' line outside 'limits'", line=number)
                bone["limits"][1].append((number, tok))
            else:
                if key == "limits":
                    bone["limits"] = (number, [(number, tok[1:])])
                else:
                    bone[key] = (number, tok[1:])
                last_key = key
        elif section == "hierarchy":
            key = tok[0].lower()
            if key in ("begin", "end"):
                continue
            children.setdefault(tok[0], []).extend(tok[1:])
        # other sections (:version, :name, :documentation, :skin, ...) are ignored

    if bone is not None:
        raise DataFormatError(path, f"bone block opened at line {bone_line} has no 'end' (file ends first)", line=bone_line)
    if not bones:
        raise DataFormatError(path, "no :bonedata bones found", field=":bonedata")
    if not seen_hierarchy:
        raise DataFormatError(path, "no :hierarchy section", field=":hierarchy")

    try:
        length_unit = float(units.get("length", "1"))
    except ValueError:
        raise DataFormatError(path, f"expected a number for the length unit, got {units['length']!r}", field=":units length") from None
    if not np.isfinite(length_unit) or length_unit <= 0 or length_unit > MAX_ABS_VALUE:
        raise DataFormatError(path, f"length unit must be > 0, got {length_unit}", field=":units length")
    angle_unit = units.get("angle", "deg").lower()
    if angle_unit not in ("deg", "rad"):
        raise DataFormatError(path, f"expected angle unit 'deg' or 'rad', got {angle_unit!r}", field=":units angle")

    def root_field(name, default):
        return root.get(name, (0, default))

    ln, order = root_field("order", ["TX", "TY", "TZ", "RX", "RY", "RZ"])
    root_order = [o.lower() for o in order]
    if any(o not in _DOF_NAMES[:6] for o in root_order) or len(set(root_order)) != len(root_order):
        raise DataFormatError(path, f"root order must list tx/ty/tz/rx/ry/rz, got {order}", line=ln or None)
    ln, axis = root_field("axis", ["XYZ"])
    root_axis = _check_axis_order(path, axis[0] if axis else "", ln)
    ln, pos = root_field("position", ["0", "0", "0"])
    root_position = np.array(_floats(path, pos, ln, "root position", 3))
    ln, ori = root_field("orientation", ["0", "0", "0"])
    root_orientation = np.array(_floats(path, ori, ln, "root orientation", 3))

    # Hierarchy must name known bones, each once, all reachable from root.
    seen = {"root"}
    for parent, cs in children.items():
        if parent != "root" and parent not in bones:
            raise DataFormatError(path, f"hierarchy names unknown bone {parent!r}", field=":hierarchy")
        for c in cs:
            if c not in bones:
                raise DataFormatError(path, f"hierarchy names unknown bone {c!r}", field=":hierarchy")
            if c in seen:
                raise DataFormatError(path, f"bone {c!r} has two parents or is root", field=":hierarchy")
            seen.add(c)
    skel = AsfSkeleton(
        path=path, units=units, length_unit=length_unit, angle_unit=angle_unit, root_order=root_order,
        root_axis=root_axis, root_position=root_position, root_orientation=root_orientation,
        bones=bones, children=children,
    )
    order_ = _bone_order(skel)
    if len(order_) != len(bones):
        missing = sorted(set(bones) - set(order_))
        raise DataFormatError(path, f"bones not reachable from root: {missing}", field=":hierarchy")
    return skel


def _make_bone(path, fields: dict, begin_line: int) -> AsfBone:
    def need(key):
        if key not in fields:
            raise DataFormatError(path, f"bone block has no {key!r}", line=begin_line)
        return fields[key]

    ln, name = need("name")
    if len(name) != 1:
        raise DataFormatError(path, "expected 'name <bone>'", line=ln)
    ln, d = need("direction")
    direction = np.array(_floats(path, d, ln, "direction", 3))
    norm = np.linalg.norm(direction)
    ln, length = need("length")
    length_v = _floats(path, length, ln, "length", 1)[0]
    if length_v < 0:
        raise DataFormatError(path, f"bone length must be >= 0, got {length_v}", line=ln)
    if norm > 0:
        direction = direction / norm
    elif length_v > 0:
        raise DataFormatError(path, "bone with a length needs a non-zero direction", line=fields["direction"][0])
    ln, ax = need("axis")
    if len(ax) != 4:
        raise DataFormatError(path, "expected 'axis <a> <b> <c> <order>'", line=ln)
    axis = np.array(_floats(path, ax[:3], ln, "axis", 3))
    order = _check_axis_order(path, ax[3], ln)
    dof: list[str] = []
    if "dof" in fields:
        ln, dof_tok = fields["dof"]
        dof = [t.lower() for t in dof_tok]
        for t in dof:
            if t not in _DOF_NAMES:
                raise DataFormatError(path, f"unknown dof {t!r} (expected rx ry rz tx ty tz l)", line=ln)
        if len(set(dof)) != len(dof):
            raise DataFormatError(path, f"repeated dof in {dof_tok}", line=ln)
    limits = []
    if "limits" in fields:
        for ln, tok in fields["limits"][1]:
            text = " ".join(tok).replace("(", " ").replace(")", " ").split()
            vals = []
            for t in text:
                if t.lower() in ("inf", "-inf"):
                    vals.append(float(t))
                else:
                    vals.extend(_floats(path, [t], ln, "limits"))
            if len(vals) != 2:
                raise DataFormatError(path, "expected '(min max)' in limits", line=ln)
            limits.append((vals[0], vals[1]))
    bone_id = None
    if "id" in fields:
        ln, t = fields["id"]
        if len(t) != 1 or not t[0].lstrip("-").isdigit():
            raise DataFormatError(path, "expected 'id <integer>'", line=ln)
        bone_id = int(t[0])
    return AsfBone(name=name[0], direction=direction, length=length_v, axis_deg=axis, axis_order=order,
                   dof=dof, limits=limits, id=bone_id)


def _bone_order(skel: AsfSkeleton) -> list[str]:
    """Bones in depth-first order from the root (parents before children)."""
    out: list[str] = []
    stack = list(reversed(skel.children.get("root", [])))
    while stack:
        b = stack.pop()
        out.append(b)
        stack.extend(reversed(skel.children.get(b, [])))
    return out


def read_amc(path, asf: AsfSkeleton) -> AmcMotion:
    path = Path(path)
    return parse_amc_text("\n".join(_read_lines(path)), asf, path)


def parse_amc_text(text: str, asf: AsfSkeleton, path="<string>") -> AmcMotion:
    path = Path(path)
    dof_count = {name: len(b.dof) for name, b in asf.bones.items()}
    dof_count["root"] = len(asf.root_order)
    animated = [n for n, c in dof_count.items() if c > 0]
    degrees = asf.angle_unit == "deg"
    frame_numbers: list[int] = []
    rows: dict[str, list[list[float]]] = {n: [] for n in dof_count}
    current: dict[str, int] | None = None  # bone -> line, for the frame being read
    frame_line = 0

    def close_frame(at_line):
        if current is None:
            return
        missing = [n for n in animated if n not in current]
        if missing:
            raise DataFormatError(path, f"frame {frame_numbers[-1]} (line {frame_line}) lacks bones {missing}", line=at_line)

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(":"):
            key = line.split()[0].upper()
            if key == ":DEGREES":
                degrees = True
            elif key == ":RADIANS":
                degrees = False
            elif frame_numbers:
                raise DataFormatError(path, f"keyword {key} after the first frame", line=number)
            continue
        tok = line.split()
        if len(tok) == 1 and tok[0].isdigit():
            close_frame(number)
            frame_numbers.append(int(tok[0]))
            current, frame_line = {}, number
            continue
        if current is None:
            raise DataFormatError(path, f"expected a frame number before bone values, got {tok[0]!r}", line=number)
        name = tok[0]
        if name not in dof_count:
            raise DataFormatError(path, f"unknown bone {name!r} (not in {asf.path.name})", line=number)
        if name in current:
            raise DataFormatError(path, f"bone {name!r} appears twice in frame {frame_numbers[-1]}", line=number)
        rows[name].append(_floats(path, tok[1:], number, f"bone {name!r}", dof_count[name]))
        current[name] = number
    if not frame_numbers:
        raise DataFormatError(path, "no frames found (expected a frame number line)", field="frames")
    close_frame(len(text.splitlines()))
    fn = np.asarray(frame_numbers)
    if len(fn) > 1 and not (np.diff(fn) > 0).all():
        raise DataFormatError(path, "frame numbers must increase", field="frames")
    values = {n: np.asarray(r, dtype=np.float64).reshape(len(fn), dof_count[n]) for n, r in rows.items() if dof_count[n] > 0}
    return AmcMotion(path=path, frame_numbers=fn, values=values, degrees=degrees)


def _fixed_axes_rotation(angles_rad: np.ndarray, order: str) -> np.ndarray:
    """Rotations about fixed axes applied in ``order`` (first letter first): (..., 3) -> (..., 3, 3).

    Fixed-axis "XYZ" equals intrinsic "ZYX" with the angles reversed."""
    a = torch.from_numpy(np.ascontiguousarray(angles_rad[..., ::-1]))
    return euler_to_matrix(a, order[::-1]).numpy()


def _dof_rotation(vals: np.ndarray, dof: list[str], to_rad: float) -> np.ndarray:
    """(T, n_dof) values -> (T, 3, 3) rotation of the rotational dofs, applied in dof order."""
    T = vals.shape[0]
    R = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
    axes = {"rx": 0, "ry": 1, "rz": 2}
    for k, d in enumerate(dof):
        if d not in axes:
            continue
        a = vals[:, k] * to_rad
        c, s = np.cos(a), np.sin(a)
        Ra = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
        i, j = (axes[d] + 1) % 3, (axes[d] + 2) % 3  # cyclic pair: correct sign for every axis
        Ra[:, i, i], Ra[:, i, j], Ra[:, j, i], Ra[:, j, j] = c, -s, s, c
        R = Ra @ R  # fixed axes: later dofs multiply on the left
    return R


def amc_joint_transforms(asf: AsfSkeleton, amc: AmcMotion, zero_length_branching: bool = False):
    """Forward kinematics laid out like a BVH conversion.

    ``zero_length_branching=True`` gives bones with several children (CMU: thorax, wrists)
    zero length, as the cgspeed and amc2bvh BVH conversions do; the default keeps the ASF's
    geometry (children start at their parent bone's end).

    Returns (names, parents, positions_m (T, J, 3), world_rotmat (T, J, 3, 3)) where joint
    ``root`` is the root, every bone is a joint at its start, and leaf bones add ``<bone>_end``.
    World rotations are relative to the rest pose (identity at rest), world axes.
    """
    T = amc.num_frames
    scale = asf.metres_per_unit
    to_rad = np.pi / 180.0 if amc.degrees else 1.0
    root_vals = amc.values.get("root", np.zeros((T, 0)))
    transl = np.zeros((T, 3))
    for k, d in enumerate(asf.root_order):
        if d in ("tx", "ty", "tz"):
            transl[:, "xyz".index(d[1])] = root_vals[:, k] * scale
    C_root = _fixed_axes_rotation(np.deg2rad(asf.root_orientation) if asf.angle_unit == "deg" else asf.root_orientation, asf.root_axis)
    M_root = _dof_rotation(root_vals, asf.root_order, to_rad)
    W = {"root": C_root @ M_root @ C_root.T}
    end = {"root": transl}  # where each bone ends (children start there)
    names, parents, pos, rot = ["root"], [-1], [transl], [W["root"]]
    index = {"root": 0}
    parent_of = asf.parent_of()
    for b in _bone_order(asf):
        bone = asf.bones[b]
        p = parent_of[b]
        ang = np.deg2rad(bone.axis_deg) if asf.angle_unit == "deg" else bone.axis_deg
        C = _fixed_axes_rotation(ang, bone.axis_order)
        vals = amc.values.get(b, np.zeros((T, 0)))
        M = _dof_rotation(vals, bone.dof, to_rad)
        W[b] = W[p] @ (C @ M @ C.T)
        start = end[p]
        length = 0.0 if zero_length_branching and len(asf.children.get(b, [])) > 1 else bone.length
        end[b] = start + (W[b] @ (bone.direction * length * scale))
        index[b] = len(names)
        names.append(b)
        parents.append(index[p])
        pos.append(start)
        rot.append(W[b])
        if not asf.children.get(b):
            names.append(f"{b}_end")
            parents.append(index[b])
            pos.append(end[b])
            rot.append(W[b])
    return names, parents, np.stack(pos, 1), np.stack(rot, 1)
