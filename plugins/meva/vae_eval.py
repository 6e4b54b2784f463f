"""VAE reconstruction error on held-out motion, the analog of the MEVA paper's Table 1, beside
three trivial baselines computed by the same code.

Motion is given as clips at 30 fps whose root orientation is in the frame the VAE is used in
(camera axes: :func:`posebench_meva.vae_data.camera_frame_motion`). Each clip is cut into
90-frame windows with the ``"meva"`` windowing policy (:mod:`posebench.windowing`: overlap 10,
hard cut, every frame kept once; clips shorter than 90 frames are edge-padded). A
*reconstructor* maps a clip's (N, 144) MEVA-6D motion to (N, 144):

- ``vae``: encode -> decode each window (``z = mu``);
- ``rest_pose_gt_root``: every joint at rest except the root, which is the ground truth's;
- ``middle_frame_repeated``: each window's ground-truth middle frame repeated 90 times;
- ``moving_average_15``: a centred 15-frame moving average of the ground truth's 6D values
  (edge-padded), a reference for "smooth but accurate", not a target.

Ground truth and reconstruction are posed with ``body_model`` (mean shape, no translation).
Metrics on LSP-14 joints from :mod:`posebench.metrics.functional`, pooled over all frames of
all clips: MPJPE (mid-hip aligned) and PA-MPJPE in mm, ACC-ERR in mm/frame² (per clip, never
across clip boundaries).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from posebench_meva.vae import MotionVAE
from posebench_meva.vae_data import at_playback_fps, rotmat_to_meva6d

from posebench.data.track import MotionClip
from posebench.errors import PosebenchError
from posebench.geometry.rotations import rot6d_meva_to_matrix
from posebench.metrics import functional as F
from posebench.windowing import pad_and_slice, plan_windows, stitch

WINDOW = 90
MOVING_AVERAGE_FRAMES = 15
BASELINES = ("rest_pose_gt_root", "middle_frame_repeated", "moving_average_15")
# The bar a usable prior must clear: this much lower MPJPE and PA-MPJPE than repeating each window's middle frame.
REQUIRED_GAIN_OVER_MIDDLE_FRAME = 0.40

Reconstructor = Callable[[np.ndarray], np.ndarray]


def per_window(motion6d: np.ndarray, window_fn: Callable[[np.ndarray], np.ndarray], window: int) -> np.ndarray:
    """Apply ``window_fn`` ((window, 144) -> (window, 144)) on the "meva" windows; stitched (N, 144)."""
    plan = plan_windows(len(motion6d), window, "meva")
    recon, covered = stitch([window_fn(pad_and_slice(motion6d, w)) for w in plan], plan, len(motion6d))
    assert covered.all()
    return recon


@torch.no_grad()
def reconstruct_motion(vae: MotionVAE, motion6d: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """(N, 144) MEVA-6D motion -> its (N, 144) VAE reconstruction, window by window."""
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


def rest_pose_gt_root(motion6d: np.ndarray) -> np.ndarray:
    rest = rotmat_to_meva6d(np.broadcast_to(np.eye(3, dtype=np.float32), (1, 24, 3, 3)))[0]
    out = np.tile(rest, (len(motion6d), 1))
    out[:, :6] = motion6d[:, :6]
    return out


def middle_frame_repeated(motion6d: np.ndarray, window: int = WINDOW) -> np.ndarray:
    return per_window(motion6d, lambda w: np.repeat(w[len(w) // 2][None], len(w), 0), window)


def moving_average(motion6d: np.ndarray, frames: int = MOVING_AVERAGE_FRAMES) -> np.ndarray:
    half = frames // 2
    padded = np.pad(motion6d, ((half, half), (0, 0)), mode="edge")
    csum = np.cumsum(np.pad(padded, ((1, 0), (0, 0))), axis=0, dtype=np.float64)
    return ((csum[frames:] - csum[:-frames]) / frames).astype(motion6d.dtype)


def baseline_reconstructors() -> dict[str, Reconstructor]:
    return {"rest_pose_gt_root": rest_pose_gt_root, "middle_frame_repeated": middle_frame_repeated,
            "moving_average_15": moving_average}


def _lsp14(body_model, motion6d: np.ndarray, device) -> np.ndarray:
    """(N, 144) -> (N, 14, 3) LSP-14 joints in metres under the mean shape."""
    rot = rot6d_meva_to_matrix(torch.as_tensor(motion6d, dtype=torch.float32, device=device).reshape(-1, 24, 6))
    betas = torch.zeros(rot.shape[0], 10, dtype=rot.dtype, device=device)
    return body_model(betas, rot).lsp14_m.cpu().numpy()


@torch.no_grad()
def reconstruction_eval(reconstruct: Reconstructor, clips: list[MotionClip], body_model, device="cpu") -> dict:
    """Metrics of ``reconstruct`` on ``clips``: ``mpjpe``, ``pa_mpjpe`` (mm), ``acc_err``
    (mm/frame²), ``n_frames``, ``n_clips``."""
    if not clips:
        raise PosebenchError("VAE reconstruction eval: no motion clips to evaluate")
    body_model = body_model.to(device)
    mpjpe, pa, acc = [], [], []
    for clip in clips:
        gt6d = rotmat_to_meva6d(at_playback_fps(clip).pose_rotmat)
        if len(gt6d) < 3:
            continue  # ACC-ERR needs 3 frames; such a clip is no motion to speak of
        gt = _lsp14(body_model, gt6d, device)
        pred = _lsp14(body_model, reconstruct(gt6d), device)
        mpjpe.append(F.mpjpe(pred, gt))
        pa.append(F.pa_mpjpe(pred, gt))
        acc.append(F.acc_err(pred, gt))
    if not mpjpe:
        raise PosebenchError("VAE reconstruction eval: every clip is shorter than 3 frames")
    return {
        "mpjpe": float(np.concatenate(mpjpe).mean()),
        "pa_mpjpe": float(np.concatenate(pa).mean()),
        "acc_err": float(np.concatenate(acc).mean()),
        "n_frames": int(sum(len(m) for m in mpjpe)),
        "n_clips": len(mpjpe),
    }


@torch.no_grad()
def vae_reconstruction_eval(vae: MotionVAE, clips: list[MotionClip], body_model) -> dict[str, float]:
    """Encode -> decode held-out ``clips`` (see :func:`reconstruction_eval`)."""
    was_training = vae.training
    vae.eval()
    device = next(vae.parameters()).device
    try:
        return reconstruction_eval(lambda m: reconstruct_motion(vae, m), clips, body_model, device)
    finally:
        vae.train(was_training)


def baselines_eval(clips: list[MotionClip], body_model) -> dict[str, dict]:
    """The three baselines on ``clips``, by the same code as the VAE."""
    return {name: reconstruction_eval(fn, clips, body_model) for name, fn in baseline_reconstructors().items()}


def gain_over(metrics: dict, baseline: dict) -> dict:
    """Relative reduction of MPJPE and PA-MPJPE against ``baseline`` (0.4 = 40% lower)."""
    return {k: 1.0 - metrics[k] / baseline[k] for k in ("mpjpe", "pa_mpjpe")}


def beats_middle_frame(metrics: dict, baselines: dict, required: float = REQUIRED_GAIN_OVER_MIDDLE_FRAME) -> dict:
    """Whether ``metrics`` beat "middle frame repeated" by ``required`` on MPJPE and PA-MPJPE."""
    gain = gain_over(metrics, baselines["middle_frame_repeated"])
    return {"required_gain": required, "gain": gain, "passed": bool(all(g >= required for g in gain.values()))}
