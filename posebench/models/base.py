"""The model contract: what a model plugin receives, returns, and how it trains.

A model is a ``torch.nn.Module`` subclass of :class:`PoseModel`. The harness cuts each
track into windows of ``model.window`` frames (padding and stitching per protocol), so
a model only ever sees fixed-length windows.

Receives (:class:`WindowBatch`): ``features`` (B, T, F); ``kp2d`` (B, T, 14, 3) when the
dataset has 2D keypoints and the model lists ``"kp2d"`` in ``inputs``; ``fps``. During
training the batch also carries targets.

Returns (:class:`PoseOutput`), depending on what the model declares in ``outputs``:

- ``OUTPUTS_SMPL`` (``"smpl"``, the default: rotations + shape + joints): ``rotmat``
  (B, T, 24, 3, 3) SMPL local rotations, ``betas`` (B, T, 10), ``cam`` (B, T, 3) weak
  perspective ``[s, tx, ty]``, ``joints24_m`` (B, T, 24, 3) and ``joints_lsp14_m``
  (B, T, 14, 3) in metres (body-model space, root at the pelvis), ``kp2d`` (B, T, 14, 2)
  projected into the crop's [-1, 1] coordinates.
- ``OUTPUTS_JOINTS`` (``"joints"``: joints only, e.g. 2D-to-3D lifters): ``joints_lsp14_m``
  (B, T, 14, 3) in metres, centred on the mid-hip; every other field is None. Metrics that
  need a mesh or rotations (:data:`MESH_OR_ROTATION_METRICS`) are skipped for such a model,
  with a note in results.json (:func:`skipped_metrics`).

Trains: the core loop (:mod:`posebench.training`) calls ``model.training_losses(batch,
out)``, which returns a dict of scalar tensors with a ``"loss"`` entry to minimise; a
model with an extra adversary may implement ``after_step(batch, out)``, which updates it
with its own optimiser and returns a dict of floats to log.

Saves and loads: ``model.state_dict()`` + ``model.hparams`` (a plain dict that
``build_model(name, cfg)`` accepts) go into a checkpoint written by
:func:`posebench.training.checkpoint.save_checkpoint`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import ClassVar

import torch
from torch import nn

from posebench.errors import PosebenchError


@dataclass
class WindowBatch:
    """A batch of B windows of T frames. Targets are ``None`` at inference time."""

    features: torch.Tensor  # (B, T, F)
    fps: float
    kp2d: torch.Tensor | None = None  # (B, T, 14, 3) crop-normalised x, y, confidence
    mask: torch.Tensor | None = None  # (B, T) 1 for real frames, 0 for padding
    # targets
    joints3d_m: torch.Tensor | None = None  # (B, T, 14, 3) LSP-14, camera frame
    pose_rotmat: torch.Tensor | None = None  # (B, T, 24, 3, 3)
    betas: torch.Tensor | None = None  # (B, T, 10)
    w_3d: torch.Tensor | None = None  # (B, T) 1 where joints3d_m is known
    w_smpl: torch.Tensor | None = None  # (B, T) 1 where pose/betas are known

    def to(self, device) -> "WindowBatch":
        moved = {}
        for f in fields(self):
            v = getattr(self, f.name)
            moved[f.name] = v.to(device) if isinstance(v, torch.Tensor) else v
        return replace(self, **moved)

    @property
    def batch_size(self) -> int:
        return int(self.features.shape[0])

    @property
    def seq_len(self) -> int:
        return int(self.features.shape[1])


OUTPUTS_SMPL = "smpl"  # rotations + shape + joints (+ camera, projected 2D keypoints)
OUTPUTS_JOINTS = "joints"  # 3D joints only
OUTPUT_KINDS = (OUTPUTS_SMPL, OUTPUTS_JOINTS)
# Fields a joints-only model leaves None.
SMPL_ONLY_FIELDS = ("rotmat", "betas", "cam", "joints24_m", "kp2d", "vertices_m")
# Metrics that need a mesh or rotations, so a joints-only model cannot be scored on them.
MESH_OR_ROTATION_METRICS = ("pve",)


@dataclass
class PoseOutput:
    """Every field is keyword-only in practice; only ``joints_lsp14_m`` is always present."""

    joints_lsp14_m: torch.Tensor  # (B, T, 14, 3)
    rotmat: torch.Tensor | None = None  # (B, T, 24, 3, 3); None for joints-only models
    betas: torch.Tensor | None = None  # (B, T, 10)
    cam: torch.Tensor | None = None  # (B, T, 3)
    joints24_m: torch.Tensor | None = None  # (B, T, 24, 3)
    kp2d: torch.Tensor | None = None  # (B, T, 14, 2)
    vertices_m: torch.Tensor | None = None  # (B, T, V, 3)
    extras: dict | None = None  # model-specific tensors (e.g. VAE poses), for losses


class PoseModel(nn.Module):
    """Base class of every model plugin. Subclasses set the class attributes."""

    name: ClassVar[str] = "model"
    window: ClassVar[int] = 16  # frames per window the model is fed
    inputs: ClassVar[tuple[str, ...]] = ("features",)
    outputs: ClassVar[str] = OUTPUTS_SMPL  # or OUTPUTS_JOINTS (see the module docstring)
    # A dataclass with ``from_dict(dict | None)`` that checks the model's config; when set,
    # ``self.cfg`` is the checked config and ``hparams`` its full dict (defaults filled in).
    config_class: ClassVar[type | None] = None

    def __init__(self, hparams: dict | None = None):
        super().__init__()
        if self.config_class is not None:
            self.cfg = self.config_class.from_dict(hparams)
            hparams = asdict(self.cfg)
        self.hparams: dict = dict(hparams or {})

    def set_body_model(self, body_model: nn.Module) -> None:
        """Use ``body_model`` (a :class:`posebench.body_models.BodyModel`) to pose the outputs.

        It is not learned, so it stays out of ``state_dict()`` (checkpoints carry no SMPL data),
        but ``.to()`` / ``.cuda()`` / ``.double()`` move it with the model.
        """
        self._body_model = [body_model]  # a plain list hides it from nn.Module's registries

    @property
    def body_model(self) -> nn.Module:
        if not getattr(self, "_body_model", None):
            # Not AttributeError: nn.Module.__getattr__ would swallow it and hide this message.
            raise PosebenchError(f"{type(self).__name__} has no body model; call set_body_model() in __init__")
        return self._body_model[0]

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        if getattr(self, "_body_model", None):
            self._body_model[0]._apply(fn, *args, **kwargs)
        return self

    def forward(self, batch: WindowBatch) -> PoseOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def training_losses(self, batch: WindowBatch, out: PoseOutput) -> dict[str, torch.Tensor]:
        raise NotImplementedError(f"{type(self).__name__} does not train")

    def after_step(self, batch: WindowBatch, out: PoseOutput) -> dict[str, float]:
        """Optional extra update after the main optimiser step (e.g. a discriminator)."""
        return {}


def model_outputs(model_or_class) -> str:
    """What a model provides: ``"smpl"`` or ``"joints"`` (models predating the attribute: ``"smpl"``)."""
    kind = getattr(model_or_class, "outputs", OUTPUTS_SMPL)
    if kind not in OUTPUT_KINDS:
        raise PosebenchError(f"model {getattr(model_or_class, 'name', model_or_class)!r}: outputs must be one of "
                             f"{OUTPUT_KINDS}, got {kind!r}")
    return kind


def skipped_metrics(outputs: str, metrics) -> dict[str, str]:
    """``{metric: why}`` for the metrics of ``metrics`` a model providing ``outputs`` cannot be scored on."""
    if outputs != OUTPUTS_JOINTS:
        return {}
    return {m: "skipped: the model provides 3D joints only (no mesh or rotations)"
            for m in metrics if m in MESH_OR_ROTATION_METRICS}


def model_section(cfg: dict | None) -> dict:
    """The model's own keys from ``cfg``: a model section, or a whole config with a ``model``
    section; ``input_dim`` (the dataset's feature size) may sit at the top level and is kept."""
    cfg = dict(cfg or {})
    input_dim = cfg.pop("input_dim", None)
    if isinstance(cfg.get("model"), dict):
        input_dim = cfg["model"].get("input_dim", input_dim)
        cfg = {k: v for k, v in cfg["model"].items() if k != "input_dim"}
    if input_dim is not None:
        cfg["input_dim"] = int(input_dim)
    return cfg
