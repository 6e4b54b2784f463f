"""From regressed SMPL parameters to the :class:`PoseOutput` every model returns."""
from __future__ import annotations

import torch

from posebench.body_models.base import BodyModel
from posebench.errors import ShapeError
from posebench.models.base import PoseOutput
from posebench.nn.camera import weak_perspective_project


def params_to_output(
    body_model: BodyModel,
    rotmat: torch.Tensor,
    betas: torch.Tensor,
    cam: torch.Tensor,
    extras: dict | None = None,
) -> PoseOutput:
    """rotmat (B, T, 24, 3, 3), betas (B, T, 10), cam (B, T, 3) -> PoseOutput.

    Runs the body model on the B*T frames without translation, so joints are in body space
    (the pelvis where the body model puts it at rest; the root rotation orients the body in
    the camera frame). ``kp2d`` (B, T, 14, 2) is the VIBE weak-perspective projection of
    the LSP-14 joints.
    """
    if rotmat.ndim != 5 or tuple(rotmat.shape[2:]) != (24, 3, 3):
        raise ShapeError(f"params_to_output: rotmat must be (B, T, 24, 3, 3), got {tuple(rotmat.shape)}")
    lead = tuple(rotmat.shape[:2])
    if tuple(betas.shape) != (*lead, 10) or tuple(cam.shape) != (*lead, 3):
        raise ShapeError(
            f"params_to_output: betas must be {(*lead, 10)} and cam {(*lead, 3)}, "
            f"got {tuple(betas.shape)} and {tuple(cam.shape)}"
        )
    body = body_model.forward_sequence(betas, rotmat, None)
    return PoseOutput(
        rotmat=rotmat,
        betas=betas,
        cam=cam,
        joints24_m=body.joints24_m,
        joints_lsp14_m=body.lsp14_m,
        kp2d=weak_perspective_project(body.lsp14_m, cam),
        vertices_m=body.vertices_m,
        extras=extras,
    )
