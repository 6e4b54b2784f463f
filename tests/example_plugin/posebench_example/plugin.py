"""A per-frame model (no temporal context) and a metric, registered from outside posebench.

It uses only posebench's public API: the model contract, the shared input adapter and
regressor, the body-model head, the supervised losses, the core training loop and the specs.
``posebench eval`` and ``posebench score`` compute the metric (``MAX-JE``) besides their own.
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl
from posebench.models.base import PoseModel, PoseOutput, WindowBatch
from posebench.specs import MetricSpec, ModelSpec


class PerFrameModel(PoseModel):
    name = "example-perframe"
    window = 8
    inputs = ("features",)

    def __init__(self, cfg: dict | None = None):
        super().__init__(cfg)
        from posebench.body_models import get_body_model
        from posebench.nn.adapter import InputAdapter
        from posebench.nn.regressor import IterativeRegressor

        cfg = self.hparams
        feat_dim = int(cfg.get("feat_dim", 64))
        self.adapter = InputAdapter(int(cfg.get("input_dim", 73)), feat_dim)
        self.regressor = IterativeRegressor(feat_dim=feat_dim, hidden=int(cfg.get("hidden", 64)), n_iter=2)
        self.set_body_model(get_body_model("skeleton"))

    def forward(self, batch: WindowBatch) -> PoseOutput:
        from posebench.nn.smpl_head import params_to_output

        b, t, _ = batch.features.shape
        feats = self.adapter(batch.features).reshape(b * t, -1)
        params = self.regressor(feats)
        return params_to_output(self.body_model, params["rotmat"].reshape(b, t, 24, 3, 3),
                                params["betas"].reshape(b, t, 10), params["cam"].reshape(b, t, 3))

    def training_losses(self, batch, out):
        from posebench.nn.losses import SmplLossWeights, supervised_losses

        return supervised_losses(batch, out, SmplLossWeights())


def build(cfg: dict | None = None) -> PerFrameModel:
    return PerFrameModel(cfg)


def train(cfg: dict, dataset_name: str, out_dir: Path, device: str, resume: bool, stage: str, seed: int) -> Path:
    from posebench.registry import get_protocol, load_dataset
    from posebench.training.loop import TrainConfig, fit

    dataset = load_dataset(dataset_name)
    train_tracks = dataset.tracks("train")
    model = build({**cfg.get("model", {}), "input_dim": int(train_tracks[0].features.shape[1])})
    tcfg = TrainConfig(**{**cfg.get("train", {}), "seed": seed, "device": device})
    result = fit(model, train_tracks, dataset.tracks("val"), tcfg, out_dir, resume=resume,
                 protocol=get_protocol(tcfg.protocol))
    return result.best_path


@hookimpl
def posebench_register_models(register):
    register(ModelSpec("example-perframe", build, train=train, window=PerFrameModel.window,
                       inputs=PerFrameModel.inputs, description="Example third-party plugin: per-frame regressor"))


def max_joint_error(pred_m, gt_m):
    """Per frame, the largest joint error in mm after centring both on the mid-hip (LSP-14 hips 2, 3).
    ``pred_m``, ``gt_m``: (N, J, 3) metres -> (N,)."""
    import numpy as np

    def centred(x):
        return x - x[:, 2:4].mean(axis=1, keepdims=True)

    return np.linalg.norm(centred(pred_m) - centred(gt_m), axis=-1).max(axis=1) * 1000.0


@hookimpl
def posebench_register_metrics(register):
    register(MetricSpec("max_joint_error", max_joint_error, unit="mm", label="MAX-JE",
                        description="largest joint error per frame, mid-hip centred"))
