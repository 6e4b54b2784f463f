"""HMMR (Kanazawa et al., CVPR 2019, "Learning 3D Human Dynamics from Video"), a PyTorch port.

Architecture (docs/official_implementations.md §3.4), batch-major:

- ``input_adapter``: dataset features (B, T, input_dim) -> φ (B, T, feat_dim) (identity at 2048).
- ``f_movie``: :class:`MovieStripEncoder`, 3 pre-activation GroupNorm/Conv1d(k=3) residual
  blocks, receptive field 13 frames -> movie-strip features Φ (B, T, feat_dim).
- ``regressor``: per-frame IEF regressor on Φ_t, from the mean parameters, built as HMR builds
  its f_3D: fc1 -> ReLU -> dropout -> fc2 -> ReLU -> dropout -> fc3 (HMR's TF-slim
  ``fully_connected`` layers default to ReLU; ``regressor_activation="relu"``, the shared
  regressor's ``hidden_activation``). SPIN/VIBE/MEVA have no ReLU there; ``"none"`` gives theirs.
  **Deviation:** HMMR's f_3D regresses an 85-d θ with axis-angle pose from one ``mean_param``;
  posebench uses the shared SPIN IEF regressor (6D pose, SPIN layout, decpose/decshape/deccam
  in place of one fc3), as VIBE and MEVA do.
- ``past_head`` / ``future_head`` (``predict_past_future``): IEF heads over Φ_t that predict the
  pose at t − Δ and t + Δ (Δ = 5), starting from the present prediction (detached: the heads
  learn the change). They reuse the shared IEF regressor, whose shape/camera inputs are the
  present frame's and whose shape/camera outputs are discarded (HMMR's heads see [Φ_t | pose]
  only); the shape is copied from the present frame and the 2D term uses the optimal camera.
- ``hallucinator`` (``hallucinator``): ``fc2_res``, trained to regress Φ_t (detached) from φ_t;
  with ``hallucinator_preds`` its output also goes through the regressor and gets the
  present-frame terms (HMMR's ``--do_hallucinate_preds``). Not used by ``forward``.

Losses (HMMR's weights): kp2d L1 60, joints 0.5·MSE 60, SMPL 0.5·MSE rotmats+betas 60, shape
consistency 1, hallucination MSE 1; the ±Δ and hallucinated predictions get the same 2D/3D/SMPL
terms at their own frames (where those frames are inside the window). HMMR's adversarial pose
prior (``e_pose``/``d_pose``) and its β² prior are **off** (not implemented): every posebench
baseline is trained with the same supervision, VIBE's motion discriminator being its own part.

Test-time windowing: HMMR evaluates with 20-frame windows keeping the middle 8 (6-frame padding;
the harness's ``"hmmr"`` policy, protocol ``hmmr-v1``); under ``posebench-v1`` the ``"full"``
policy is used like for every model.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from posebench_hmmr.losses import (
    joints_3d_loss,
    keypoint_2d_l1,
    optimal_cam,
    shape_consistency_loss,
    smpl_loss,
)
from posebench_hmmr.movie_strip import Hallucinator, MovieStripEncoder

from posebench.body_models import get_body_model
from posebench.config import check_keys
from posebench.errors import PosebenchError, ShapeError
from posebench.models.base import PoseModel, PoseOutput, WindowBatch, model_section
from posebench.nn import (
    InputAdapter,
    IterativeRegressor,
    load_mean_params,
    params_to_output,
    weak_perspective_project,
)


@dataclass
class HmmrLossWeights:
    """HMMR's loss weights (``src/config.py``: e_loss_weight 60, e_3d_weight 60, e_const 1, ...)."""

    kp2d: float = 60.0
    kp3d: float = 60.0
    smpl: float = 60.0
    shape_const: float = 1.0
    hallucinate: float = 1.0
    delta: float = 1.0  # multiplier of the ±Δ heads' 2D/3D/SMPL terms
    hal_preds: float = 1.0  # multiplier of the hallucinated predictions' 2D/3D/SMPL terms

    @classmethod
    def from_dict(cls, d: dict | None) -> "HmmrLossWeights":
        return cls(**check_keys("HMMR loss weights", d, cls))


