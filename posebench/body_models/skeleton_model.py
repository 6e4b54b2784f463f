"""Built-in body model that needs no SMPL files: a linear-shape SMPL-24 skeleton.

Rest offsets (each joint's offset from its parent in the T-pose frame, metres) are

    offsets(betas) = rest_offsets_mean_m + sum_i betas_i * shape_components_m[i]

so they are linear (and differentiable) in ``betas``. Posing uses
:func:`posebench.skeleton.forward_kinematics`. The LSP-14 head top is the head joint plus its
global rotation applied to ``head_top_offset_m``. There is no mesh.

Parameters live in ``body_models/data/skeleton_body_model.npz``, built from motion capture:

- ``rest_offsets_mean_m`` (24, 3): entry 0 is the pelvis rest position.
- ``shape_components_m`` (10, 24, 3): offset change per unit beta.
- ``shape_std`` (10,): spread of the betas over the capture subjects (for sampling/priors).
- ``head_top_offset_m`` (3,): head top relative to the head joint, rest frame.
- ``subjects``, ``source``: provenance (optional when params come from a dict).

Betas here are NOT SMPL betas: the same numbers give different bodies in SMPL.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from posebench.body_models.base import BodyModel, BodyOutput, check_body_inputs
from posebench.data.safe_npz import load_npz
from posebench.errors import DataFormatError, MissingBodyModelError
from posebench.skeleton import SMPL_TO_LSP14, forward_kinematics

DEFAULT_PARAMS_PATH = Path(__file__).with_name("data") / "skeleton_body_model.npz"
HEAD_JOINT = 15  # SMPL "head"

# Required numeric arrays and their shapes.
PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "rest_offsets_mean_m": (24, 3),
    "shape_components_m": (10, 24, 3),
    "shape_std": (10,),
    "head_top_offset_m": (3,),
}


def validate_params(params: Mapping[str, object], source: str | Path) -> dict[str, np.ndarray]:
    """Check keys, shapes and finiteness; return float64 copies of the numeric arrays.

    Raises DataFormatError naming ``source`` and the field at fault.
    """
    out: dict[str, np.ndarray] = {}
    for key, shape in PARAM_SHAPES.items():
        if key not in params:
            raise DataFormatError(source, f"missing key (has: {sorted(params)})", field=key)
        try:
            arr = np.asarray(params[key], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataFormatError(source, f"not a numeric array: {exc}", field=key) from exc
        if arr.shape != shape:
            raise DataFormatError(source, f"expected shape {shape}, got {arr.shape}", field=key)
        if not np.all(np.isfinite(arr)):
            raise DataFormatError(source, "contains NaN or inf", field=key)
        out[key] = arr
    return out


def load_params(path: str | Path) -> dict[str, object]:
    """Read a skeleton-model npz into a dict (numeric arrays validated, provenance kept)."""
    path = Path(path)
    if not path.is_file():
        raise MissingBodyModelError(
            f"{path}: skeleton body-model parameters not found (field 'rest_offsets_mean_m' and the "
            "others cannot be read). This file ships with posebench; reinstall or pass params explicitly."
        )
    raw = load_npz(path)  # plain arrays only; every failure a DataFormatError naming file and member
    params: dict[str, object] = dict(validate_params(raw, path))
    for key in ("subjects", "source"):
        if key in raw:
            params[key] = raw[key]
    return params


def load_default_params() -> dict[str, object]:
    """Parameters of the built-in skeleton model (``body_models/data/skeleton_body_model.npz``)."""
    return load_params(DEFAULT_PARAMS_PATH)


class SkeletonBodyModel(BodyModel):
    """SMPL-24 skeleton with linear shape space; see the module docstring."""

    has_mesh = False
    name = "skeleton"

    def __init__(self, params: Mapping[str, object] | str | Path | None = None):
        super().__init__()
        if params is None:
            params = load_default_params()
            source: str | Path = DEFAULT_PARAMS_PATH
        elif isinstance(params, (str, Path)):
            source = Path(params)
            params = load_params(source)
        else:
            source = "<params dict>"
        arrays = validate_params(params, source)
        self.source = str(source)
        self.subjects = params.get("subjects")
        # Kept in float64 (tiny); forward() casts to the dtype of the pose it is given.
        dtype = torch.float64
        self.register_buffer("rest_offsets_mean_m", torch.as_tensor(arrays["rest_offsets_mean_m"], dtype=dtype))
        self.register_buffer("shape_components_m", torch.as_tensor(arrays["shape_components_m"], dtype=dtype))
        self.register_buffer("shape_std", torch.as_tensor(arrays["shape_std"], dtype=dtype))
        self.register_buffer("head_top_offset_m", torch.as_tensor(arrays["head_top_offset_m"], dtype=dtype))

    def rest_offsets(self, betas: torch.Tensor) -> torch.Tensor:
        """betas (B, 10) -> rest offsets (B, 24, 3) in metres."""
        mean = self.rest_offsets_mean_m.to(betas.dtype)
        components = self.shape_components_m.to(betas.dtype)
        return mean + torch.einsum("bk,kjc->bjc", betas, components)

    def rest_joints(self, betas: torch.Tensor) -> torch.Tensor:
        """betas (B, 10) -> T-pose joint positions (B, 24, 3)."""
        identity = torch.eye(3, dtype=betas.dtype, device=betas.device).expand(betas.shape[0], 24, 3, 3)
        return forward_kinematics(identity, self.rest_offsets(betas))[0]

    def forward(self, betas: torch.Tensor, rotmat: torch.Tensor, transl_m: torch.Tensor | None = None) -> BodyOutput:
        check_body_inputs(betas, rotmat, transl_m, self.num_betas)
        betas = betas.to(rotmat.dtype)
        joints, global_rotmat = forward_kinematics(rotmat, self.rest_offsets(betas), transl_m)
        head_top = joints[:, HEAD_JOINT] + global_rotmat[:, HEAD_JOINT] @ self.head_top_offset_m.to(rotmat.dtype)
        lsp14 = torch.cat([joints[:, list(SMPL_TO_LSP14)], head_top[:, None]], dim=1)
        return BodyOutput(joints24_m=joints, lsp14_m=lsp14, vertices_m=None, global_rotmat=global_rotmat)
