"""Evaluate a trained MEVA checkpoint with and without its motion residual regressor (MRR).

    python scripts/meva_refinement_ablation.py [SEED] [CONFIG]

Uses the checkpoint `posebench train meva --seed SEED --config CONFIG` cached (defaults 0, cpu) and
the CMU test split under posebench-v1. With ``vme_only`` the output is the VAE-decoded (coarse)
motion; this is an inference-time ablation of the same weights, not the paper's retrained Table 4 row
(for that: `posebench train meva --cfg-options model.vme_only=True`).
"""
import sys

from posebench.evaluation import evaluate
from posebench.metrics.functional import accel
from posebench.paths import checkpoint_dir
from posebench.registry import build_model, get_protocol, load_dataset
from posebench.training.checkpoint import load_checkpoint, load_model_state

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
config = sys.argv[2] if len(sys.argv) > 2 else "cpu"
ckpt = load_checkpoint(checkpoint_dir("meva", "cmu", seed, config) / "best.pt", model_name="meva")
tracks = load_dataset("cmu").tracks("test")
for vme_only in (False, True):
    model = build_model("meva", {**ckpt["hparams"], "vme_only": vme_only})
    load_model_state(model, ckpt)
    s = evaluate(model, tracks, "test", get_protocol("posebench")).summary
    print(f"vme_only={vme_only}: MPJPE {s['mpjpe']:.1f}  PA-MPJPE {s['pa_mpjpe']:.1f}  "
          f"ACC-ERR {s['acc_err']:.2f}  ACCEL {s['accel']:.2f}  (mm, mm/frame²)")

gt_accel = [accel(t.joints3d_m) for t in tracks]
print(f"ground truth ACCEL {sum(a.sum() for a in gt_accel) / sum(len(a) for a in gt_accel):.2f} mm/frame²")
