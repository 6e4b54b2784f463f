"""The real-data manifest (``shared/realdata/manifest.json``): units, true fps, T-pose frames, trials.

One :class:`MocapEntry` per motion file. Facts come from the manifest (see ``MANIFEST.md``
"Things to know before using the data"):

- unit -> metres from the ``unit`` string: "CMU units" x0.0254/0.45 (= 0.056444), "cm" x0.01,
  "Daz units / 128" x1.28. ASF/AMC entries take the ASF's own ``length`` unit.
- fps: ``cmu_capture_fps`` when present (AMC files carry none; some BVH Frame Times are wrong),
  else the file's fps.
- ``tpose_frame0``: cgspeed's synthetic T-pose frame 0 (drop it).

Counting each trial once (:func:`unique_trials`) prefers, in this order: original CMU ASF/AMC
(the capture itself), then BVH without a T-pose frame or fps problem, then other BVH; tmoco_ik
re-exports (different skeleton, re-exported values) come last. Ties go to the first path in
sorted order, so the choice is deterministic.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from posebench.errors import DataFormatError

CMU_UNIT_M = 0.0254 / 0.45  # 1 CMU unit = 1/0.45 inch

# naming -> retarget scheme id
_SCHEMES = (
    ("cgspeed-MotionBuilder", "cgspeed_mb"),
    ("cgspeed-3dsMax", "cgspeed_3dsmax"),
    ("cgspeed-DAZ", "cgspeed_daz"),
    ("CMU ASF names", "cmu_asf"),
    ("AMP humanoid", "amp_humanoid"),
)


@dataclass
class MocapEntry:
    """One motion file of the manifest, with what a loader needs to read it correctly."""

    path: Path  # absolute
    rel_path: str
    kind: str  # "bvh" or "amc" (or npy kinds, listed but not loadable)
    scheme: str  # retarget scheme id: cgspeed_mb, cgspeed_3dsmax, cgspeed_daz, cmu_asf, amp_humanoid
    unit_to_m: float | None  # None for AMC: the ASF's :units says it
    fps: float  # true capture fps
    file_fps: float | None
    tpose_frame0: bool
    trial: str | None  # CMU trial id "05_01"; None for non-CMU (HDM05)
    subject: str  # CMU subject "05", or e.g. "hdm05_dg"
    source: str
    asf_path: Path | None = None
    description: str = ""
    lower_confidence: str = ""  # why this copy should not be preferred (tmoco re-exports)


def unit_to_metres(unit: str, where="manifest") -> float:
    """Metres per file unit from the manifest's ``unit`` string."""
    u = unit.lower()
    if "cmu units" in u:
        return CMU_UNIT_M
    if "/ 128" in u or "x1.28" in u:
        return 1.28
    if u.startswith("cm"):
        return 0.01
    m = re.search(r"x\s*([0-9.]+)\s*=\s*metres", u)
    if m:
        return float(m.group(1))
    raise DataFormatError(where, f"unknown unit {unit!r}", field="unit")


def _scheme(naming: str, where) -> str:
    for prefix, scheme in _SCHEMES:
        if naming.startswith(prefix):
            return scheme
    raise DataFormatError(where, f"unknown naming scheme {naming!r}", field="naming")


def _asf_for(amc: Path) -> Path | None:
    """The skeleton of an AMC: same folder, ``<subject>.asf`` or the only/shared-prefix ASF."""
    asfs = sorted(amc.parent.glob("*.asf"))
    subject = amc.stem.split("_")[0]
    for a in asfs:
        if a.stem == subject:
            return a
    matches = [a for a in asfs if amc.stem.startswith(a.stem)]
    if len(matches) == 1:
        return matches[0]
    return asfs[0] if len(asfs) == 1 else None


def load_manifest(realdata_dir) -> list[MocapEntry]:
    """Motion entries (BVH and AMC; AMP npy listed with scheme amp_humanoid) of ``manifest.json``."""
    root = Path(realdata_dir)
    mpath = root / "manifest.json"
    try:
        raw = json.loads(mpath.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataFormatError(mpath, f"cannot read manifest: {e}") from e
    out = []
    for i, e in enumerate(raw):
        kind = e.get("kind")
        if kind not in ("bvh", "amc", "npy-SkeletonMotion"):
            continue
        where = f"{mpath} entry {i} ({e.get('path')})"
        path = root / e["path"]
        trial = e.get("cmu_trial")
        if kind == "amc":
            asf = _asf_for(path)
            if asf is None:
                raise DataFormatError(where, "no ASF skeleton next to this AMC", field="path")
            scheme, unit, asf_path = "cmu_asf", None, asf
        elif kind == "bvh":
            scheme, unit, asf_path = _scheme(e.get("naming", ""), where), unit_to_metres(e.get("unit", ""), where), None
        else:
            scheme, unit, asf_path = "amp_humanoid", None, None
        fps = e.get("cmu_capture_fps") or e.get("fps")
        if not fps:
            raise DataFormatError(where, "no frame rate (fps / cmu_capture_fps)", field="fps")
        if trial:
            subject = trial.split("_")[0]
        elif e.get("licence_key") == "HDM05":
            subject = "hdm05_" + path.stem.split("_")[1]
        else:
            subject = path.stem
        out.append(MocapEntry(
            path=path, rel_path=e["path"], kind=kind, scheme=scheme, unit_to_m=unit, fps=float(fps),
            file_fps=e.get("fps"), tpose_frame0=bool(e.get("tpose_frame0", False)), trial=trial,
            subject=subject, source=e.get("source", ""), asf_path=asf_path,
            description=e.get("cmu_description", ""),
            lower_confidence="tmoco_ik re-export (subject 01 skeleton, values differ from cgspeed)"
            if "tmoco_ik" in e["path"] else "",
        ))
    return out


def preference_rank(entry: MocapEntry) -> tuple:
    """Smaller is preferred when one trial exists in several files (see the module docstring)."""
    fps_problem = entry.file_fps is not None and abs(float(entry.file_fps) - entry.fps) > 0.5
    return (
        bool(entry.lower_confidence),
        entry.kind != "amc",
        entry.tpose_frame0 or fps_problem,
        entry.rel_path,
    )


def unique_trials(entries: list[MocapEntry]) -> list[MocapEntry]:
    """One entry per CMU trial (non-CMU entries are all kept), in path order."""
    best: dict[str, MocapEntry] = {}
    rest = []
    for e in entries:
        if not e.trial:
            rest.append(e)
        elif e.trial not in best or preference_rank(e) < preference_rank(best[e.trial]):
            best[e.trial] = e
    return sorted(list(best.values()) + rest, key=lambda e: e.rel_path)


def entry_for_path(entries: list[MocapEntry], path) -> MocapEntry | None:
    p = Path(path).resolve()
    for e in entries:
        if e.path.resolve() == p:
            return e
    return None
