"""HMMR plugin: the 13-frame receptive field of f_movie, the ±5-frame heads, the loss terms,
the optimal camera, the model contract, and end-to-end training on synthetic tracks."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from posebench.errors import PosebenchError
from posebench.models.base import WindowBatch
from posebench.nn import weak_perspective_project
from posebench.testing import check_model_plugin, synthetic_window_batch
from posebench_hmmr.losses import keypoint_2d_l1, optimal_cam, shape_consistency_loss
from posebench_hmmr.model import HmmrConfig, build_hmmr
from posebench_hmmr.movie_strip import group_count
from test_vibe_hmmr_fixtures import (  # noqa: F401  (fixtures)
    FEATURE_DIM,
    skeleton_body_model_params,
    synthetic_plugin_system,
    train_test_twin_on_synthetic,
)

TINY = {"input_dim": FEATURE_DIM, "feat_dim": 32, "regressor_hidden": 32, "dropout": 0.0}


def _changed_frames(model, T: int = 30, frame: int = 12) -> np.ndarray:
    """Indices of output frames whose joints change when one input frame is perturbed."""
    model.eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, T, FEATURE_DIM, generator=g)
    y = x.clone()
    y[0, frame] += 3.0 * torch.randn(FEATURE_DIM, generator=g)
    with torch.no_grad():
        a = model(WindowBatch(features=x, fps=30.0)).joints_lsp14_m
        b = model(WindowBatch(features=y, fps=30.0)).joints_lsp14_m
    return torch.nonzero((a - b).abs().amax(dim=(0, 2, 3)) > 1e-7).flatten().numpy()


def _strengthen_second_convs(model) -> None:
    # The second convs start near zero (factor 0.001); make every block's path clearly visible.
    torch.manual_seed(1)
    for block in model.f_movie.blocks:
        nn.init.normal_(block.conv2.weight, std=0.1)


def test_receptive_field_is_exactly_13_frames():
    torch.manual_seed(0)
    model = build_hmmr(TINY)
    _strengthen_second_convs(model)
    assert model.receptive_field == 13
    changed = _changed_frames(model, T=30, frame=12)
    assert changed.tolist() == list(range(6, 19))  # 12 ± 6


def test_groupnorm_pooled_over_time_widens_the_dependency_to_the_window():
    torch.manual_seed(0)
    model = build_hmmr({**TINY, "norm_over_time": True})  # HMMR's TF GroupNorm statistics
    _strengthen_second_convs(model)
    assert len(_changed_frames(model, T=30, frame=12)) == 30


def test_group_count_keeps_channels_divisible():
    assert group_count(2048) == 32 and group_count(256) == 32
    assert group_count(32) == 8 and group_count(48) == 12 and group_count(7) == 1  # >= 4 channels per group


def _heads_model():
    torch.manual_seed(0)
    model = build_hmmr({**TINY, "hallucinator": False})
    # Poses that vary over the window, so a one-frame shift is visible.
    nn.init.normal_(model.regressor.decpose.weight, std=0.3)
    # Zero decoders: the heads return exactly their starting point, the present prediction.
    for head in (model.past_head, model.future_head):
        for layer in (head.decpose, head.decshape, head.deccam):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model.train()


def test_past_future_heads_start_from_the_present_and_are_scored_at_t_plus_minus_5():
    model = _heads_model()
    batch = synthetic_window_batch(2, 20, FEATURE_DIM, seed=4)
    out = model(batch)
    past = model.delta_predictions(out, -5)
    future = model.delta_predictions(out, +5)
    assert past["rotmat"].shape == (2, 15, 24, 3, 3) and future["joints_lsp14_m"].shape == (2, 15, 14, 3)
    assert torch.allclose(past["rotmat"], out.rotmat[:, 5:], atol=1e-5)  # from frames 5..19
    assert torch.allclose(future["rotmat"], out.rotmat[:, :15], atol=1e-5)  # from frames 0..14
    assert torch.allclose(past["betas"], out.betas[:, 5:])  # shape copied from the present frame
    # Targets at t are the present predictions at t + 5: the past head (predicting t - 5 from t)
    # is then exactly right, the future head is not.
    target = out.rotmat.detach().clone()
    target[:, :15] = out.rotmat.detach()[:, 5:]
    scored = WindowBatch(features=batch.features, fps=30.0, pose_rotmat=target, w_smpl=torch.ones(2, 20))
    losses = model.training_losses(scored, out)
    assert float(losses["past_smpl"].detach()) < 1e-10
    assert float(losses["future_smpl"].detach()) > 1e-3
    assert {"smpl", "shape_const", "past_smpl", "future_smpl", "loss"} <= set(losses)


def test_heads_train_and_are_off_when_switched_off():
    model = _heads_model()
    batch = synthetic_window_batch(2, 20, FEATURE_DIM, seed=5)
    out = model(batch)
    losses = model.training_losses(batch, out)
    assert {"past_kp2d", "past_kp3d", "future_kp2d", "future_kp3d"} <= set(losses)
    model.zero_grad(set_to_none=True)
    (losses["past_kp3d"] + losses["future_smpl"]).backward()
    assert model.past_head.decpose.weight.grad.abs().sum() > 0
    assert model.future_head.decpose.weight.grad.abs().sum() > 0
    assert model.f_movie.blocks[0].conv1.weight.grad.abs().sum() > 0  # the heads read the movie strip
    plain = build_hmmr({**TINY, "predict_past_future": False, "hallucinator": False})
    assert plain.past_head is None
    assert not any(k.startswith(("past", "future")) for k in plain.training_losses(batch, plain.train()(batch)))


def test_hallucinator_terms():
    torch.manual_seed(0)
    model = build_hmmr(TINY).train()
    batch = synthetic_window_batch(2, 20, FEATURE_DIM, seed=6)
    out = model(batch)
    losses = model.training_losses(batch, out)
    assert {"hallucinate", "hal_kp2d", "hal_kp3d", "hal_smpl"} <= set(losses)
    model.zero_grad(set_to_none=True)
    losses["hallucinate"].backward()
    assert model.hallucinator.fc1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.f_movie.parameters())  # the movie strip is its target


def test_loss_values():
    pred = torch.zeros(1, 2, 14, 2)
    gt = torch.zeros(1, 2, 14, 3)
    gt[..., 0] = 0.5
    gt[0, 0, :7, 2] = 1.0  # 7 visible joints, |dx| = 0.5, dy = 0
    assert float(keypoint_2d_l1(pred, gt)) == pytest.approx(7 * 0.5 / (2 * 7))
    assert float(keypoint_2d_l1(pred, gt, mask=torch.zeros(1, 2))) == 0.0
    ramp = torch.arange(4.0)[None, :, None].expand(1, 4, 10)  # consecutive betas differ by 1
    assert float(shape_consistency_loss(ramp)) == pytest.approx(0.5)
    assert float(shape_consistency_loss(torch.ones(2, 5, 10))) == 0.0


def test_optimal_cam_recovers_the_projection():
    g = torch.Generator().manual_seed(0)
    points = torch.randn(3, 14, 3, generator=g) * 0.4
    cam = torch.tensor([[0.9, 0.1, -0.2], [1.2, -0.3, 0.05], [0.7, 0.0, 0.3]])
    kp = torch.cat([weak_perspective_project(points, cam), torch.ones(3, 14, 1)], -1)
    fitted = optimal_cam(points, kp)
    assert torch.allclose(fitted, cam, rtol=0.03, atol=0.02)
    refit = weak_perspective_project(points, fitted)
    assert (refit - kp[..., :2]).abs().max() < 0.02


def test_contract_conformance():
    model = check_model_plugin("hmmr", TINY, feature_dim=FEATURE_DIM)
    assert model.window == 20 and model.hparams["input_dim"] == FEATURE_DIM
    check_model_plugin("hmmr-test", {}, feature_dim=FEATURE_DIM)


def test_registration_declares_hmmr_windowing():
    from posebench.registry import get_plugin_system

    entry = get_plugin_system().models.get("hmmr")
    assert entry.metadata["window"] == 20
    assert callable(entry.metadata["train"]) and entry.metadata["config"] == "hmmr/cpu"


def test_config_rejects_unknown_keys():
    with pytest.raises(PosebenchError, match="unknown keys"):
        HmmrConfig.from_dict({"num_block": 3})


def test_train_hmmr_test_config_on_synthetic_tracks(synthetic_plugin_system, single_thread, tmp_path):
    """The loss falls over 24 steps with every HMMR term on (the test config turns the hallucinator on)."""
    train_test_twin_on_synthetic(synthetic_plugin_system, "hmmr", tmp_path)