@dataclass
class HmmrConfig:
    """Sizes and switches of :class:`HMMR`. Defaults are HMMR's released sizes."""

    input_dim: int = 2048  # the dataset's feature size
    feat_dim: int = 2048
    num_blocks: int = 3
    kernel_size: int = 3
    groupnorm_groups: int = 32
    norm_over_time: bool = False  # True: HMMR's GroupNorm pooling over the window (see movie_strip)
    regressor_hidden: int = 1024
    regressor_activation: str = "relu"  # HMR's f_3D: ReLU after fc1 and fc2; "none" = SPIN/VIBE's regressor
    n_iter: int = 3
    dropout: float = 0.5
    mean_params: str | None = None  # SPIN smpl_mean_params.npz; None -> posebench's default mean
    predict_past_future: bool = True
    delta_t: int = 5
    hallucinator: bool = True
    hallucinator_preds: bool = True
    body_model: str = "skeleton"
    loss_weights: dict = field(default_factory=lambda: asdict(HmmrLossWeights()))

    @classmethod
    def from_dict(cls, d: dict | None) -> "HmmrConfig":
        d = check_keys('HMMR model config', d, cls)
        cfg = cls(**d)
        cfg.loss_weights = asdict(HmmrLossWeights.from_dict(cfg.loss_weights))
        if cfg.regressor_activation not in ("relu", "none"):
            raise PosebenchError(f"HMMR model config: regressor_activation must be 'relu' (HMR) or 'none' (SPIN), "
                                 f"got {cfg.regressor_activation!r}")
        if cfg.delta_t < 1:
            raise PosebenchError(f"HMMR model config: delta_t must be >= 1, got {cfg.delta_t}")
        return cfg


