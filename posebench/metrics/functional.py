"""Per-frame pose metrics: MPJPE, PA-MPJPE, ACC-ERR, ACCEL, velocity error, PVE.

Fixed contract, never guessed from shapes: every joint input is ONE sequence shaped
``(N, J, 3)`` (frames, joints, xyz) in **metres**; every output is in **millimetres**
(per frame, per frame², ...). Inputs may be numpy arrays or torch tensors; they are
converted to float64 numpy. A wrong rank, a last axis that is not 3, mismatched
shapes or a NaN/inf raises :class:`~posebench.errors.ShapeError` naming the argument.

Definitions, and which official code computes what (per frame or per term; which frames and
how values are averaged is the protocol's business, posebench.metrics.protocols and
docs/protocols.md):

- ``mpjpe``: ``mean_j ‖(P_j − P_pelvis) − (G_j − G_pelvis)‖`` per frame, each side
  centred on its own pelvis (mean of the ``pelvis`` joints; LSP-14 mid-hip = (2, 3)).
  The same formula in VIBE (mkocabas/VIBE lib/core/evaluate.py, torch, on the pelvis-centred
  stack), MEVA (ZhengyiLuo/MEVA meva/utils/eval_utils.py ``compute_errors``) and HMMR
  (akanazawa/human_dynamics src/evaluation/eval_util.py ``compute_error_3d``).
- ``pa_mpjpe``: per frame, the best similarity transform (scale, rotation with det = +1,
  translation) maps the first argument onto the second; mean joint error after it. All
  three use the SVD solution with the reflection fix Z = diag(1, 1, sign det(U Vᵀ)) (VIBE
  ``batch_compute_similarity_transform_torch``; MEVA and HMMR ``compute_similarity_transform``).
  VIBE and HMMR align the prediction onto the GT (``pa_mpjpe(pred, gt)``). MEVA's
  scripts/eval_meva.py calls ``compute_errors(pred, gt)`` against the signature
  ``compute_errors(gt3ds, preds)``, so it aligns the GT onto the prediction: that is
  ``pa_mpjpe(gt, pred)`` here (protocol field ``pa_direction``). posebench finds the same
  rotation by Newton polar iterations where det K > 0 and by the SVD formula elsewhere.
- ``acc_err``: ``mean_j ‖Δ²P_j − Δ²G_j‖`` with ``Δ²X_t = X_{t−1} − 2X_t + X_{t+1}``,
  in mm/frame² (no fps factor anywhere: multiply by fps² for mm/s²). HMMR's
  ``compute_error_accel`` (copied into VIBE lib/utils/eval_utils.py and MEVA): VIBE and MEVA
  pass pelvis-centred joints and no ``vis``; HMMR passes raw (not centred) joints, so root
  jitter counts (``pelvis=None`` here), and a per-frame ``vis`` mask.
- ``accel``: ``mean_j ‖Δ²P_j‖``, the prediction's own acceleration (smoothness, not an
  error), mm/frame²: HMMR's ``compute_accel``; VIBE applies it to the pelvis-centred
  prediction, HMMR to the raw prediction with no mask; MEVA's eval script does not report it.
- ``vel_err``: ``mean_j ‖ΔP_j − ΔG_j‖`` with ``ΔX_t = X_{t+1} − X_t``, mm/frame: MEVA's
  ``compute_error_vel`` on pelvis-centred joints; VIBE and HMMR do not report it.
- ``pve``: ``mean_v ‖P_v − G_v‖`` over mesh vertices, no alignment at all, mm: VIBE's
  ``compute_error_verts`` (GT mesh from the neutral SMPL) and HMMR's ``mesh_posed`` (on
  visible frames); MEVA's eval script does not compute it.
- Units: VIBE and MEVA multiply metres by 1000 before reporting; HMMR prints metres.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from posebench.errors import ShapeError

M_TO_MM = 1000.0
MIDHIP = (2, 3)  # LSP-14 right hip, left hip
# Frames per block (of 14 joints): the batched maths runs block by block so its temporaries stay in cache
# (one pass over 1M frames at once is several times slower, bound by memory traffic).
BLOCK = 8192


def _to_numpy(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor, on any device, with or without grad
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name}: cannot be read as a float array ({exc})") from None


def _points(x, name: str, min_frames: int = 0) -> np.ndarray:
    """``x`` as float64 ``(N, J, 3)``, finite, with at least ``min_frames`` frames."""
    a = _to_numpy(x, name)
    if a.ndim != 3 or a.shape[-1] != 3:
        raise ShapeError(f"{name}: expected shape (N, J, 3) for one sequence in metres, got {a.shape}")
    if a.shape[1] == 0:
        raise ShapeError(f"{name}: has no joints/vertices, shape {a.shape}")
    if a.shape[0] < min_frames:
        raise ShapeError(f"{name}: needs at least {min_frames} frames, got {a.shape[0]}")
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ShapeError(f"{name}: contains NaN/inf (first at frame {bad[0]}, joint {bad[1]})")
    return a


def _pair(pred, gt, pred_name: str, gt_name: str, min_frames: int = 0) -> tuple[np.ndarray, np.ndarray]:
    p = _points(pred, pred_name, min_frames)
    g = _points(gt, gt_name, min_frames)
    if p.shape != g.shape:
        raise ShapeError(f"{pred_name} has shape {p.shape} but {gt_name} has shape {g.shape}; they must match")
    return p, g


def _centre(x: np.ndarray, pelvis: Sequence[int] | None, name: str) -> np.ndarray:
    """Subtract the per-frame pelvis (mean of the ``pelvis`` joints) from every joint."""
    if pelvis is None:
        return x
    idx = list(pelvis)
    if not idx or min(idx) < -x.shape[1] or max(idx) >= x.shape[1]:
        raise ShapeError(f"{name}: pelvis joints {tuple(pelvis)} out of range for {x.shape[1]} joints")
    centre = x[:, idx[0]].copy()  # summed joint by joint: faster than fancy indexing + mean
    for i in idx[1:]:
        centre += x[:, i]
    centre /= len(idx)
    return x - centre[:, None, :]


def _vis(vis, n_frames: int) -> np.ndarray:
    v = vis.detach().cpu().numpy() if hasattr(vis, "detach") else np.asarray(vis)
    if v.shape != (n_frames,):
        raise ShapeError(f"vis: expected shape ({n_frames},) (one flag per frame), got {v.shape}")
    return v.astype(bool)


def acc_term_mask(vis, n_frames: int | None = None) -> np.ndarray:
    """Which second-difference terms to keep: term ``t`` (frames t, t+1, t+2) is kept only
    if all three frames are visible. ``vis`` (N,) bool -> (max(N−2, 0),) bool."""
    v = _vis(vis, len(vis) if n_frames is None else n_frames)
    if v.shape[0] < 3:
        return np.zeros(0, dtype=bool)
    return v[:-2] & v[1:-1] & v[2:]


def _blocked(kernel, arrays: tuple, n_out: int, halo: int = 0) -> np.ndarray:
    """``kernel`` over blocks of frames: output rows [s, e) come from input rows
    [s, e + halo) (halo = 2 for second differences), concatenated to (n_out,)."""
    out = np.empty(n_out)
    rows = max(1, BLOCK * 14 // max(arrays[0].shape[1], 1))  # same memory per block for 6890 vertices
    for s in range(0, n_out, rows):
        e = min(s + rows, n_out)
        out[s:e] = kernel(*(a[s:e + halo] for a in arrays))
    return out


def _norm(x: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis (faster than np.linalg.norm for xyz)."""
    return np.sqrt(np.einsum("...i,...i->...", x, x))


