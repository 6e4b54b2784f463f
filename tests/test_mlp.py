"""The per-frame MLP lifter (plugins/mlp) and joints-only models in the contract: the conformance
kit checks both kinds, a joints-only third-party model is evaluated with its mesh metric skipped."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.config import load_config
from posebench.data.observations import FEATURE_DIM, feature_names
from posebench.data.track import Track
from posebench.hookspecs import hookimpl
from posebench.models.base import (
    OUTPUTS_JOINTS,
    PoseModel,
    PoseOutput,
    WindowBatch,
    model_outputs,
    skipped_metrics,
)
from posebench.registry import build_model
from posebench.testing import check_model, check_model_plugin


def test_contract_conformance(single_thread):
    for config in ("mlp/test", "mlp/quick"):
        model = check_model_plugin("mlp", cfg=load_config(config), feature_dim=FEATURE_DIM)
        assert model.outputs == "joints"


def test_no_temporal_context_at_all(single_thread):
    model = build_model("mlp", {"model": {"hidden": 32}, "input_dim": FEATURE_DIM}).eval()
    x = torch.randn(2, 16, FEATURE_DIM, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        base = model(WindowBatch(features=x, fps=30.0)).joints_lsp14_m
        y = x.clone()
        y[:, 7] += 2.0  # every channel of frame 7
        moved = (model(WindowBatch(features=y, fps=30.0)).joints_lsp14_m - base).abs().amax(dim=(0, 2, 3))
        assert torch.nonzero(moved).flatten().tolist() == [7]
        # Frame 7's first differences (frame 7 minus frame 6) are not read: they would leak frame 6.
        diff_channels = [i for i, n in enumerate(feature_names()) if n.startswith("d_")]
        z = x.clone()
        z[:, 7, diff_channels] += 2.0
        torch.testing.assert_close(model(WindowBatch(features=z, fps=30.0)).joints_lsp14_m, base)
    everything = build_model("mlp", {"model": {"hidden": 32, "input_channels": "all"}, "input_dim": FEATURE_DIM})
    assert everything.net[0].in_features == FEATURE_DIM and model.net[0].in_features == FEATURE_DIM - len(diff_channels)


class JointsOnlyLifter(PoseModel):
    """A third party's joints-only model: one linear layer from features to LSP-14 joints."""

    name = "third-party-lifter"
    window = 8
    inputs = ("features",)
    outputs = OUTPUTS_JOINTS

    def __init__(self, hparams=None):
        super().__init__({"input_dim": FEATURE_DIM, **(hparams or {})})
        self.linear = torch.nn.Linear(self.hparams["input_dim"], 42)
        self.return_rotations = False  # tests: break the joints-only rule

    def forward(self, batch):
        b, t, _ = batch.features.shape
        joints = 0.1 * torch.tanh(self.linear(batch.features)).reshape(b, t, 14, 3)
        extra = {"rotmat": torch.eye(3).expand(b, t, 24, 3, 3)} if self.return_rotations else {}
        return PoseOutput(joints_lsp14_m=joints, **extra)

    def training_losses(self, batch, out):
        loss = ((out.joints_lsp14_m - batch.joints3d_m) ** 2).mean()
        return {"loss": loss}


class ThirdPartyPlugin:
    @staticmethod
    @hookimpl
    def posebench_register_models(register):
        register("third-party-lifter", JointsOnlyLifter, window=8, inputs=("features",), outputs="joints")


@pytest.fixture
def third_party_system(monkeypatch):
    from posebench import registry

    system = registry.PluginSystem(extra_plugins=[("thirdparty", ThirdPartyPlugin)], load_entry_points=False)
    monkeypatch.setattr(registry, "_SYSTEM", system)
    return system


def test_a_joints_only_third_party_model_passes_the_kit(third_party_system):
    model = check_model_plugin("third-party-lifter", feature_dim=FEATURE_DIM)
    assert model_outputs(model) == "joints"
    model.return_rotations = True
    with pytest.raises(AssertionError, match="joints-only model .* leaves the SMPL fields None"):
        check_model(model, FEATURE_DIM)


def test_an_smpl_model_must_still_return_rotations():
    class Forgetful(JointsOnlyLifter):
        outputs = "smpl"  # claims rotations + shape + joints, returns joints only

    with pytest.raises(AssertionError, match="PoseOutput.rotmat is a tensor"):
        check_model(Forgetful(), FEATURE_DIM)


def test_a_joints_only_model_is_evaluated_with_its_mesh_metric_skipped(third_party_system):
    from posebench.evaluation import evaluate, predict_track
    from posebench.registry import get_protocol

    rng = np.random.default_rng(0)
    tracks = [Track(name=f"t{i}", fps=30.0, features=rng.normal(size=(37, FEATURE_DIM)).astype(np.float32),
                    joints3d_m=0.2 * rng.normal(size=(37, 14, 3)).astype(np.float32)) for i in range(2)]
    model = build_model("third-party-lifter")
    pred = predict_track(model, tracks[0], device="cpu")
    assert pred.rotmat is None and pred.betas is None and pred.joints24_m is None
    assert pred.covered.all() and np.isfinite(pred.joints_lsp14_m).all()
    result = evaluate(model, tracks, protocol=get_protocol("posebench"), device="cpu")
    assert result.summary["mpjpe"] > 0 and "pve" not in result.summary
    assert skipped_metrics(model_outputs(model), ("mpjpe", "pve")) == {
        "pve": "skipped: the model provides 3D joints only (no mesh or rotations)"}
    assert skipped_metrics("smpl", ("pve",)) == {}