class HMMR(PoseModel):
    name = "hmmr"
    window = 20
    config_class = HmmrConfig

    def __init__(self, hparams: dict | None = None):
        super().__init__(hparams)
        cfg = self.cfg
        self.input_adapter = InputAdapter(cfg.input_dim, cfg.feat_dim)
        self.f_movie = MovieStripEncoder(cfg.feat_dim, cfg.num_blocks, cfg.kernel_size, cfg.groupnorm_groups,
                                         cfg.norm_over_time)
        mean = load_mean_params(cfg.mean_params, "spin") if cfg.mean_params else {}

        def ief() -> IterativeRegressor:
            return IterativeRegressor(cfg.feat_dim, cfg.regressor_hidden, cfg.n_iter, rot6d_layout="spin",
                                      dropout=cfg.dropout, hidden_activation=cfg.regressor_activation, **mean)

        self.regressor = ief()
        self.past_head = ief() if cfg.predict_past_future else None
        self.future_head = ief() if cfg.predict_past_future else None
        self.hallucinator = Hallucinator(cfg.feat_dim) if cfg.hallucinator else None
        self.loss_weights = HmmrLossWeights.from_dict(cfg.loss_weights)
        self.set_body_model(get_body_model(cfg.body_model))

    @property
    def receptive_field(self) -> int:
        return self.f_movie.receptive_field

    def _regress(self, feat: torch.Tensor, extras: dict | None = None) -> PoseOutput:
        """(B, T, F) features -> PoseOutput through the per-frame regressor."""
        B, T, F = feat.shape
        reg = self.regressor(feat.reshape(B * T, F))
        extras = dict(extras or {})
        extras["pose6d"] = reg["pose6d"].reshape(B, T, -1)
        return params_to_output(self.body_model, reg["rotmat"].reshape(B, T, 24, 3, 3), reg["betas"].reshape(B, T, 10),
                                reg["cam"].reshape(B, T, 3), extras)

    def forward(self, batch: WindowBatch) -> PoseOutput:
        x = batch.features
        if x.ndim != 3:
            raise ShapeError(f"HMMR: features must be (B, T, F), got {tuple(x.shape)}")
        phi = self.input_adapter(x)  # (B, T, F) single-frame features
        movie = self.f_movie(phi)  # (B, T, F) movie-strip features
        return self._regress(movie, {"phi": phi, "movie": movie})

    # ------------------------------------------------------------------ training
    def delta_predictions(self, out: PoseOutput, dt: int) -> dict[str, torch.Tensor]:
        """The head's pose at t + dt from frames t whose target t + dt is inside the window.

        Returns ``rotmat`` (B, T', 24, 3, 3), ``betas`` (B, T', 10) (the present frame's),
        ``joints_lsp14_m`` (B, T', 14, 3), and ``src``/``dst`` slices of the window's frames
        (T' = T − |dt|).
        """
        head = self.past_head if dt < 0 else self.future_head
        if head is None:
            raise PosebenchError("HMMR: the past/future heads are off (predict_past_future=False)")
        movie, pose6d = out.extras["movie"], out.extras["pose6d"]
        B, T, F = movie.shape
        n = T - abs(dt)
        if n < 1:
            raise ShapeError(f"HMMR: windows of {T} frames have no frame pair {abs(dt)} apart")
        src = slice(0, n) if dt > 0 else slice(abs(dt), T)
        dst = slice(dt, T) if dt > 0 else slice(0, n)
        betas = out.betas[:, src]
        reg = head(
            movie[:, src].reshape(B * n, F),
            init_pose6d=pose6d[:, src].detach().reshape(B * n, -1),
            init_shape=betas.detach().reshape(B * n, -1),
            init_cam=out.cam[:, src].detach().reshape(B * n, -1),
        )
        rotmat = reg["rotmat"].reshape(B, n, 24, 3, 3)
        body = self.body_model.forward_sequence(betas, rotmat, None)
        return {"rotmat": rotmat, "betas": betas, "joints_lsp14_m": body.lsp14_m, "src": src, "dst": dst}

    def _frame_terms(self, batch: WindowBatch, kp2d_pred: torch.Tensor | None, joints: torch.Tensor,
                     rotmat: torch.Tensor, betas: torch.Tensor, frames: slice) -> dict[str, torch.Tensor]:
        """HMMR's 2D/3D/SMPL terms (weighted) of predictions for the window frames ``frames``."""
        w = self.loss_weights
        terms: dict[str, torch.Tensor] = {}
        if batch.kp2d is not None and w.kp2d and kp2d_pred is not None:
            mask = None if batch.mask is None else batch.mask[:, frames]
            terms["kp2d"] = w.kp2d * keypoint_2d_l1(kp2d_pred, batch.kp2d[:, frames], mask)
        if batch.joints3d_m is not None and batch.w_3d is not None and w.kp3d:
            terms["kp3d"] = w.kp3d * joints_3d_loss(joints, batch.joints3d_m[:, frames], batch.w_3d[:, frames])
        if batch.pose_rotmat is not None and batch.w_smpl is not None and w.smpl:
            betas_gt = None if batch.betas is None else batch.betas[:, frames]
            terms["smpl"] = w.smpl * smpl_loss(rotmat, betas, batch.pose_rotmat[:, frames], betas_gt,
                                               batch.w_smpl[:, frames])
        return terms

    def training_losses(self, batch: WindowBatch, out: PoseOutput) -> dict[str, torch.Tensor]:
        """Present-frame terms, shape consistency, ±Δ heads, hallucinator; ``loss`` is their sum."""
        w = self.loss_weights
        everything = slice(None)
        terms = self._frame_terms(batch, out.kp2d, out.joints_lsp14_m, out.rotmat, out.betas, everything)
        if not terms:
            raise PosebenchError("HMMR: the batch has no targets (kp2d, joints3d_m, pose_rotmat)")
        if w.shape_const:
            terms["shape_const"] = w.shape_const * shape_consistency_loss(out.betas)
        if self.cfg.predict_past_future and w.delta:
            for tag, dt in (("past", -self.cfg.delta_t), ("future", self.cfg.delta_t)):
                if batch.seq_len <= abs(dt):
                    continue
                pred = self.delta_predictions(out, dt)
                kp2d_pred = None
                if batch.kp2d is not None:
                    cam = optimal_cam(pred["joints_lsp14_m"], batch.kp2d[:, pred["dst"]])
                    kp2d_pred = weak_perspective_project(pred["joints_lsp14_m"], cam)
                for k, v in self._frame_terms(batch, kp2d_pred, pred["joints_lsp14_m"], pred["rotmat"],
                                              pred["betas"], pred["dst"]).items():
                    terms[f"{tag}_{k}"] = w.delta * v
        if self.hallucinator is not None:
            hal = self.hallucinator(out.extras["phi"])
            if w.hallucinate:
                terms["hallucinate"] = w.hallucinate * ((hal - out.extras["movie"].detach()) ** 2).mean()
            if self.cfg.hallucinator_preds and w.hal_preds:
                hal_out = self._regress(hal)
                for k, v in self._frame_terms(batch, hal_out.kp2d, hal_out.joints_lsp14_m, hal_out.rotmat,
                                              hal_out.betas, everything).items():
                    terms[f"hal_{k}"] = w.hal_preds * v
        terms["loss"] = torch.stack(list(terms.values())).sum()
        return terms


class HmmrTest(HMMR):
    """HMMR registered as "hmmr-test" (tiny sizes for CI); its own name keeps checkpoints apart."""

    name = "hmmr-test"


MODEL_CLASSES = {"hmmr": HMMR, "hmmr-test": HmmrTest}


def build_hmmr(cfg: dict | None = None) -> HMMR:
    """``build_model("hmmr", cfg)``: ``cfg`` is the model section (``HmmrConfig`` keys) or a whole
    HMMR config with a ``model`` section; ``input_dim`` is the dataset's feature size. None gives HMMR's sizes."""
    return HMMR(model_section(cfg))
