"""Body models: SMPL (needs the user's model files) or the built-in skeleton model (needs none).

>>> model = get_body_model("auto")          # SMPL if its files are found, else the skeleton model
>>> out = model(betas, rotmat, transl_m)    # (B, 10), (B, 24, 3, 3), (B, 3) -> BodyOutput
"""
from __future__ import annotations

from pathlib import Path

from posebench.body_models.base import JOINT_MAPS, BodyModel, BodyOutput, JointMap, joint_map
from posebench.body_models.skeleton_model import SkeletonBodyModel, load_default_params
from posebench.body_models.smpl import SMPLBodyModel, find_smpl_file, smpl_available
from posebench.errors import UnknownNameError

BODY_MODEL_KINDS = ("auto", "skeleton", "smpl")


def get_body_model(kind: str = "auto", gender: str = "neutral", model_path: str | Path | None = None) -> BodyModel:
    """Build a body model.

    kind: "smpl" (raises MissingBodyModelError naming the files and POSEBENCH_BODY_MODELS when
    absent), "skeleton" (built-in, no files needed), or "auto" (SMPL when its files are found,
    else the skeleton model). ``gender`` and ``model_path`` apply to SMPL only.
    """
    if kind not in BODY_MODEL_KINDS:
        raise UnknownNameError("body model kind", kind, list(BODY_MODEL_KINDS))
    if kind == "smpl" or (kind == "auto" and smpl_available(gender, model_path)):
        return SMPLBodyModel(model_path=model_path, gender=gender)
    return SkeletonBodyModel()


__all__ = [
    "BODY_MODEL_KINDS", "JOINT_MAPS", "BodyModel", "BodyOutput", "JointMap", "SMPLBodyModel", "SkeletonBodyModel",
    "find_smpl_file", "get_body_model", "joint_map", "load_default_params", "smpl_available",
]  # fmt: skip
