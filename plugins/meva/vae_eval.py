"""VAE reconstruction error on held-out motion: the analog of the MEVA paper's Table 1.

Each clip is brought to MEVA's 30 fps playback rate (``meva_speed_variants`` with target 30),
cut into 90-frame windows with the ``"meva"`` windowing policy (:mod:`posebench.windowing`:
overlap 10, hard cut, every frame kept once; clips shorter than 90 frames are edge-padded),
encoded and decoded (``z = mu``), and both the ground truth and the reconstruction are
posed with ``body_model`` (mean shape, no translation). Metrics on LSP-14 joints from
:mod:`posebench.metrics.functional`, pooled over all frames of all clips: MPJPE and
PA-MPJPE in mm, ACC-ERR in mm/frame² (computed per clip, never across clip boundaries).
"""
from __future__ import annotations

import numpy as np
import torch
from posebench_meva.vae import MotionVAE
from posebench_meva.vae_data import rotmat_to_meva6d

from posebench.data import augment
from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench.geometry.rotations import rot6d_meva_to_matrix
from posebench.metrics import functional as F
from posebench.windowing import pad_and_slice, plan_windows, stitch


@torch.no_grad()
def reconstruct_motion(vae: MotionVAE, motion6d: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """(N, 144) MEVA-6D motion -> its (N, 144) reconstruction, window by window."""
    window = vae.t_total
    plan = plan_windows(len(motion6d), window, "meva")
    device = next(vae.parameters()).device
    inputs = torch.from_numpy(np.stack([pad_and_slice(motion6d, w) for w in plan])).float()
    outs = []
    for i in range(0, len(inputs), batch_size):
        x = inputs[i:i + batch_size].to(device)
        mu, _ = vae.encode(x)
        outs.append(vae.decode(mu).cpu())
    recon, covered = stitch(list(torch.cat(outs).numpy()), plan, len(motion6d))
    assert covered.all()
    return recon


def _lsp14(body_model, motion6d: np.ndarray, device) -> np.ndarray:
    """(N, 144) -> (N, 14, 3) LSP-14 joints in metres under the mean shape."""
    rot = rot6d_meva_to_matrix(torch.as_tensor(motion6d, dtype=torch.float32, device=device).reshape(-1, 24, 6))
    betas = torch.zeros(rot.shape[0], 10, dtype=rot.dtype, device=device)
    return body_model(betas, rot).lsp14_m.cpu().numpy()


@torch.no_grad()
def vae_reconstruction_eval(vae: MotionVAE, clips: list[MotionClip], body_model) -> dict[str, float]:
    """Encode -> decode held-out ``clips``; returns ``mpjpe``, ``pa_mpjpe`` (mm), ``acc_err``
    (mm/frame²), ``n_frames``, ``n_clips``."""
    if not clips:
        raise PosebenchError("vae_reconstruction_eval: no motion clips to evaluate")
    was_training = vae.training
    vae.eval()
    device = next(vae.parameters()).device
    body_model = body_model.to(device)
    mpjpe, pa, acc = [], [], []
    try:
        for clip in clips:
            clip30 = augment.meva_speed_variants(clip, targets=(augment.MEVA_PLAYBACK_FPS,))[0]
            gt6d = rotmat_to_meva6d(clip30.pose_rotmat)
            if len(gt6d) < 3:
                continue  # ACC-ERR needs 3 frames; such a clip is no motion to speak of
            gt = _lsp14(body_model, gt6d, device)
            pred = _lsp14(body_model, reconstruct_motion(vae, gt6d), device)
            mpjpe.append(F.mpjpe(pred, gt))
            pa.append(F.pa_mpjpe(pred, gt))
            acc.append(F.acc_err(pred, gt))
    finally:
        vae.train(was_training)
    if not mpjpe:
        raise PosebenchError("vae_reconstruction_eval: every clip is shorter than 3 frames")
    return {
        "mpjpe": float(np.concatenate(mpjpe).mean()),
        "pa_mpjpe": float(np.concatenate(pa).mean()),
        "acc_err": float(np.concatenate(acc).mean()),
        "n_frames": int(sum(len(m) for m in mpjpe)),
        "n_clips": len(mpjpe),
    }
