"""The body-model interface: shape + pose in, joints (and maybe a mesh) out.

Conventions shared by every body model:

- Rest pose is the SMPL T-pose: +Y up, the body faces +Z, the subject's left is +X.
- Units are metres (names end in ``_m``).
- ``rotmat`` holds the 24 SMPL *local* joint rotations as matrices, (B, 24, 3, 3); joint 0 is
  the global orientation of the pelvis. Joint order and parents: :mod:`posebench.skeleton`.
- ``betas`` are 10 shape coefficients. Each model documents what they mean; zero is the mean
  body of that model.
- ``transl_m`` (B, 3) is added to every output point (joints and vertices) after posing.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from posebench.errors import ShapeError, UnknownNameError
from posebench.skeleton import LSP14_JOINT_NAMES, SMPL_JOINT_NAMES


@dataclass
class BodyOutput:
    """What a body model returns for a batch of B bodies.

    joints24_m: (B, 24, 3) SMPL joints in metres.
    lsp14_m: (B, 14, 3) LSP-14 / "common" joints (order: ``skeleton.LSP14_JOINT_NAMES``).
    vertices_m: (B, V, 3) mesh vertices, or None for models without a mesh.
    global_rotmat: (B, 24, 3, 3) rotation of each joint in the world frame.
    """

    joints24_m: torch.Tensor
    lsp14_m: torch.Tensor
    vertices_m: torch.Tensor | None
    global_rotmat: torch.Tensor

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> "BodyOutput":
        """Apply ``fn`` to every tensor (None stays None)."""
        return BodyOutput(
            joints24_m=fn(self.joints24_m),
            lsp14_m=fn(self.lsp14_m),
            vertices_m=None if self.vertices_m is None else fn(self.vertices_m),
            global_rotmat=fn(self.global_rotmat),
        )


@dataclass(frozen=True)
class JointMap:
    """A named joint set: its joint names and how to read it from a :class:`BodyOutput`."""

    name: str
    joint_names: tuple[str, ...]
    field: str  # the BodyOutput attribute holding these joints

    def __call__(self, output: BodyOutput) -> torch.Tensor:
        """(B, J, 3) joints of this set."""
        return getattr(output, self.field)

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)


JOINT_MAPS: dict[str, JointMap] = {
    "smpl24": JointMap("smpl24", SMPL_JOINT_NAMES, "joints24_m"),
    "lsp14": JointMap("lsp14", LSP14_JOINT_NAMES, "lsp14_m"),
}


def joint_map(name: str) -> JointMap:
    """The joint set called ``name`` ("smpl24" or "lsp14")."""
    if name not in JOINT_MAPS:
        raise UnknownNameError("joint map", name, list(JOINT_MAPS))
    return JOINT_MAPS[name]


def check_body_inputs(betas: torch.Tensor, rotmat: torch.Tensor, transl_m: torch.Tensor | None, num_betas: int) -> int:
    """Validate (B, num_betas), (B, 24, 3, 3), (B, 3)|None; return B."""
    if betas.ndim != 2 or betas.shape[1] != num_betas:
        raise ShapeError(f"betas: expected shape (B, {num_betas}), got {tuple(betas.shape)}")
    if rotmat.ndim != 4 or tuple(rotmat.shape[1:]) != (24, 3, 3):
        raise ShapeError(f"rotmat: expected shape (B, 24, 3, 3), got {tuple(rotmat.shape)}")
    batch = rotmat.shape[0]
    if betas.shape[0] != batch:
        raise ShapeError(f"betas has batch {betas.shape[0]} but rotmat has batch {batch}")
    if transl_m is not None and tuple(transl_m.shape) != (batch, 3):
        raise ShapeError(f"transl_m: expected shape ({batch}, 3), got {tuple(transl_m.shape)}")
    return batch


class BodyModel(nn.Module, abc.ABC):
    """Maps SMPL shape and pose parameters to 3D joints (and, for mesh models, vertices).

    Subclasses set ``name`` and ``has_mesh`` and implement :meth:`forward`.
    """

    num_betas: int = 10
    has_mesh: bool = False
    name: str = "body_model"

    @abc.abstractmethod
    def forward(self, betas: torch.Tensor, rotmat: torch.Tensor, transl_m: torch.Tensor | None = None) -> BodyOutput:
        """betas (B, 10), rotmat (B, 24, 3, 3) local rotations, transl_m (B, 3) or None -> BodyOutput."""

    def forward_sequence(
        self, betas: torch.Tensor, rotmat: torch.Tensor, transl_m: torch.Tensor | None = None
    ) -> BodyOutput:
        """Any leading dims: betas (..., 10), rotmat (..., 24, 3, 3), transl_m (..., 3)|None.

        Typical use is (B, T, ...). Outputs keep the leading dims, e.g. joints24_m (B, T, 24, 3).
        """
        lead = tuple(rotmat.shape[:-3])
        if tuple(betas.shape[:-1]) != lead:
            raise ShapeError(f"betas leading dims {tuple(betas.shape[:-1])} differ from rotmat's {lead}")
        if transl_m is not None and tuple(transl_m.shape[:-1]) != lead:
            raise ShapeError(f"transl_m leading dims {tuple(transl_m.shape[:-1])} differ from rotmat's {lead}")
        flat = self(
            betas.reshape(-1, betas.shape[-1]),
            rotmat.reshape(-1, *rotmat.shape[-3:]),
            None if transl_m is None else transl_m.reshape(-1, 3),
        )
        return flat.map(lambda t: t.reshape(*lead, *t.shape[1:]))

    @staticmethod
    def joint_map(name: str) -> JointMap:
        """The joint set called ``name`` ("smpl24" or "lsp14")."""
        return joint_map(name)
