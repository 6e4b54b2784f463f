"""The SPIN/HMR iterative error-feedback (IEF) regressor shared by VIBE and MEVA.

Facts from ``docs/official_implementations.md`` §3.1: input ``[feat | pose6d 144 | betas 10 | cam 3]``,
``fc1 -> drop1 -> fc2 -> drop2`` (no non-linearity, as in SPIN; ``hidden_activation="relu"`` adds
HMR's ReLUs), then residual updates from
``decpose``, ``decshape``, ``deccam``, ``n_iter = 3`` times. State-dict names and shapes equal
the official ones, so SPIN/VIBE/MEVA regressor weights load after dropping ``*.smpl.*`` keys.

Two 6D layouts exist (SPIN for VIBE/SPIN/HMMR-style heads, MEVA for MEVA's MRR); a regressor
has exactly one, fixed at construction, and every 6D tensor it reads or writes is in it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from posebench.data.safe_npz import load_npz
from posebench.errors import DataFormatError, ShapeError
from posebench.geometry.rotations import (
    matrix_to_rot6d_meva,
    matrix_to_rot6d_spin,
    rot6d_meva_to_matrix,
    rot6d_spin_to_matrix,
)

NUM_JOINTS = 24
POSE6D_DIM = NUM_JOINTS * 6  # 144
NUM_BETAS = 10
CAM_DIM = 3  # weak perspective [s, tx, ty]

ROT6D_DECODERS = {"spin": rot6d_spin_to_matrix, "meva": rot6d_meva_to_matrix}
ROT6D_ENCODERS = {"spin": matrix_to_rot6d_spin, "meva": matrix_to_rot6d_meva}
# Between fc1/fc2 and their dropouts: none in SPIN/VIBE/MEVA, ReLU in HMR/HMMR.
HIDDEN_ACTIVATIONS = {"none": nn.Identity, "relu": nn.ReLU}

# Default camera scale when no SPIN mean params are given: a body about 1.8 m tall fills
# roughly the 224 px crop at s ~ 0.9 (the SPIN mean cam is [0.9, 0, 0] to two digits).
DEFAULT_CAM = (0.9, 0.0, 0.0)


def _check_layout(layout: str) -> str:
    if layout not in ROT6D_DECODERS:
        raise ValueError(f"rot6d_layout must be one of {sorted(ROT6D_DECODERS)}, got {layout!r}")
    return layout


def default_mean_pose_rotmat(dtype=torch.float32) -> torch.Tensor:
    """(24, 3, 3): identity joint rotations, root rotated by R_x(pi).

    SMPL is +Y up facing +Z; the camera frame is y down, z forward. R_x(pi) = diag(1, -1, -1)
    turns the body upright in the camera frame and facing the camera (its front towards -z).
    """
    rot = torch.eye(3, dtype=dtype).repeat(NUM_JOINTS, 1, 1)
    rot[0] = torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=dtype))
    return rot


def default_mean_params(rot6d_layout: str = "spin") -> dict[str, torch.Tensor]:
    """Mean parameters when no ``smpl_mean_params.npz`` is available.

    Returns ``init_pose_6d`` (144,) in ``rot6d_layout``, ``init_shape`` (10,) zeros and
    ``init_cam`` (3,) = [0.9, 0, 0], as keyword arguments of :class:`IterativeRegressor`.
    """
    encode = ROT6D_ENCODERS[_check_layout(rot6d_layout)]
    return {
        "init_pose_6d": encode(default_mean_pose_rotmat()).reshape(POSE6D_DIM),
        "init_shape": torch.zeros(NUM_BETAS),
        "init_cam": torch.tensor(DEFAULT_CAM),
    }


def load_mean_params(path: str | Path, rot6d_layout: str = "spin") -> dict[str, torch.Tensor]:
    """Read SPIN's ``smpl_mean_params.npz`` (keys ``pose`` (144,) in SPIN 6D, ``shape`` (10,), ``cam`` (3,)).

    The pose is decoded with the SPIN layout and re-encoded in ``rot6d_layout``, so a MEVA-layout
    regressor starts from the same rotations (never mix layouts). Returns the keyword arguments
    ``init_pose_6d``, ``init_shape``, ``init_cam`` of :class:`IterativeRegressor`.
    """
    layout = _check_layout(rot6d_layout)
    path = Path(path)
    try:
        data = load_npz(path)  # plain arrays only, sizes checked before allocation
    except FileNotFoundError as exc:
        raise DataFormatError(path, "cannot read SMPL mean params: file not found") from exc
    expected = {"pose": POSE6D_DIM, "shape": NUM_BETAS, "cam": CAM_DIM}
    out = {}
    for key, size in expected.items():
        if key not in data:
            raise DataFormatError(path, f"missing key (has {sorted(data)})", field=key)
        arr = np.asarray(data[key], dtype=np.float32).reshape(-1)
        if arr.size != size:
            raise DataFormatError(path, f"expected {size} values, got {arr.size}", field=key)
        out[key] = torch.from_numpy(arr.copy())
    pose6d = out["pose"]
    if layout != "spin":
        rotmat = rot6d_spin_to_matrix(pose6d.reshape(NUM_JOINTS, 6))
        pose6d = ROT6D_ENCODERS[layout](rotmat).reshape(POSE6D_DIM)
    return {"init_pose_6d": pose6d, "init_shape": out["shape"], "init_cam": out["cam"]}


class IterativeRegressor(nn.Module):
    """HMR/SPIN IEF regressor: features -> SMPL pose (6D), betas and weak-perspective camera.

    Args:
        feat_dim: F, input feature size (2048 for VIBE/MEVA).
        hidden: width of ``fc1``/``fc2`` (1024 officially).
        n_iter: IEF iterations (3 officially).
        rot6d_layout: ``"spin"`` (VIBE/SPIN) or ``"meva"`` (MEVA's MRR): how ``pose6d`` is decoded.
        init_pose_6d: (144,) mean pose in ``rot6d_layout``; None -> :func:`default_mean_params`.
        init_shape: (10,) mean betas; None -> zeros.
        init_cam: (3,) mean camera; None -> [0.9, 0, 0].
        dropout: probability of ``drop1``/``drop2``.
        hidden_activation: ``"none"``: ``fc1 -> drop1 -> fc2 -> drop2`` as SPIN/VIBE/MEVA build
            it; ``"relu"``: a ReLU after ``fc1`` and after ``fc2`` (before each dropout), as
            HMR/HMMR's TF-slim layers do (``slim.fully_connected`` defaults to ReLU). No
            parameters either way, so state dicts are the same.

    State dict: ``fc1`` (hidden, F + 157), ``fc2`` (hidden, hidden), ``decpose`` (144, hidden),
    ``decshape`` (10, hidden), ``deccam`` (3, hidden), buffers ``init_pose`` (1, 144),
    ``init_shape`` (1, 10), ``init_cam`` (1, 3).
    """

    def __init__(
        self,
        feat_dim: int = 2048,
        hidden: int = 1024,
        n_iter: int = 3,
        rot6d_layout: str = "spin",
        init_pose_6d: torch.Tensor | None = None,
        init_shape: torch.Tensor | None = None,
        init_cam: torch.Tensor | None = None,
        dropout: float = 0.5,
        hidden_activation: str = "none",
    ):
        super().__init__()
        if hidden_activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"hidden_activation must be one of {sorted(HIDDEN_ACTIVATIONS)}, got {hidden_activation!r}")
        self.hidden_activation = hidden_activation
        self.act = HIDDEN_ACTIVATIONS[hidden_activation]()
        self.feat_dim = int(feat_dim)
        self.n_iter = int(n_iter)
        self.rot6d_layout = _check_layout(rot6d_layout)
        in_dim = self.feat_dim + POSE6D_DIM + NUM_BETAS + CAM_DIM
        self.fc1 = nn.Linear(in_dim, hidden)
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, hidden)
        self.drop2 = nn.Dropout(dropout)
        self.decpose = nn.Linear(hidden, POSE6D_DIM)
        self.decshape = nn.Linear(hidden, NUM_BETAS)
        self.deccam = nn.Linear(hidden, CAM_DIM)
        # Small output weights: the first iterations stay near the mean parameters.
        for layer in (self.decpose, self.decshape, self.deccam):
            nn.init.xavier_uniform_(layer.weight, gain=0.01)

        defaults = default_mean_params(self.rot6d_layout)
        for name, value, size in (
            ("init_pose", init_pose_6d if init_pose_6d is not None else defaults["init_pose_6d"], POSE6D_DIM),
            ("init_shape", init_shape if init_shape is not None else defaults["init_shape"], NUM_BETAS),
            ("init_cam", init_cam if init_cam is not None else defaults["init_cam"], CAM_DIM),
        ):
            value = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
            if value.numel() != size:
                raise ShapeError(f"IterativeRegressor {name}: expected {size} values, got {value.numel()}")
            self.register_buffer(name, value.reshape(1, size).clone())

    def decode_pose(self, pose6d: torch.Tensor) -> torch.Tensor:
        """(N, 144) in this regressor's layout -> (N, 24, 3, 3)."""
        return ROT6D_DECODERS[self.rot6d_layout](pose6d.reshape(-1, NUM_JOINTS, 6))

    def forward(
        self,
        feat: torch.Tensor,
        init_pose6d: torch.Tensor | None = None,
        init_shape: torch.Tensor | None = None,
        init_cam: torch.Tensor | None = None,
        n_iter: int | None = None,
    ) -> dict[str, torch.Tensor]:
        """feat (N, F); optional starting points init_pose6d (N, 144) in this layout, init_shape
        (N, 10), init_cam (N, 3) (default: the mean buffers).

        Returns ``pose6d`` (N, 144), ``rotmat`` (N, 24, 3, 3), ``betas`` (N, 10), ``cam`` (N, 3).
        """
        if feat.ndim != 2 or feat.shape[1] != self.feat_dim:
            raise ShapeError(f"IterativeRegressor: feat must be (N, {self.feat_dim}), got {tuple(feat.shape)}")
        n = feat.shape[0]
        pose = self.init_pose.expand(n, -1) if init_pose6d is None else init_pose6d
        shape = self.init_shape.expand(n, -1) if init_shape is None else init_shape
        cam = self.init_cam.expand(n, -1) if init_cam is None else init_cam
        for name, t, size in (("init_pose6d", pose, POSE6D_DIM), ("init_shape", shape, NUM_BETAS), ("init_cam", cam, CAM_DIM)):
            if tuple(t.shape) != (n, size):
                raise ShapeError(f"IterativeRegressor: {name} must be ({n}, {size}), got {tuple(t.shape)}")
        for _ in range(self.n_iter if n_iter is None else int(n_iter)):
            x = torch.cat([feat, pose, shape, cam], dim=1)
            x = self.drop2(self.act(self.fc2(self.drop1(self.act(self.fc1(x))))))
            pose = pose + self.decpose(x)
            shape = shape + self.decshape(x)
            cam = cam + self.deccam(x)
        return {"pose6d": pose, "rotmat": self.decode_pose(pose), "betas": shape, "cam": cam}


def drop_official_smpl_keys(state_dict: dict) -> dict:
    """Official VIBE/MEVA state dicts carry an SMPL layer (``*smpl.*`` keys); drop them (§3.1)."""
    return {k: v for k, v in state_dict.items() if not (k.startswith("smpl.") or ".smpl." in k)}
