"""A per-frame model (no temporal context) registered from outside posebench.

It uses only posebench's public API: the model contract, the shared input adapter and
regressor, the body-model head, the supervised losses and the core training loop.
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl
from posebench.models.base import PoseModel, PoseOutput, WindowBatch


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
    from posebench.registry import load_dataset
    from posebench.training.loop import TrainConfig, fit

    dataset = load_dataset(dataset_name)
    train_tracks = dataset.tracks("train")
    model = build({**cfg.get("model", {}), "input_dim": int(train_tracks[0].features.shape[1])})
    result = fit(model, train_tracks, dataset.tracks("val"),
                 TrainConfig(**{**cfg.get("train", {}), "seed": seed, "device": device}), out_dir, resume=resume)
    return result.best_path


@hookimpl
def posebench_register_models(register):
    register("example-perframe", build, description="Example third-party plugin: per-frame regressor",
             window=PerFrameModel.window, inputs=PerFrameModel.inputs, train=train)