def mpjpe(pred_m, gt_m, pelvis: Sequence[int] | None = MIDHIP) -> np.ndarray:
    """Mean per-joint position error per frame, mm.

    ``pred_m``, ``gt_m``: (N, J, 3) metres. Each is centred on its own pelvis (mean of
    joints ``pelvis``; ``None`` = no centring). Returns (N,) mm.
    """
    p, g = _pair(pred_m, gt_m, "pred_m", "gt_m")
    _centre(p[:1], pelvis, "pred_m")  # checks the pelvis indices once

    def kernel(p, g):
        return _norm(_centre(p, pelvis, "pred_m") - _centre(g, pelvis, "gt_m")).mean(axis=1)

    return _blocked(kernel, (p, g), p.shape[0]) * M_TO_MM


def procrustes_align(pred_m, gt_m) -> np.ndarray:
    """Per-frame similarity Procrustes: the prediction mapped onto the GT, (N, J, 3) metres.

    For each frame, with X1/X2 the joint-mean-centred prediction/GT (J, 3):
    ``K = X1ᵀ X2 = U Σ Vᵀ``, ``Z = diag(1, 1, sign det(U Vᵀ))``, ``R = V Z Uᵀ`` (det R = +1,
    reflections never allowed), ``s = trace(R K) / ‖X1‖²``,
    aligned ``= s R x1 + μ2``. A frame whose prediction is one single point gets s = 0
    (every joint lands on the GT mean) instead of a division by zero.
    """
    p, g = _pair(pred_m, gt_m, "pred_m", "gt_m")
    return _procrustes(p, g)


