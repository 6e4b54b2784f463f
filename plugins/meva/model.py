"""MEVA (Luo et al., ACCV 2020): STE -> VME (motion encoder + frozen VAE decoder) -> MRR.

Architecture and key names follow the released ``train_meva_2`` model
(docs/official_implementations.md §3.3), batch-major:

- ``input_adapter``: dataset features (B, T, input_dim) -> (B, T, feat_dim); identity (no
  parameters) when input_dim == feat_dim, so official checkpoints load unchanged.
- STE ``feat_encoder``: bidirectional 2-layer GRU(feat_dim -> ste_hidden) -> tanh ->
  Linear(2 ste_hidden -> feat_dim) -> + input.
- VME ``motion_encoder``: bidirectional 2-layer GRU(feat_dim -> vme_hidden) -> tanh ->
  Linear(2 vme_hidden -> nz), no residual; mean over time gives z (B, nz). ``vae_model.decode(z)``
  gives coarse motion (B, 90, 144) in the MEVA 6D layout, cut to the first T frames.
- MRR ``regressor``: SPIN IEF regressor (MEVA 6D layout) on each frame's STE feature,
  **initialised from the VME pose** (mean shape and camera), n_iter iterations.
- ``vae_init_mlp``: Linear(nz, 256) -> Tanh -> Linear(256, 144), present in every official
  checkpoint but used only by the older ``VAErec``; kept for key compatibility, unused.

Ablation switches (paper Table 4):
- ``vme_only``: the output poses are the VME poses (no MRR pose refinement); the regressor
  still supplies shape and camera.
- ``pretrained_vae=False``: the VAE decoder starts from random weights and trains end to end
  (with ``True`` it is loaded from the VAE stage and frozen: no gradients, eval mode).

Windowing: the model declares ``window = 90``; the harness cuts tracks per protocol
(:mod:`posebench.windowing`: ``"meva"`` policy under ``meva-v1`` — overlap 10, hard cut —
and ``"full"`` under ``posebench-v1``). Tracks shorter than 90 frames, which MEVA's own
evaluation cannot handle, are edge-padded to one window (last frame repeated) and the padded
outputs dropped. Training uses only full 90-frame windows (``posebench_meva.train``).
T <= 90 (the VAE always decodes 90 frames). The body model is not part of the state dict
(official checkpoints' ``smpl.*`` keys are dropped, and ours carry none), but it follows
the model across ``.to(device)``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from posebench_meva.vae import MotionVAE, VAEConfig
from torch import nn

from posebench.body_models import get_body_model
from posebench.config import check_keys
from posebench.errors import ShapeError
from posebench.models.base import PoseModel, PoseOutput, WindowBatch, model_section
from posebench.nn import (
    InputAdapter,
    IterativeRegressor,
    SmplLossWeights,
    TemporalEncoder,
    params_to_output,
    supervised_losses,
)


@dataclass
class MevaConfig:
    """Sizes and switches of :class:`MEVA`. Defaults are the released ``train_meva_2`` sizes."""

    input_dim: int = 2048  # the dataset's feature size
    feat_dim: int = 2048
    ste_hidden: int = 1024
    ste_layers: int = 2
    vme_hidden: int = 512
    vme_layers: int = 2
    regressor_hidden: int = 1024
    n_iter: int = 3
    dropout: float = 0.5
    vae_init_hidden: int = 256
    vae: dict = field(default_factory=lambda: VAEConfig().to_dict())
    vme_only: bool = False
    pretrained_vae: bool = True
    body_model: str = "skeleton"
    loss_weights: dict = field(default_factory=lambda: asdict(SmplLossWeights()))

    @classmethod
    def from_dict(cls, d: dict | None) -> "MevaConfig":
        d = check_keys('MEVA model config', d, cls)
        cfg = cls(**d)
        cfg.vae = VAEConfig.from_dict({**VAEConfig().to_dict(), **dict(cfg.vae)}).to_dict()
        cfg.loss_weights = asdict(SmplLossWeights.from_dict(cfg.loss_weights))
        return cfg


class MEVA(PoseModel):
    name = "meva"
    window = 90
    config_class = MevaConfig

    def __init__(self, hparams: dict | None = None):
        super().__init__(hparams)
        cfg = self.cfg
        vae_cfg = VAEConfig.from_dict(cfg.vae)
        if vae_cfg.t_total != self.window:
            raise ShapeError(f"MEVA: the VAE must decode {self.window} frames (vae.t_total), got {vae_cfg.t_total}")
        self.input_adapter = InputAdapter(cfg.input_dim, cfg.feat_dim)
        self.feat_encoder = TemporalEncoder(
            cfg.feat_dim, cfg.ste_hidden, cfg.ste_layers, bidirectional=True, add_linear=True, residual=True,
            activation="tanh",
        )
        self.motion_encoder = TemporalEncoder(
            cfg.feat_dim, cfg.vme_hidden, cfg.vme_layers, bidirectional=True, add_linear=True, residual=False,
            activation="tanh", output_size=vae_cfg.nz,
        )
        self.vae_model = MotionVAE(vae_cfg)
        self.vae_init_mlp = nn.Sequential(
            nn.Linear(vae_cfg.nz, cfg.vae_init_hidden), nn.Tanh(), nn.Linear(cfg.vae_init_hidden, vae_cfg.nx)
        )
        self.regressor = IterativeRegressor(
            cfg.feat_dim, cfg.regressor_hidden, cfg.n_iter, rot6d_layout="meva", dropout=cfg.dropout
        )
        self.vae_init_mlp.requires_grad_(False)  # unused (VAErec only); never updated
        self.vae_model.requires_grad_(not cfg.pretrained_vae)
        self.loss_weights = SmplLossWeights.from_dict(cfg.loss_weights)
        self.set_body_model(get_body_model(cfg.body_model))

    def train(self, mode: bool = True):
        super().train(mode)
        if self.cfg.pretrained_vae:
            self.vae_model.eval()  # frozen prior: always in inference mode
        return self

    def load_vae_state(self, state_dict: dict, source: str = "VAE checkpoint") -> None:
        """Load pretrained VAE weights (keys as in :class:`MotionVAE`)."""
        from posebench_meva.official import load_state_strict

        load_state_strict(self.vae_model, state_dict, source)

    def vme(self, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """STE features (B, T, feat_dim) -> z (B, nz), coarse motion (B, T, 144) in MEVA 6D."""
        T = feat.shape[1]
        z = self.motion_encoder(feat).mean(dim=1)
        return z, self.vae_model.decode(z)[:, :T]

    def forward(self, batch: WindowBatch) -> PoseOutput:
        x = batch.features
        if x.ndim != 3:
            raise ShapeError(f"MEVA: features must be (B, T, F), got {tuple(x.shape)}")
        B, T, _ = x.shape
        if T > self.window:
            raise ShapeError(f"MEVA: windows hold at most {self.window} frames (the VAE decodes {self.window}), got {T}")
        feat = self.feat_encoder(self.input_adapter(x))  # (B, T, feat_dim)
        z, vme_pose6d = self.vme(feat)
        reg = self.regressor(feat.reshape(B * T, -1), init_pose6d=vme_pose6d.reshape(B * T, -1))
        if self.cfg.vme_only:
            rotmat = self.regressor.decode_pose(vme_pose6d.reshape(B * T, -1))
        else:
            rotmat = reg["rotmat"]
        extras = {"vme_pose6d": vme_pose6d, "motion_z": z}
        return params_to_output(
            self.body_model,
            rotmat.reshape(B, T, 24, 3, 3),
            reg["betas"].reshape(B, T, 10),
            reg["cam"].reshape(B, T, 3),
            extras,
        )

    def training_losses(self, batch: WindowBatch, out: PoseOutput) -> dict[str, torch.Tensor]:
        """MEVA's supervised losses (2D 300, 3D 300, pose 60, shape 0.06; no discriminator)."""
        return supervised_losses(batch, out, self.loss_weights)


class MevaTest(MEVA):
    """MEVA registered as "meva-test" (tiny sizes for CI); its own name keeps checkpoints apart."""

    name = "meva-test"


MODEL_CLASSES = {"meva": MEVA, "meva-test": MevaTest}


def build_meva(cfg: dict | None = None) -> MEVA:
    """``build_model("meva", cfg)``: ``cfg`` is the model section (``MevaConfig`` keys) or a
    whole MEVA config with a ``model`` section; ``input_dim`` is the dataset's feature size. None gives the
    released sizes."""
    return MEVA(model_section(cfg))
