"""How much can a latent code of a given size carry? The best *linear* code as a yardstick for MEVA's VAE.

    python scripts/vae_linear_probe.py --config cpu --sizes 32,128,512

Draws ``--windows`` 90-frame training crops of the MEVA prior's motion exactly as the VAE stage
draws them (``configs/meva/CONFIG.py``: the same clips, augmentations and seed), fits PCA to their
(90 x 144) MEVA-6D values, and scores, on the held-out CMU test subjects in the camera frame and by
the code of the VAE's Table-1 analog (:mod:`posebench_meva.vae_eval`), each window projected onto
its first k principal components (a linear autoencoder with a k-d code), beside each window's own
mean pose (a still pose, the best one) and key frames every 15/30/45 frames linearly interpolated. A VAE whose latent (and pooled encoder state) has k
dimensions is unlikely to beat the k-component PCA by much on held-out subjects.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
from posebench_meva import vae_eval
from posebench_meva.train_vae import VAETrainConfig, prior_motion
from posebench_meva.vae_data import AugmentConfig, camera_frame_motion, crop_dataset, meva6d_batch

from posebench.api import open_dataset
from posebench.body_models import get_body_model
from posebench.config import load_config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="cpu", help="MEVA config (configs/meva/NAME.py)")
    ap.add_argument("--sizes", default="32,128,256,512", help="PCA code sizes")
    ap.add_argument("--windows", type=int, default=6000, help="training crops drawn for the PCA fit")
    args = ap.parse_args()
    cfg = load_config(f"meva/{args.config}")
    dataset = open_dataset("cmu", cfg)
    tcfg = VAETrainConfig.from_dict(cfg.get("vae"))
    motion = prior_motion(dataset, tcfg, cfg)
    window = int(cfg["model"]["vae"]["t_total"])
    crops = crop_dataset(motion.train, AugmentConfig.from_dict(tcfg.augment), window, tcfg.crop_stride, tcfg.seed,
                         "MEVA prior motion")
    idx = np.random.default_rng(tcfg.seed).integers(0, len(crops), args.windows)
    x = meva6d_batch(crops, idx).reshape(args.windows, -1).double().numpy()
    mean = x.mean(0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    body_model = get_body_model(tcfg.body_model)
    test = camera_frame_motion(dataset, tcfg.test_split, None, seed=tcfg.seed)
    rows = [("middle frame repeated", vae_eval.middle_frame_repeated),
            ("each window's own mean pose (6D mean over its 90 frames)",
             lambda m: vae_eval.per_window(m, lambda w: np.repeat(w.mean(0, keepdims=True), len(w), 0), window))]
    for k in (int(s) for s in args.sizes.split(",")):
        basis = vt[:k]

        def pca(w: np.ndarray, basis=basis) -> np.ndarray:
            flat = w.reshape(-1).astype(np.float64) - mean
            return (mean + flat @ basis.T @ basis).reshape(w.shape).astype(np.float32)

        rows.append((f"PCA, {k}-d code", lambda m, f=pca: vae_eval.per_window(m, f, window)))
    for step in (15, 30, 45):
        def keyframes(w: np.ndarray, step=step) -> np.ndarray:
            t = np.arange(len(w))
            keys = np.unique(np.r_[np.arange(0, len(w), step), len(w) - 1])
            return np.stack([np.interp(t, keys, w[keys, j]) for j in range(w.shape[1])], 1).astype(np.float32)

        rows.append((f"key frames every {step}, interpolated", lambda m, f=keyframes: vae_eval.per_window(m, f, window)))
    print(f"CMU test subjects, camera frame ({len(test)} tracks); PCA fit on {args.windows} training crops\n")
    print("| reconstruction | MPJPE ↓ | PA-MPJPE ↓ |\n|---|---:|---:|")
    for name, fn in rows:
        r = vae_eval.reconstruction_eval(fn, test, body_model)
        print(f"| {name} | {r['mpjpe']:.1f} | {r['pa_mpjpe']:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
