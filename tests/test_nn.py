"""Shared network parts: regressor, temporal encoder, camera, losses, adapter, SMPL head."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.errors import DataFormatError, PosebenchError, ShapeError
from posebench.geometry.rotations import axis_angle_to_matrix, matrix_to_rot6d_spin
from posebench.models.base import PoseOutput, WindowBatch
from posebench.nn import (
    InputAdapter,
    IterativeRegressor,
    NonFiniteLossError,
    SmplLossWeights,
    TemporalEncoder,
    cam_to_translation,
    default_mean_params,
    drop_official_smpl_keys,
    keypoint_2d_loss,
    keypoint_3d_loss,
    load_mean_params,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    params_to_output,
    pose_loss,
    shape_loss,
    supervised_losses,
    translation_to_cam,
    weak_perspective_project,
)

OFFICIAL_REGRESSOR_SHAPES = {  # docs/official_implementations.md §3.1
    "fc1.weight": (1024, 2205), "fc1.bias": (1024,), "fc2.weight": (1024, 1024), "fc2.bias": (1024,),
    "decpose.weight": (144, 1024), "decpose.bias": (144,), "decshape.weight": (10, 1024), "decshape.bias": (10,),
    "deccam.weight": (3, 1024), "deccam.bias": (3,), "init_pose": (1, 144), "init_shape": (1, 10), "init_cam": (1, 3),
}  # fmt: skip


def test_regressor_state_dict_matches_official_names_and_shapes():
    sd = IterativeRegressor().state_dict()
    assert {k: tuple(v.shape) for k, v in sd.items()} == OFFICIAL_REGRESSOR_SHAPES
    # xavier-uniform gain 0.01 on the decoders: bound = 0.01 * sqrt(6 / (fan_in + fan_out))
    bound = 0.01 * np.sqrt(6 / (1024 + 144))
    w = sd["decpose.weight"]
    assert w.abs().max() <= bound and w.abs().max() > 0.5 * bound


def test_default_init_decodes_to_the_same_rotations_in_both_layouts():
    expected = torch.eye(3).repeat(24, 1, 1)
    expected[0] = torch.diag(torch.tensor([1.0, -1.0, -1.0]))
    for layout in ("spin", "meva"):
        reg = IterativeRegressor(feat_dim=4, hidden=8, rot6d_layout=layout)
        torch.testing.assert_close(reg.decode_pose(reg.init_pose)[0], expected)
        torch.testing.assert_close(reg.init_cam[0], torch.tensor([0.9, 0.0, 0.0]))
    spin, meva = default_mean_params("spin")["init_pose_6d"], default_mean_params("meva")["init_pose_6d"]
    assert not torch.equal(spin, meva)  # different element order, same rotations


def test_mean_params_file_is_converted_to_the_meva_layout(tmp_path):
    rot = axis_angle_to_matrix(torch.randn(24, 3, generator=torch.Generator().manual_seed(0)))
    path = tmp_path / "smpl_mean_params.npz"
    np.savez(path, pose=matrix_to_rot6d_spin(rot).reshape(144).numpy(), shape=np.arange(10.0), cam=[0.8, 0.1, 0.2])
    for layout in ("spin", "meva"):
        reg = IterativeRegressor(feat_dim=4, hidden=8, rot6d_layout=layout, **load_mean_params(path, layout))
        torch.testing.assert_close(reg.decode_pose(reg.init_pose)[0], rot, atol=1e-5, rtol=0)
        torch.testing.assert_close(reg.init_shape[0], torch.arange(10.0))
    np.savez(tmp_path / "bad.npz", pose=np.zeros(144), shape=np.zeros(10))
    with pytest.raises(DataFormatError, match=r"bad\.npz.*'cam'"):
        load_mean_params(tmp_path / "bad.npz")


def test_regressor_forward_iterates_from_the_given_start():
    torch.manual_seed(0)
    reg = IterativeRegressor(feat_dim=6, hidden=16).eval()
    feat = torch.randn(5, 6)
    out = reg(feat)
    assert out["pose6d"].shape == (5, 144) and out["rotmat"].shape == (5, 24, 3, 3)
    assert out["betas"].shape == (5, 10) and out["cam"].shape == (5, 3)
    # zero iterations return the starting point exactly
    start = torch.randn(5, 144)
    zero = reg(feat, init_pose6d=start, n_iter=0)
    assert torch.equal(zero["pose6d"], start) and torch.equal(zero["cam"], reg.init_cam.expand(5, 3))
    # one iteration by hand
    x = reg.fc2(reg.fc1(torch.cat([feat, start, reg.init_shape.expand(5, 10), reg.init_cam.expand(5, 3)], 1)))
    torch.testing.assert_close(reg(feat, init_pose6d=start, n_iter=1)["pose6d"], start + reg.decpose(x))
    with pytest.raises(ShapeError, match="feat"):
        reg(torch.randn(5, 7))
    assert drop_official_smpl_keys({"regressor.smpl.betas": 1, "smpl.x": 2, "regressor.fc1.weight": 3}) == {
        "regressor.fc1.weight": 3}


def test_temporal_encoder_keys_and_behaviour():
    enc = TemporalEncoder(2048, 1024, num_layers=2)  # VIBE's released encoder (§3.2)
    shapes = {k: tuple(v.shape) for k, v in enc.state_dict().items()}
    assert shapes["gru.weight_ih_l0"] == (3072, 2048) and shapes["gru.weight_hh_l1"] == (3072, 1024)
    assert shapes["linear.weight"] == (2048, 1024)
    bi = TemporalEncoder(2048, 1024, bidirectional=True, activation="tanh")  # MEVA feat_encoder (§3.3)
    assert tuple(bi.state_dict()["linear.weight"].shape) == (2048, 2048)
    assert "gru.weight_ih_l1_reverse" in bi.state_dict()
    motion = TemporalEncoder(2048, 512, bidirectional=True, residual=False, activation="tanh", output_size=512)
    assert tuple(motion.state_dict()["linear.weight"].shape) == (512, 1024) and not motion.residual

    torch.manual_seed(0)
    small = TemporalEncoder(4, 3, num_layers=1)
    x = torch.randn(2, 5, 4)
    y_gru, _ = small.gru(x)
    torch.testing.assert_close(small(x), small.linear(torch.relu(y_gru)) + x)
    # causal (unidirectional): changing the last frame leaves earlier outputs unchanged
    x2 = x.clone()
    x2[:, -1] += 1
    torch.testing.assert_close(small(x2)[:, :-1], small(x)[:, :-1])


def test_weak_perspective_projection_round_trip():
    cam = torch.tensor([[0.9, 0.1, -0.2], [1.3, 0.0, 0.05]])
    t = cam_to_translation(cam)
    torch.testing.assert_close(t[:, 2], 2 * 5000 / (224 * cam[:, 0]), rtol=1e-6, atol=0)
    torch.testing.assert_close(translation_to_cam(t), cam)
    pts = torch.tensor([[[0.0, 0.0, 0.0], [0.2, -0.5, 0.1]], [[0.1, 0.4, -0.1], [0.0, 0.0, 0.0]]])
    uv = weak_perspective_project(pts, cam)
    # by hand: u = 5000 * (x + tx) / (z + tz) / 112
    p = pts[0, 1] + t[0]
    torch.testing.assert_close(uv[0, 1], 5000 * p[:2] / p[2] / 112)
    # the origin lands at (s * tx, s * ty) * 5000 / (tz * 112) = s * (tx, ty) (weak perspective)
    torch.testing.assert_close(uv[0, 0], cam[0, 0] * cam[0, 1:], rtol=1e-5, atol=1e-7)


def test_keypoint_losses_by_hand():
    pred = torch.zeros(1, 1, 2, 2)
    gt = torch.tensor([[[[1.0, 2.0, 1.0], [3.0, 0.0, 0.0]]]])
    # (1 + 4) * conf 1 + (9 + 0) * conf 0, mean over 4 entries
    assert keypoint_2d_loss(pred, gt).item() == pytest.approx(5 / 4)

    g = torch.randn(2, 3, 14, 3)
    shifted = g + torch.tensor([1.0, -2.0, 3.0])  # a translation is removed by mid-hip centring
    w = torch.ones(2, 3)
    assert keypoint_3d_loss(shifted, g, w).item() == pytest.approx(0.0, abs=1e-10)
    p = g.clone()
    p[0, 0, 5] += torch.tensor([0.3, 0.0, 0.0])  # one non-hip joint off by 0.3 in one frame
    expected = 0.3**2 / (14 * 3) / 6
    assert keypoint_3d_loss(p, g, w).item() == pytest.approx(expected, rel=1e-5)
    w0 = w.clone()
    w0[0, 0] = 0  # masking the bad frame removes the error
    assert keypoint_3d_loss(p, g, w0).item() == pytest.approx(0.0, abs=1e-10)
    assert keypoint_3d_loss(p, g, torch.zeros(2, 3)).item() == 0.0


def test_pose_shape_and_gan_losses_by_hand():
    eye = torch.eye(3).expand(1, 2, 24, 3, 3)
    other = eye.clone()
    other[0, 1, 3] = torch.diag(torch.tensor([1.0, -1.0, -1.0]))  # one joint off: 8 entries of error 2^2
    w = torch.tensor([[1.0, 1.0]])
    assert pose_loss(other, eye, w).item() == pytest.approx(2 * 4 / (24 * 9) / 2)
    assert pose_loss(other, eye, torch.tensor([[1.0, 0.0]])).item() == 0.0
    b = torch.zeros(1, 2, 10)
    assert shape_loss(b + 0.5, b, w).item() == pytest.approx(0.25)
    d_real, d_fake = torch.tensor([[1.0], [0.0]]), torch.tensor([[0.5], [0.0]])
    assert lsgan_generator_loss(d_fake).item() == pytest.approx((0.25 + 1) / 2)
    assert lsgan_discriminator_loss(d_real, d_fake).item() == pytest.approx((0 + 1) / 2 + 0.25 / 2)


def _output(B=2, T=3):
    g = torch.Generator().manual_seed(1)
    return PoseOutput(rotmat=torch.eye(3).repeat(B, T, 24, 1, 1), betas=torch.zeros(B, T, 10), cam=torch.zeros(B, T, 3),
                      joints24_m=torch.randn(B, T, 24, 3, generator=g), joints_lsp14_m=torch.randn(B, T, 14, 3, generator=g),
                      kp2d=torch.randn(B, T, 14, 2, generator=g))  # fmt: skip


def test_supervised_losses_combine_weighted_terms_and_skip_absent_targets():
    out = _output()
    kp2d = torch.cat([torch.zeros(2, 3, 14, 2), torch.ones(2, 3, 14, 1)], -1)
    batch = WindowBatch(features=torch.zeros(2, 3, 4), fps=30.0, kp2d=kp2d, mask=torch.ones(2, 3))
    losses = supervised_losses(batch, out)
    assert set(losses) == {"kp2d", "loss"}
    assert losses["loss"].item() == pytest.approx(300 * (out.kp2d**2).mean().item(), rel=1e-6)

    full = WindowBatch(features=torch.zeros(2, 3, 4), fps=30.0, kp2d=kp2d, mask=torch.ones(2, 3),
                       joints3d_m=torch.zeros(2, 3, 14, 3), pose_rotmat=torch.eye(3).repeat(2, 3, 24, 1, 1),
                       betas=torch.ones(2, 3, 10), w_3d=torch.ones(2, 3), w_smpl=torch.zeros(2, 3))  # fmt: skip
    weights = SmplLossWeights(kp2d=1.0, kp3d=2.0, pose=3.0, shape=4.0)
    losses = supervised_losses(full, out, weights)
    assert losses["shape"].item() == 0.0  # w_smpl is zero everywhere
    total = sum(losses[k] for k in ("kp2d", "kp3d", "pose", "shape"))
    assert losses["loss"].item() == pytest.approx(total.item())
    assert losses["kp3d"].item() == pytest.approx(2.0 * keypoint_3d_loss(out.joints_lsp14_m, full.joints3d_m, full.w_3d).item())
    with pytest.raises(PosebenchError, match="loss weights: unknown keys"):
        SmplLossWeights.from_dict({"kp_2d": 1})


def test_supervised_losses_names_a_nan_term():
    out = _output()
    out.joints_lsp14_m[0, 0, 0, 0] = float("nan")
    batch = WindowBatch(features=torch.zeros(2, 3, 4), fps=30.0, joints3d_m=torch.zeros(2, 3, 14, 3), w_3d=torch.ones(2, 3))
    with pytest.raises(NonFiniteLossError, match="'kp3d' is nan"):
        supervised_losses(batch, out)


def test_input_adapter():
    assert len(list(InputAdapter(2048, 2048).parameters())) == 0
    x = torch.randn(3, 5, 2048)
    assert torch.equal(InputAdapter(2048, 2048)(x), x)
    ad = InputAdapter(73, 32)
    assert [k for k in ad.state_dict() if k.endswith("weight")] == ["net.0.weight", "net.1.weight", "net.3.weight"]
    y = ad(torch.randn(3, 5, 73))
    assert y.shape == (3, 5, 32)
    with pytest.raises(ShapeError, match="73"):
        ad(torch.randn(3, 5, 72))


def test_params_to_output_runs_the_body_model_and_projects():
    from training_fixtures import body_model

    body = body_model()
    B, T = 2, 3
    rot = torch.eye(3).repeat(B, T, 24, 1, 1)
    rot[..., 0, :, :] = torch.diag(torch.tensor([1.0, -1.0, -1.0]))
    betas = torch.zeros(B, T, 10)
    cam = torch.tensor([0.9, 0.0, 0.0]).expand(B, T, 3)
    out = params_to_output(body, rot, betas, cam, extras={"a": 1})
    direct = body(betas.reshape(-1, 10), rot.reshape(-1, 24, 3, 3))
    torch.testing.assert_close(out.joints_lsp14_m.reshape(-1, 14, 3), direct.lsp14_m)
    torch.testing.assert_close(out.kp2d, weak_perspective_project(out.joints_lsp14_m, cam))
    # upright in the camera frame: the head top is above (smaller y than) the ankles
    assert (out.joints_lsp14_m[..., 13, 1] < out.joints_lsp14_m[..., 0, 1]).all()
    assert out.extras == {"a": 1}
    with pytest.raises(ShapeError, match="betas"):
        params_to_output(body, rot, torch.zeros(B, T, 9), cam)
