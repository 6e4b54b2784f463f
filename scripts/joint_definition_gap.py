"""How far apart are a body model's joints and a detector's keypoints? The floor of the AIST++ test.

    python scripts/joint_definition_gap.py --split test

``aistpp`` scores a model's LSP-14 joints (the hips, shoulders and head of its body model) against
3D keypoints triangulated from a COCO detector (COCO hips, neck = mid-shoulder, head top derived from
the face points). The two definitions differ even for a perfect prediction. This script measures by
how much, on the CMU benchmark's own tracks: each track's ground-truth body is re-posed in its
camera frame, its LSP-14 joints are the "prediction", and the detector-defined LSP-14 points placed on
the same body by the benchmark's offset model (:func:`posebench.data.detector_noise.coco17_from_body`,
fitted to AIST++'s multi-view COCO keypoints, then :func:`~posebench.data.detector_noise.derive_lsp14`)
are the "ground truth". Scored under ``aistpp-v1`` (12 limb joints, pelvis = mid-hip): what a model
that predicted every body joint exactly would still lose on AIST++ to the definitions alone.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from posebench import get_protocol, load_dataset
from posebench.body_models import get_body_model
from posebench.data import detector_noise as dn
from posebench.metrics.scoring import SequencePrediction, SequenceTarget, score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="cmu", help="a CMU benchmark name (cmu, cmu-quick)")
    ap.add_argument("--split", default="test")
    args = ap.parse_args()
    body = get_body_model("skeleton")
    preds, gts = {}, {}
    hip_width_body, hip_width_det = [], []
    for t in load_dataset(args.dataset).tracks(args.split):
        n = len(t)
        with torch.no_grad():
            out = body(torch.as_tensor(np.asarray(t.betas), dtype=torch.float64),  # (T, 10)
                       torch.as_tensor(np.asarray(t.pose_rotmat), dtype=torch.float64),
                       torch.as_tensor(np.asarray(t.meta["transl_cam_m"]), dtype=torch.float64))
        joints24, lsp14 = out.joints24_m.numpy(), out.lsp14_m.numpy()
        if not np.allclose(lsp14, t.joints3d_m, atol=1e-4):  # the re-posed body is the track's GT
            raise SystemExit(f"{t.name}: re-posed body differs from joints3d_m by "
                             f"{np.abs(lsp14 - t.joints3d_m).max():.2e} m")
        detector_lsp14 = dn.derive_lsp14(dn.coco17_from_body(joints24, out.global_rotmat.numpy()))
        preds[t.name] = SequencePrediction(lsp14, covered=np.ones(n, bool))
        gts[t.name] = SequenceTarget(detector_lsp14, valid=t.valid)
        hip_width_body.append(np.linalg.norm(lsp14[:, 2] - lsp14[:, 3], axis=-1))
        hip_width_det.append(np.linalg.norm(detector_lsp14[:, 2] - detector_lsp14[:, 3], axis=-1))
    result = score(preds, gts, get_protocol("aistpp-v1"))
    frames = sum(len(p.joints_lsp14_m) for p in preds.values())
    print(f"{args.dataset} {args.split}: {len(preds)} tracks, {frames} frames")
    print(f"hip width: body {100 * np.concatenate(hip_width_body).mean():.1f} cm, "
          f"detector-defined {100 * np.concatenate(hip_width_det).mean():.1f} cm")
    for key in ("mpjpe", "pa_mpjpe", "acc_err"):
        print(f"{key}: {result.summary[key]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
