"""SMPL body model, backed by ``smplx`` (files read chumpy-free by :mod:`smpl_file`).

Where the files are looked for (first match wins):

- an explicit ``model_path``: a model file, or a folder searched like below;
- otherwise ``$POSEBENCH_BODY_MODELS`` (default ``$POSEBENCH_CACHE/body_models``, i.e.
  ``~/.cache/posebench/body_models``), and its ``smpl/`` sub-folder (the smplx layout).

File names tried per gender: ``SMPL_{NEUTRAL,MALE,FEMALE}.pkl`` / ``.npz`` and the official
download names (``basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl``,
``basicModel_{f,m}_lbs_10_207_0_v1.0.0.pkl``, ...).

LSP-14 joints: 13 SMPL joints (``skeleton.SMPL_TO_LSP14``) plus the head top, taken as SMPL
vertex 411 (the top-of-head vertex SPIN/VIBE use for their "headtop" extra joint). With
``joint_source="h36m"`` all 14 come instead from ``J_regressor_h36m.npy`` (17 x 6890, beside the
model file) applied to the vertices, then ``H36M_TO_J14`` -- what VIBE and MEVA evaluate on
(docs/official_implementations.md §1.1).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from posebench import paths
from posebench.body_models.base import BodyModel, BodyOutput, check_body_inputs
from posebench.body_models.smpl_file import NUM_VERTICES, load_smpl_model
from posebench.data.safe_npz import load_npy
from posebench.errors import DataFormatError, MissingBodyModelError, UnknownNameError
from posebench.skeleton import SMPL_PARENTS, SMPL_TO_LSP14, forward_kinematics

BODY_MODELS_ENV = "POSEBENCH_BODY_MODELS"
HEAD_TOP_VERTEX = 411
H36M_REGRESSOR_FILE = "J_regressor_h36m.npy"
H36M_TO_J14: tuple[int, ...] = (6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10)
GENDERS = ("neutral", "male", "female")
JOINT_SOURCES = ("smpl", "h36m")

_OFFICIAL_NAMES = {
    "neutral": ("basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl", "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl",
                "basicmodel_neutral_lbs_10_207_0_v1.0.0.pkl"),
    "male": ("basicmodel_m_lbs_10_207_0_v1.1.0.pkl", "basicmodel_m_lbs_10_207_0_v1.0.0.pkl",
             "basicModel_m_lbs_10_207_0_v1.0.0.pkl"),
    "female": ("basicmodel_f_lbs_10_207_0_v1.1.0.pkl", "basicModel_f_lbs_10_207_0_v1.0.0.pkl",
               "basicmodel_f_lbs_10_207_0_v1.0.0.pkl"),
}  # fmt: skip


def smpl_file_names(gender: str) -> tuple[str, ...]:
    """File names that hold the SMPL model of ``gender``, in the order they are tried."""
    if gender not in GENDERS:
        raise UnknownNameError("SMPL gender", gender, list(GENDERS))
    upper = gender.upper()
    return (f"SMPL_{upper}.pkl", f"SMPL_{upper}.npz", *_OFFICIAL_NAMES[gender])


def default_search_dirs() -> list[Path]:
    """``$POSEBENCH_BODY_MODELS`` (or ``<cache>/body_models``) and its ``smpl/`` sub-folder."""
    root = paths.body_models_dir() or paths.cache_dir() / "body_models"
    return [root, root / "smpl"]


def find_smpl_file(gender: str = "neutral", model_path: str | Path | None = None) -> Path:
    """Path of the SMPL model file for ``gender``; MissingBodyModelError if there is none."""
    names = smpl_file_names(gender)
    if model_path is not None:
        model_path = Path(model_path).expanduser()
        if model_path.is_file():
            return model_path
        folders = [model_path, model_path / "smpl"] if model_path.is_dir() or not model_path.suffix else []
        if not folders:
            raise MissingBodyModelError(f"SMPL model file {model_path} does not exist")
    else:
        folders = default_search_dirs()
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    env = paths.body_models_dir()
    raise MissingBodyModelError(
        f"no {gender} SMPL model found. Expected one of: {', '.join(names)}. "
        f"Folders searched: {', '.join(str(f) for f in folders)}. "
        f"Download SMPL from https://smpl.is.tue.mpg.de (registration required; not redistributable) and put "
        f"it in the folder named by the environment variable {BODY_MODELS_ENV} "
        f"({'currently ' + str(env) if env else 'not set'}), or pass model_path."
    )


def smpl_available(gender: str = "neutral", model_path: str | Path | None = None) -> bool:
    try:
        find_smpl_file(gender, model_path)
    except MissingBodyModelError:
        return False
    return True


def load_h36m_regressor(path: Path) -> np.ndarray:
    """(17, 6890) H36M joint regressor from ``J_regressor_h36m.npy``."""
    if not path.is_file():
        raise MissingBodyModelError(
            f"joint_source='h36m' needs {H36M_REGRESSOR_FILE} beside the SMPL file; not found at {path} "
            f"(it ships in VIBE's vibe_data.zip)"
        )
    regressor = load_npy(path)  # plain dtype, shape checked against the file's size before allocation
    if regressor.shape != (17, NUM_VERTICES):
        raise DataFormatError(path, f"expected shape (17, {NUM_VERTICES}), got {regressor.shape}")
    return np.asarray(regressor, dtype=np.float64)


class SMPLBodyModel(BodyModel):
    """SMPL (6890 vertices) through ``smplx.SMPLLayer`` with rotation-matrix pose input.

    Args:
        model_path: model file or folder; None searches ``$POSEBENCH_BODY_MODELS``.
        gender: "neutral", "male" or "female".
        joint_source: "smpl" (SMPL joints + vertex 411 head top) or "h36m" (VIBE's regressor).
    """

    has_mesh = True
    name = "smpl"

    def __init__(self, model_path: str | Path | None = None, gender: str = "neutral", joint_source: str = "smpl"):
        super().__init__()
        import smplx  # deferred: only SMPL users pay for it
        from smplx.utils import Struct

        if joint_source not in JOINT_SOURCES:
            raise UnknownNameError("SMPL joint source", joint_source, list(JOINT_SOURCES))
        self.model_file = find_smpl_file(gender, model_path)
        self.gender = gender
        self.joint_source = joint_source
        self.name = f"smpl_{gender}"
        arrays = load_smpl_model(self.model_file)
        if tuple(arrays["kintree_table"][0]) != SMPL_PARENTS:
            raise DataFormatError(self.model_file, "joint parents differ from the SMPL-24 tree", field="kintree_table")
        self.smpl = smplx.SMPLLayer(
            model_path=str(self.model_file), data_struct=Struct(**arrays), gender=gender, num_betas=self.num_betas
        )
        self.faces = arrays["f"]
        if joint_source == "h36m":
            regressor = load_h36m_regressor(self.model_file.parent / H36M_REGRESSOR_FILE)
            self.register_buffer("J_regressor_h36m", torch.as_tensor(regressor, dtype=torch.get_default_dtype()))

    def rest_joints(self, betas: torch.Tensor) -> torch.Tensor:
        """betas (B, 10) -> T-pose joints (B, 24, 3): J_regressor applied to the shaped template."""
        v_shaped = self.smpl.v_template + torch.einsum("bk,vck->bvc", betas, self.smpl.shapedirs)
        return torch.einsum("jv,bvc->bjc", self.smpl.J_regressor, v_shaped)

    def forward(self, betas: torch.Tensor, rotmat: torch.Tensor, transl_m: torch.Tensor | None = None) -> BodyOutput:
        check_body_inputs(betas, rotmat, transl_m, self.num_betas)
        dtype = self.smpl.shapedirs.dtype
        betas, rotmat = betas.to(dtype), rotmat.to(dtype)
        transl_m = None if transl_m is None else transl_m.to(dtype)
        out = self.smpl(
            betas=betas, global_orient=rotmat[:, :1], body_pose=rotmat[:, 1:], transl=transl_m, pose2rot=False
        )
        vertices = out.vertices
        joints = out.joints[:, :24]
        # smplx does not return world rotations; chain them with the shared FK over the shaped rest skeleton.
        rest = self.rest_joints(betas)
        parents = list(SMPL_PARENTS)
        offsets = torch.cat([rest[:, :1], rest[:, 1:] - rest[:, parents[1:]]], dim=1)
        _, global_rotmat = forward_kinematics(rotmat, offsets, transl_m)
        if self.joint_source == "h36m":
            h36m = torch.einsum("jv,bvc->bjc", self.J_regressor_h36m.to(dtype), vertices)
            lsp14 = h36m[:, list(H36M_TO_J14)]
        else:
            lsp14 = torch.cat([joints[:, list(SMPL_TO_LSP14)], vertices[:, HEAD_TOP_VERTEX : HEAD_TOP_VERTEX + 1]], 1)
        return BodyOutput(joints24_m=joints, lsp14_m=lsp14, vertices_m=vertices, global_rotmat=global_rotmat)
