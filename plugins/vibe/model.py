"""VIBE (Kocabas et al., CVPR 2020): GRU temporal encoder + SPIN IEF regressor + motion discriminator.

Architecture and key names follow the released model (docs/official_implementations.md §3.2),
batch-major:

- ``input_adapter``: dataset features (B, T, input_dim) -> (B, T, feat_dim); identity (no
  parameters) when input_dim == feat_dim, so official checkpoints load unchanged.
- ``encoder``: unidirectional 2-layer GRU(feat_dim -> hidden) -> ReLU -> Linear(hidden ->
  feat_dim) -> + input (the released config; the paper says bidirectional, the weights are not).
- ``regressor``: SPIN IEF regressor (SPIN 6D layout) on every frame's feature, from the mean
  parameters, ``n_iter`` iterations.
- ``motion_discriminator``: :class:`MotionDiscriminator`, trained adversarially (LSGAN) against
  real motion windows in :meth:`VIBE.after_step` with its own Adam optimiser.

Losses (``training_losses``): the shared supervised terms (2D 300, 3D 300, pose 60, shape
0.06) plus the generator's adversarial term ``adv_weight * sum((D(fake) - 1)^2) / B`` (0.5).
The discriminator's parameters are frozen while the generator term is built, so the main
optimiser's backward pass never reaches them (the loop also keeps them out of the main
optimiser through :meth:`VIBE.extra_optimizers`).

Real motion comes from :meth:`VIBE.attach_real_motion` (``train_vibe`` attaches the training
dataset's motion clips). Without it (inference, contract checks) the discriminator is not
updated and ``after_step`` says so in its log dict (``d_motion_updated = 0``).
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import torch
from posebench_vibe.motion_discriminator import MotionDiscriminator, body_pose_aa
from posebench_vibe.real_motion import RealMotionSampler

from posebench.body_models import get_body_model
from posebench.config import check_keys
from posebench.errors import PosebenchError, ShapeError
from posebench.models.base import PoseModel, PoseOutput, WindowBatch, model_section
from posebench.nn import (
    InputAdapter,
    IterativeRegressor,
    SmplLossWeights,
    TemporalEncoder,
    load_mean_params,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    params_to_output,
    supervised_losses,
)

DISC_SCHEDULERS = ("none", "plateau")


@dataclass
class VibeConfig:
    """Sizes and switches of :class:`VIBE`. Defaults are the released VIBE sizes and recipe."""

    input_dim: int = 2048  # the dataset's feature size
    feat_dim: int = 2048
    hidden: int = 1024  # GRU hidden size (TGRU.HIDDEN_SIZE)
    num_layers: int = 2
    bidirectional: bool = False  # the released weights are unidirectional (mkocabas/VIBE#151)
    add_linear: bool = True
    residual: bool = True
    regressor_hidden: int = 1024
    n_iter: int = 3
    dropout: float = 0.5
    mean_params: str | None = None  # SPIN smpl_mean_params.npz; None -> posebench's default mean
    # Motion discriminator (VIBE train.py / config.yaml).
    disc_hidden: int = 1024
    disc_layers: int = 2
    disc_attention_layers: int = 3
    disc_attention_dropout: float = 0.2
    disc_lr: float = 1e-4
    disc_weight_decay: float = 1e-4
    disc_scheduler: str = "none"  # "plateau": ReduceLROnPlateau(0.1, 5) on the val metric, as VIBE
    adv_weight: float = 0.5  # generator LSGAN weight (D_MOTION_LOSS_W)
    disc_loss_weight: float = 0.5  # discriminator LSGAN weight
    body_model: str = "skeleton"
    loss_weights: dict = field(default_factory=lambda: asdict(SmplLossWeights()))

    @classmethod
    def from_dict(cls, d: dict | None) -> "VibeConfig":
        d = check_keys('VIBE model config', d, cls)
        cfg = cls(**d)
        if cfg.disc_scheduler not in DISC_SCHEDULERS:
            raise PosebenchError(f"VIBE model config: disc_scheduler must be one of {DISC_SCHEDULERS}, "
                                 f"got {cfg.disc_scheduler!r}")
        cfg.loss_weights = asdict(SmplLossWeights.from_dict(cfg.loss_weights))
        return cfg


class VIBE(PoseModel):
    name = "vibe"
    window = 16
    config_class = VibeConfig

    def __init__(self, hparams: dict | None = None):
        super().__init__(hparams)
        cfg = self.cfg
        self.input_adapter = InputAdapter(cfg.input_dim, cfg.feat_dim)
        self.encoder = TemporalEncoder(
            cfg.feat_dim, cfg.hidden, cfg.num_layers, bidirectional=cfg.bidirectional, add_linear=cfg.add_linear,
            residual=cfg.residual, activation="relu",
        )
        mean = load_mean_params(cfg.mean_params, "spin") if cfg.mean_params else {}
        self.regressor = IterativeRegressor(
            self.encoder.output_size, cfg.regressor_hidden, cfg.n_iter, rot6d_layout="spin", dropout=cfg.dropout, **mean
        )
        self.motion_discriminator = MotionDiscriminator(
            hidden_size=cfg.disc_hidden, num_layers=cfg.disc_layers, attention_layers=cfg.disc_attention_layers,
            attention_dropout=cfg.disc_attention_dropout,
        )
        self.loss_weights = SmplLossWeights.from_dict(cfg.loss_weights)
        # Created once, over the discriminator's own Parameter objects (moving the model with
        # .to() keeps them), so the loop can save and restore its state.
        self._disc_optimizer = torch.optim.Adam(
            self.motion_discriminator.parameters(), lr=cfg.disc_lr, weight_decay=cfg.disc_weight_decay
        )
        self._disc_schedulers = {}
        if cfg.disc_scheduler == "plateau":
            self._disc_schedulers["disc_motion"] = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self._disc_optimizer, mode="min", factor=0.1, patience=5
            )
        self._real_motion: RealMotionSampler | None = None
        self._warned_no_motion = False
        self.set_body_model(get_body_model(cfg.body_model))

    # ------------------------------------------------------------------ plumbing
    def extra_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The discriminator's optimiser (the loop saves/restores it and keeps D out of the main one)."""
        return {"disc_motion": self._disc_optimizer}

    def extra_schedulers(self) -> dict:
        return dict(self._disc_schedulers)

    def attach_real_motion(self, sampler: RealMotionSampler | None) -> None:
        """Real motion windows (B, window, 24, 3, 3) the discriminator learns to accept."""
        if sampler is not None and sampler.window != self.window:
            raise ShapeError(f"VIBE: real motion windows have {sampler.window} frames, the model uses {self.window}")
        self._real_motion = sampler

    # ------------------------------------------------------------------ forward
    def forward(self, batch: WindowBatch) -> PoseOutput:
        x = batch.features
        if x.ndim != 3:
            raise ShapeError(f"VIBE: features must be (B, T, F), got {tuple(x.shape)}")
        B, T, _ = x.shape
        feat = self.encoder(self.input_adapter(x))  # (B, T, feat_dim)
        reg = self.regressor(feat.reshape(B * T, -1))
        return params_to_output(
            self.body_model,
            reg["rotmat"].reshape(B, T, 24, 3, 3),
            reg["betas"].reshape(B, T, 10),
            reg["cam"].reshape(B, T, 3),
            {"pose6d": reg["pose6d"].reshape(B, T, -1)},
        )

    # ------------------------------------------------------------------ training
    def discriminate(self, rotmat: torch.Tensor) -> torch.Tensor:
        """(B, T, 24, 3, 3) -> (B, 1) discriminator scores of the body pose (root excluded)."""
        return self.motion_discriminator(body_pose_aa(rotmat))

    def training_losses(self, batch: WindowBatch, out: PoseOutput) -> dict[str, torch.Tensor]:
        """Supervised terms (2D 300, 3D 300, pose 60, shape 0.06) + ``adv`` (0.5 LSGAN generator)."""
        terms = supervised_losses(batch, out, self.loss_weights)
        terms.pop("loss")
        if self.cfg.adv_weight:
            # Frozen D: the gradient reaches the generator through D's input only.
            disc = self.motion_discriminator
            flags = [p.requires_grad for p in disc.parameters()]
            disc.requires_grad_(False)
            try:
                d_fake = self.discriminate(out.rotmat)
            finally:
                for p, flag in zip(disc.parameters(), flags):
                    p.requires_grad_(flag)
            terms["adv"] = self.cfg.adv_weight * lsgan_generator_loss(d_fake)
        terms["loss"] = torch.stack(list(terms.values())).sum()
        return terms

    def after_step(self, batch: WindowBatch, out: PoseOutput) -> dict[str, float]:
        """One discriminator update: real motion -> 1, the (detached) generated motion -> 0."""
        if not self.cfg.adv_weight:
            return {}  # no adversarial term: the discriminator plays no part
        if self._real_motion is None:
            if not self._warned_no_motion:
                warnings.warn("VIBE: no real motion attached (attach_real_motion); the motion discriminator "
                              "is not trained", stacklevel=2)
                self._warned_no_motion = True
            return {"d_motion_updated": 0.0}
        device = out.rotmat.device
        real_rotmat = self._real_motion.next_batch().to(device=device, dtype=out.rotmat.dtype)
        with torch.enable_grad():
            d_real = self.discriminate(real_rotmat)
            d_fake = self.discriminate(out.rotmat.detach())
            loss = self.cfg.disc_loss_weight * lsgan_discriminator_loss(d_real, d_fake)
            self._disc_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self._disc_optimizer.step()
        # No stale D gradients may linger where another optimiser could see them.
        self._disc_optimizer.zero_grad(set_to_none=True)
        return {"d_motion": float(loss.detach()), "d_real": float(d_real.detach().mean()),
                "d_fake": float(d_fake.detach().mean()), "d_motion_updated": 1.0}


class VibeTest(VIBE):
    """VIBE registered as "vibe-test" (tiny sizes for CI); its own name keeps checkpoints apart."""

    name = "vibe-test"


MODEL_CLASSES = {"vibe": VIBE, "vibe-test": VibeTest}


def build_vibe(cfg: dict | None = None) -> VIBE:
    """``build_model("vibe", cfg)``: ``cfg`` is the model section (``VibeConfig`` keys) or a whole
    VIBE config with a ``model`` section; ``input_dim`` is the dataset's feature size. None gives the released sizes."""
    return VIBE(model_section(cfg))
