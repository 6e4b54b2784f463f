"""Fit the built-in skeleton body model's parameters from the real motion capture.

    python scripts/fit_skeleton_body_model.py [--realdata ../shared/realdata] [--out posebench/body_models/data/skeleton_body_model.npz]

1. Retarget every BVH and ASF/AMC clip of the CMU manifest (all copies, not one per trial:
   the same subject in another skeleton format is a different rest skeleton) and take each
   clip's rest bone offsets (SMPL rest frame, metres; ``retarget.RetargetedMotion.rest_offsets_m``).
2. One skeleton per (CMU subject, skeleton family): the mean of its clips' offsets. Families:
   "cmu" (ASF/AMC and the cgspeed MotionBuilder/3dsMax/amc2bvh conversions share CMU's skeleton
   except that the BVH converters give branching bones zero length), "daz" (cgspeed Daz/Poser
   figure), and "tmoco" (re-exports with subject 01's skeleton). Subject skeletons are the PCA
   samples; with ~30 of them, 10 components are estimable, so per-clip variation is not needed.
3. PCA: ``rest_offsets_mean_m`` (24, 3) = mean skeleton; ``shape_components_m`` (10, 24, 3) =
   principal directions scaled by their standard deviation, so betas have unit variance over
   the subjects (offsets = mean + sum_i betas_i * components_i); ``shape_std`` (10,) = the
   standard deviation of the subjects' least-squares betas (close to 1 by construction; a check).
4. ``head_top_offset_m`` (3,): mean over CMU-skeleton clips of the head end site relative to
   the SMPL head joint, in the head's rest frame (Daz files have no head end site).

The output is written atomically.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posebench.data.mocap.clips import realdata_entries, retarget_entry  # noqa: E402
from posebench.data.mocap.retarget import fit_betas  # noqa: E402
from posebench.io import atomic_path  # noqa: E402

NUM_BETAS = 10


def skeleton_family(entry) -> str:
    if entry.lower_confidence:
        return "tmoco"
    return "daz" if entry.scheme == "cgspeed_daz" else "cmu"


def fit(realdata_dir: Path) -> dict[str, np.ndarray]:
    per_skeleton: dict[str, list[np.ndarray]] = defaultdict(list)
    head_tops = []
    entries = realdata_entries(realdata_dir, unique=False)
    for entry in entries:
        rm = retarget_entry(entry, target_fps=30.0)
        per_skeleton[f"{entry.subject}:{skeleton_family(entry)}"].append(rm.rest_offsets_m)
        if rm.head_top_offset_m is not None and skeleton_family(entry) == "cmu":
            head_tops.append(rm.head_top_offset_m)
    names = sorted(per_skeleton)
    X = np.stack([np.mean(per_skeleton[n], 0) for n in names])  # (S, 24, 3)
    if len(names) <= NUM_BETAS:
        raise SystemExit(f"only {len(names)} subject skeletons: need more than {NUM_BETAS} for the PCA")
    mean = X.mean(0)
    centred = (X - mean).reshape(len(names), -1)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    std = s[:NUM_BETAS] / np.sqrt(len(names) - 1)
    components = (vt[:NUM_BETAS] * std[:, None]).reshape(NUM_BETAS, 24, 3)
    params = {"rest_offsets_mean_m": mean, "shape_components_m": components}
    betas = np.stack([fit_betas(x, params) for x in X])
    return {
        "rest_offsets_mean_m": mean.astype(np.float64),
        "shape_components_m": components.astype(np.float64),
        "shape_std": betas.std(0, ddof=1).astype(np.float64),
        "head_top_offset_m": np.mean(head_tops, 0).astype(np.float64),
        "subjects": np.array(names),
        "source": np.array(
            f"scripts/fit_skeleton_body_model.py: PCA over {len(names)} subject skeletons "
            f"(CMU subject x skeleton family) from {len(entries)} clips of shared/realdata "
            f"(CMU Graphics Lab Motion Capture Database); head top from {len(head_tops)} CMU-skeleton clips."
        ),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    ap.add_argument("--out", type=Path, default=REPO / "posebench" / "body_models" / "data" / "skeleton_body_model.npz")
    args = ap.parse_args(argv)
    params = fit(args.realdata)
    with atomic_path(args.out) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **params)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes): {params['source']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
