"""Conformance checks a plugin author runs in their own tests.

::

    from posebench.testing import check_model_plugin, check_dataset_plugin

    def test_my_model_honours_the_contract():
        check_model_plugin("mymodel", cfg={"model": {...}}, feature_dim=73)

:func:`check_model` checks both kinds of model the contract allows: those that provide SMPL
rotations + shape + joints (``outputs = "smpl"``, the default) and joints-only ones such as
2D-to-3D lifters (``outputs = "joints"``: every field but ``joints_lsp14_m`` must be None).

Each check raises ``AssertionError`` with a message that says which rule of the contract
(:mod:`posebench.models.base`, :mod:`posebench.data.track`) was broken.
"""
from __future__ import annotations

import io

import numpy as np
import torch

from posebench.data.track import DatasetStatus, MotionClip, PoseDataset, Track
from posebench.models.base import (
    OUTPUTS_JOINTS,
    SMPL_ONLY_FIELDS,
    PoseModel,
    PoseOutput,
    WindowBatch,
    model_outputs,
)


def _fail(rule: str, detail: str) -> None:
    raise AssertionError(f"contract rule broken: {rule}: {detail}")


def _expect_shape(name: str, tensor, shape: tuple) -> None:
    if not isinstance(tensor, torch.Tensor):
        _fail(f"PoseOutput.{name} is a tensor", f"got {type(tensor).__name__}")
    if tuple(tensor.shape) != shape:
        _fail(f"PoseOutput.{name} has shape {shape}", f"got {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        _fail(f"PoseOutput.{name} is finite", "found NaN or inf")


def synthetic_window_batch(batch: int, frames: int, feature_dim: int, *, with_targets: bool = True,
                           fps: float = 30.0, seed: int = 0) -> WindowBatch:
    """A batch with valid shapes and plausible ranges (not real data: for contract checks only)."""
    g = torch.Generator().manual_seed(seed)
    kp2d = torch.rand(batch, frames, 14, 3, generator=g) * 2 - 1
    kp2d[..., 2] = (kp2d[..., 2] > -0.8).float()
    wb = WindowBatch(features=torch.randn(batch, frames, feature_dim, generator=g), fps=fps, kp2d=kp2d,
                     mask=torch.ones(batch, frames))
    if with_targets:
        from posebench.geometry.rotations import axis_angle_to_matrix

        wb.joints3d_m = torch.randn(batch, frames, 14, 3, generator=g) * 0.3
        wb.pose_rotmat = axis_angle_to_matrix(torch.randn(batch, frames, 24, 3, generator=g) * 0.3)
        wb.betas = torch.randn(batch, frames, 10, generator=g)
        wb.w_3d = torch.ones(batch, frames)
        wb.w_smpl = torch.ones(batch, frames)
    return wb


def check_pose_output(out: PoseOutput, batch: int, frames: int, outputs: str = "smpl") -> None:
    """Check ``out`` for a model that declares ``outputs`` (``"smpl"``: rotations + shape + joints;
    ``"joints"``: 3D joints only, every other field None)."""
    if not isinstance(out, PoseOutput):
        _fail("forward returns a PoseOutput", f"got {type(out).__name__}")
    _expect_shape("joints_lsp14_m", out.joints_lsp14_m, (batch, frames, 14, 3))
    # Metres: a human body is well under 3 m from its pelvis.
    if out.joints_lsp14_m.detach().abs().max() > 5:
        _fail("joints are in metres, pelvis near the origin", f"max |x| = {float(out.joints_lsp14_m.abs().max()):.1f}")
    if outputs == OUTPUTS_JOINTS:
        present = [f for f in SMPL_ONLY_FIELDS if getattr(out, f) is not None]
        if present:
            _fail("a joints-only model (outputs = 'joints') leaves the SMPL fields None", f"got {present}")
        return
    _expect_shape("rotmat", out.rotmat, (batch, frames, 24, 3, 3))
    _expect_shape("betas", out.betas, (batch, frames, 10))
    _expect_shape("cam", out.cam, (batch, frames, 3))
    _expect_shape("joints24_m", out.joints24_m, (batch, frames, 24, 3))
    _expect_shape("kp2d", out.kp2d, (batch, frames, 14, 2))
    R = out.rotmat.detach().double()
    eye = torch.eye(3, dtype=R.dtype).expand_as(R)
    if not torch.allclose(R @ R.transpose(-1, -2), eye, atol=1e-4):
        _fail("rotmat holds rotation matrices", "R R^T != I")
    if not torch.allclose(torch.linalg.det(R), torch.ones_like(R[..., 0, 0]), atol=1e-4):
        _fail("rotmat holds rotation matrices", "det(R) != 1")


def check_model(model: PoseModel, feature_dim: int, *, batch: int = 2, train: bool = True) -> None:
    """Check a model instance against the contract of :mod:`posebench.models.base`."""
    if not isinstance(model, PoseModel):
        _fail("the model is a posebench.models.PoseModel", f"got {type(model).__name__}")
    if not isinstance(model.window, int) or model.window < 1:
        _fail("model.window is a positive int", repr(model.window))
    if not set(model.inputs) <= {"features", "kp2d"}:
        _fail("model.inputs is a subset of {'features', 'kp2d'}", repr(model.inputs))
    try:
        outputs = model_outputs(model)
    except Exception as exc:
        _fail("model.outputs is 'smpl' or 'joints'", str(exc))
    frames = model.window
    model.eval()
    with torch.no_grad():
        wb = synthetic_window_batch(batch, frames, feature_dim, with_targets=False)
        out = model(wb)
        check_pose_output(out, batch, frames, outputs)
        # Batch rows are independent: row 0 alone gives the same result as within the batch.
        single = model(WindowBatch(features=wb.features[:1], kp2d=wb.kp2d[:1], fps=wb.fps, mask=wb.mask[:1]))
        if not torch.allclose(single.joints_lsp14_m, out.joints_lsp14_m[:1], atol=1e-4):
            _fail("batch rows are independent in eval mode", "row 0 differs when run alone")
        again = model(wb)
        if not torch.allclose(again.joints_lsp14_m, out.joints_lsp14_m):
            _fail("eval mode is deterministic", "two identical calls differ")
    # Save and load through a state dict + hparams.
    buffer = io.BytesIO()
    torch.save({"hparams": model.hparams, "state_dict": model.state_dict()}, buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    if not isinstance(restored["hparams"], dict):
        _fail("model.hparams is a plain dict", type(model.hparams).__name__)
    if train:
        model.train()
        wb = synthetic_window_batch(batch, frames, feature_dim, with_targets=True, seed=1)
        out = model(wb)
        losses = model.training_losses(wb, out)
        if "loss" not in losses:
            _fail("training_losses returns a dict with 'loss'", f"keys {sorted(losses)}")
        loss = losses["loss"]
        if loss.dim() != 0 or not torch.isfinite(loss):
            _fail("losses['loss'] is a finite scalar", repr(loss))
        trainable = [p for p in model.parameters() if p.requires_grad]
        model.zero_grad()
        loss.backward()
        if not any(p.grad is not None and p.grad.abs().sum() > 0 for p in trainable):
            _fail("the loss reaches the trainable parameters", "all gradients are zero")
        extra = model.after_step(wb, out)
        if not isinstance(extra, dict):
            _fail("after_step returns a dict", type(extra).__name__)
        model.eval()


def check_model_plugin(name: str, cfg: dict | None = None, feature_dim: int = 73, **kwargs) -> PoseModel:
    """Build a registered model by name and check it; returns the model."""
    from posebench.registry import build_model, get_plugin_system

    entry = get_plugin_system().models.get(name)
    cfg = dict(cfg or {})
    cfg.setdefault("input_dim", feature_dim)
    model = build_model(name, cfg)
    if entry.metadata.get("window") not in (None, model.window):
        _fail("registered window matches model.window", f"{entry.metadata['window']} != {model.window}")
    if entry.metadata.get("outputs") not in (None, model_outputs(model)):
        _fail("registered outputs match model.outputs", f"{entry.metadata['outputs']} != {model_outputs(model)}")
    check_model(model, feature_dim, **kwargs)
    return model


def check_track(track: Track) -> None:
    n = len(track)
    if n < 1:
        _fail("a track has at least one frame", track.name)
    expected = {"features": None, "kp2d": (n, 14, 3), "joints3d_m": (n, 14, 3), "joints24_m": (n, 24, 3),
                "pose_rotmat": (n, 24, 3, 3), "betas": (n, 10), "valid": (n,)}
    for field, shape in expected.items():
        value = getattr(track, field)
        if value is None:
            continue
        if value.shape[0] != n:
            _fail(f"Track.{field} has one row per frame", f"{track.name}: {value.shape[0]} != {n}")
        if shape is not None and tuple(value.shape) != shape:
            _fail(f"Track.{field} has shape {shape}", f"{track.name}: {tuple(value.shape)}")
        if value.dtype != bool and not np.all(np.isfinite(value)):
            _fail(f"Track.{field} is finite", track.name)
    if track.fps <= 0:
        _fail("Track.fps is positive", f"{track.name}: {track.fps}")


def check_dataset(dataset: PoseDataset, *, max_tracks: int = 3) -> None:
    """Check a dataset instance against :class:`posebench.data.track.PoseDataset`."""
    if not isinstance(dataset, PoseDataset):
        _fail("the dataset implements PoseDataset", type(dataset).__name__)
    status = dataset.status()
    if not isinstance(status, DatasetStatus):
        _fail("status() returns a DatasetStatus", type(status).__name__)
    for split in dataset.splits():
        for track in dataset.tracks(split)[:max_tracks]:
            check_track(track)
        for clip in dataset.motion(split)[:max_tracks]:
            if not isinstance(clip, MotionClip):
                _fail("motion() yields MotionClip objects", type(clip).__name__)
            if clip.pose_rotmat.shape[1:] != (24, 3, 3):
                _fail("MotionClip.pose_rotmat is (T, 24, 3, 3)", str(clip.pose_rotmat.shape))