def _procrustes(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """:func:`procrustes_align` on checked float64 (N, J, 3) arrays."""
    n_joints = p.shape[1]
    mu1 = np.einsum("nji->ni", p)[:, None, :] / n_joints
    mu2 = np.einsum("nji->ni", g)[:, None, :] / n_joints
    x1, x2 = p - mu1, g - mu2
    var1 = np.einsum("nji,nji->n", x1, x1)
    k = x1.transpose(0, 2, 1) @ x2  # K = X1ᵀ X2, (N, 3, 3)
    rot = _best_rotation(k)
    trace = np.einsum("nij,nji->n", rot, k)  # trace(R K)
    scale = np.divide(trace, var1, out=np.zeros_like(trace), where=var1 > 0)
    # aligned_j = s R x1_j + μ2, written for row vectors: s x1 Rᵀ
    return scale[:, None, None] * (x1 @ rot.transpose(0, 2, 1)) + mu2


def _best_rotation(k: np.ndarray) -> np.ndarray:
    """R = V Z Uᵀ with K = U Σ Vᵀ and Z = diag(1, 1, sign det(U Vᵀ)), for (N, 3, 3) K.

    Where det K > 0 (the usual case) R is the orthogonal polar factor of Kᵀ, found by
    scaled Newton iterations in closed form (several times faster than a batched LAPACK
    SVD). Frames with det K <= 0 (the reflection fix), a near-singular K (e.g. exactly
    coplanar points), or no convergence use the SVD formula directly, with Z taken from
    det U · det Vᵀ so that det R = +1 always.
    """
    rot = np.empty_like(k)
    norm3 = np.einsum("nij,nij->n", k, k) ** 1.5
    newton = _det3(k) > 1e-9 * norm3
    if newton.any():
        x = k[newton].transpose(0, 2, 1).copy()
        for _ in range(POLAR_ITERATIONS):
            previous = x
            x = _newton_polar_step(x)
        converged = np.abs(x - previous).max(axis=(1, 2)) < 1e-11
        idx = np.flatnonzero(newton)
        rot[idx[converged]] = x[converged]
        newton[idx[~converged]] = False
    rest = ~newton
    if rest.any():
        u, _, vt = np.linalg.svd(k[rest])
        # Z from the factors themselves (as the official code does): det(U Vᵀ) = det U · det Vᵀ = ±1. The sign
        # of det K would be 0 for coplanar points, and the SVD's arbitrary null vectors then give det R = -1.
        z = np.where(_det3(u) * _det3(vt) < 0, -1.0, 1.0)
        vz = vt.transpose(0, 2, 1).copy()
        vz[:, :, 2] *= z[:, None]  # V Z
        rot[rest] = vz @ u.transpose(0, 2, 1)
    return rot


POLAR_ITERATIONS = 8  # 6 reach 1e-15 for typical poses; the rest falls back to the SVD


def _newton_polar_step(x: np.ndarray) -> np.ndarray:
    """One determinant-scaled Newton step towards the polar factor: ½(γX + γ⁻¹X⁻ᵀ),
    γ = |det X|^(-1/3). X⁻ᵀ in closed form: its columns are c1×c2, c2×c0, c0×c1 over det."""
    c0, c1, c2 = x[:, :, 0], x[:, :, 1], x[:, :, 2]
    r0, r1, r2 = _cross(c1, c2), _cross(c2, c0), _cross(c0, c1)
    det = np.einsum("ni,ni->n", c0, r0)
    gamma = np.abs(det) ** (-1.0 / 3.0)
    inv_t = np.stack([r0, r1, r2], axis=2) / (det * gamma)[:, None, None]
    return 0.5 * (gamma[:, None, None] * x + inv_t)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross products of (N, 3) arrays: np.cross's formula without its per-call
    axis juggling, which dominated the Newton steps on short sequences."""
    out = np.empty_like(a)
    out[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
    out[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
    out[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return out


def _det3(m: np.ndarray) -> np.ndarray:
    """Determinants of (N, 3, 3) matrices, closed form."""
    return (m[:, 0, 0] * (m[:, 1, 1] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 1])
            - m[:, 0, 1] * (m[:, 1, 0] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 0])
            + m[:, 0, 2] * (m[:, 1, 0] * m[:, 2, 1] - m[:, 1, 1] * m[:, 2, 0]))


def pa_mpjpe(pred_m, gt_m) -> np.ndarray:
    """Procrustes-aligned MPJPE per frame, mm: ``mean_j ‖procrustes_align(P)_j − G_j‖``.

    ``pred_m``, ``gt_m``: (N, J, 3) metres -> (N,) mm. Pelvis centring is irrelevant here
    (the translation absorbs it), so there is no ``pelvis`` argument. The first argument is
    the one aligned: ``pa_mpjpe(gt, pred)`` is MEVA's eval-script direction (GT onto prediction).
    """
    p, g = _pair(pred_m, gt_m, "pred_m", "gt_m")
    return _blocked(lambda p, g: _norm(_procrustes(p, g) - g).mean(axis=1), (p, g), p.shape[0]) * M_TO_MM


def _first_diff(x: np.ndarray) -> np.ndarray:
    return np.diff(x, axis=0)


def _second_diff(x: np.ndarray) -> np.ndarray:
    return x[:-2] - 2.0 * x[1:-1] + x[2:]


_TIME_DIFFS = {1: _first_diff, 2: _second_diff}


def _centred_diff_error(pred_m, gt_m, pelvis: Sequence[int] | None, order: int) -> np.ndarray:
    """``mean_j ‖D P_j − D G_j‖`` per term, mm/frame^order, with D the ``order``-th time difference
    (1 or 2) of each pelvis-centred sequence: (N, J, 3) metres -> (max(N − order, 0),)."""
    diff = _TIME_DIFFS[order]
    p, g = _pair(pred_m, gt_m, "pred_m", "gt_m")
    if p.shape[0] <= order:
        return np.zeros(0)
    _centre(p[:1], pelvis, "pred_m")  # a bad pelvis fails here, before any block

    def kernel(p, g):
        p, g = _centre(p, pelvis, "pred_m"), _centre(g, pelvis, "gt_m")
        return _norm(diff(p) - diff(g)).mean(axis=1)

    return _blocked(kernel, (p, g), p.shape[0] - order, halo=order) * M_TO_MM


def acc_err(pred_m, gt_m, vis=None, pelvis: Sequence[int] | None = MIDHIP) -> np.ndarray:
    """Acceleration error per kept second-difference term, mm/frame².

    ``pred_m``, ``gt_m``: (N, J, 3) metres, one sequence in time order, each centred on its
    own pelvis first. Term t (t = 0…N−3) uses frames t, t+1, t+2:
    ``mean_j ‖Δ²P − Δ²G‖``. ``vis`` (N,) bool: a term is kept only if its three frames are
    visible (HMMR's rule); only kept terms are returned, so the length is
    ``acc_term_mask(vis).sum()`` (N−2 without ``vis``; 0 when N < 3).
    """
    err = _centred_diff_error(pred_m, gt_m, pelvis, order=2)
    if vis is not None and err.size:
        err = err[acc_term_mask(vis, err.size + 2)]
    return err


def accel(pred_m, pelvis: Sequence[int] | None = MIDHIP) -> np.ndarray:
    """Acceleration magnitude of the prediction per term, mm/frame² (smoothness, no GT).

    ``pred_m``: (N, J, 3) metres, pelvis-centred first. Returns (max(N−2, 0),):
    ``mean_j ‖P_{t} − 2P_{t+1} + P_{t+2}‖``.
    """
    p = _points(pred_m, "pred_m")
    if p.shape[0] < 3:
        return np.zeros(0)
    _centre(p[:1], pelvis, "pred_m")

    def kernel(p):
        return _norm(_second_diff(_centre(p, pelvis, "pred_m"))).mean(axis=1)

    return _blocked(kernel, (p,), p.shape[0] - 2, halo=2) * M_TO_MM


def vel_err(pred_m, gt_m, pelvis: Sequence[int] | None = MIDHIP) -> np.ndarray:
    """Velocity error per frame pair, mm/frame: ``mean_j ‖ΔP_j − ΔG_j‖``, ΔX_t = X_{t+1} − X_t.

    ``pred_m``, ``gt_m``: (N, J, 3) metres, each pelvis-centred first. Returns (max(N−1, 0),).
    """
    return _centred_diff_error(pred_m, gt_m, pelvis, order=1)


def pve(pred_verts_m, gt_verts_m) -> np.ndarray:
    """Per-vertex error per frame, mm: ``mean_v ‖P_v − G_v‖``, no alignment or centring.

    ``pred_verts_m``, ``gt_verts_m``: (N, V, 3) metres (e.g. V = 6890 SMPL vertices) -> (N,).
    """
    p, g = _pair(pred_verts_m, gt_verts_m, "pred_verts_m", "gt_verts_m")
    return _blocked(lambda p, g: _norm(p - g).mean(axis=1), (p, g), p.shape[0]) * M_TO_MM


# (name, function, unit) for the core plugin (posebench/builtins.py).
REGISTERED_METRICS = [
    ("mpjpe", mpjpe, "mm"),
    ("pa_mpjpe", pa_mpjpe, "mm"),
    ("acc_err", acc_err, "mm/frame^2"),
    ("accel", accel, "mm/frame^2"),
    ("vel_err", vel_err, "mm/frame"),
    ("pve", pve, "mm"),
]
UNITS = {name: unit for name, _, unit in REGISTERED_METRICS}
