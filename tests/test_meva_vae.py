"""MEVA motion VAE: official key names/shapes, encode/decode shapes, GRU maths, loss by hand."""
from __future__ import annotations

import math

import pytest
import torch

from posebench.errors import PosebenchError, ShapeError
from posebench_meva.vae import MotionVAE, VAEConfig, VAELossWeights, _gru_step, vae_loss


pytestmark = pytest.mark.usefixtures("single_thread")

# Every parameter of the released VAErecV2 (vae_rec_2.yml), docs/official_implementations.md §3.3.
OFFICIAL_VAE_SHAPES = {
    "e_rnn.rnn_f.weight_ih": (768, 144), "e_rnn.rnn_f.weight_hh": (768, 256),
    "e_rnn.rnn_f.bias_ih": (768,), "e_rnn.rnn_f.bias_hh": (768,),
    "e_rnn.rnn_b.weight_ih": (768, 144), "e_rnn.rnn_b.weight_hh": (768, 256),
    "e_rnn.rnn_b.bias_ih": (768,), "e_rnn.rnn_b.bias_hh": (768,),
    "e_mlp.affine_layers.0.weight": (1024, 512), "e_mlp.affine_layers.0.bias": (1024,),
    "e_mlp.affine_layers.1.weight": (512, 1024), "e_mlp.affine_layers.1.bias": (512,),
    "e_mu.weight": (512, 512), "e_mu.bias": (512,),
    "e_logvar.weight": (512, 512), "e_logvar.bias": (512,),
    "init_pose_mlp.affine_layers.0.weight": (1024, 512), "init_pose_mlp.affine_layers.0.bias": (1024,),
    "init_pose_mlp.affine_layers.1.weight": (512, 1024), "init_pose_mlp.affine_layers.1.bias": (512,),
    "init_pose_out.weight": (144, 512), "init_pose_out.bias": (144,),
    "d_rnn.rnn_f.weight_ih": (1536, 656), "d_rnn.rnn_f.weight_hh": (1536, 512),
    "d_rnn.rnn_f.bias_ih": (1536,), "d_rnn.rnn_f.bias_hh": (1536,),
    "d_mlp.affine_layers.0.weight": (1024, 512), "d_mlp.affine_layers.0.bias": (1024,),
    "d_mlp.affine_layers.1.weight": (512, 1024), "d_mlp.affine_layers.1.bias": (512,),
    "d_out.weight": (144, 512), "d_out.bias": (144,),
}  # fmt: skip

SMALL = VAEConfig(nz=16, nx_rnn=16, nh_mlp=(32, 16), t_total=12)


def test_paper_size_keys_and_shapes_equal_official():
    shapes = {k: tuple(v.shape) for k, v in MotionVAE(VAEConfig()).state_dict().items()}
    assert shapes == OFFICIAL_VAE_SHAPES


def test_encode_decode_shapes_and_eval_is_deterministic():
    torch.manual_seed(0)
    vae = MotionVAE(SMALL)
    x = torch.randn(3, 12, 144)
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (3, 16)
    recon, _, _ = vae(x)
    assert recon.shape == (3, 12, 144)
    vae.eval()
    a, mu_a, _ = vae(x)
    b, _, _ = vae(x)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a, vae.decode(mu_a))  # eval: z = mu
    vae.train()
    c, _, _ = vae(x)
    assert not torch.allclose(a, c)  # train: z is sampled


def test_encoder_matches_stepped_grucells_and_time_mean():
    """The fast scan equals stepping nn.GRUCell forwards / backwards, averaged over time."""
    torch.manual_seed(1)
    vae = MotionVAE(SMALL)
    x = torch.randn(2, 12, 144)
    f, b = vae.e_rnn.rnn_f, vae.e_rnn.rnn_b
    h_f, h_b = torch.zeros(2, 8), torch.zeros(2, 8)
    outs_f, outs_b = [], [None] * 12
    for t in range(12):
        h_f = f(x[:, t], h_f)
        outs_f.append(h_f)
    for t in reversed(range(12)):
        h_b = b(x[:, t], h_b)
        outs_b[t] = h_b
    states = torch.cat([torch.stack(outs_f, 1), torch.stack(outs_b, 1)], -1)
    h = vae.e_mlp(states.mean(1))
    mu, logvar = vae.encode(x)
    torch.testing.assert_close(mu, vae.e_mu(h))
    torch.testing.assert_close(logvar, vae.e_logvar(h))


def test_decoder_matches_official_recursion():
    torch.manual_seed(2)
    vae = MotionVAE(SMALL)
    z = torch.randn(2, 16)
    x_prev = vae.init_pose_out(vae.init_pose_mlp(z))
    h = torch.zeros(2, 16)
    frames = []
    for _ in range(12):
        h = vae.d_rnn.rnn_f(torch.cat([x_prev, z], -1), h)
        x_prev = vae.d_out(vae.d_mlp(h))
        frames.append(x_prev)
    torch.testing.assert_close(vae.decode(z), torch.stack(frames, 1))


def test_gru_step_equals_grucell():
    torch.manual_seed(3)
    cell = torch.nn.GRUCell(5, 7)
    x, h = torch.randn(4, 5), torch.randn(4, 7)
    gi = torch.nn.functional.linear(x, cell.weight_ih, cell.bias_ih)
    torch.testing.assert_close(_gru_step(gi, h, cell), cell(x, h))


def test_loss_by_hand():
    # B = 2, T = 1, nx = 144; one error of 1 on the root, one of 2 elsewhere.
    target = torch.zeros(2, 1, 144)
    recon = target.clone()
    recon[0, 0, 0] = 1.0  # root 6D value
    recon[1, 0, 10] = 2.0  # not root
    mu = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    out = vae_loss(recon, target, mu, logvar)
    assert out["mse"].item() == pytest.approx((1 + 4) / 2)
    assert out["mse_root"].item() == pytest.approx(1 / 2)
    # -0.5 * sum(1 + lv - mu^2 - e^lv) / B: terms -1 (mu=1), and 1 + 1 - e (lv=1).
    kld = -0.5 * ((1 + 0 - 1 - 1) + (1 + 1 - 0 - math.e)) / 2
    assert out["kld"].item() == pytest.approx(kld, rel=1e-6)
    assert out["loss"].item() == pytest.approx(2.5 + 20 * 0.5 + 0.1 * kld, rel=1e-6)
    w = VAELossWeights(mse=0.0, root=1.0, kld=0.0)
    assert vae_loss(recon, target, mu, logvar, w)["loss"].item() == pytest.approx(0.5)


def test_bad_shapes_raise():
    vae = MotionVAE(SMALL)
    with pytest.raises(ShapeError, match="144"):
        vae.encode(torch.randn(2, 12, 72))
    with pytest.raises(ShapeError, match="z must be"):
        vae.decode(torch.randn(2, 3))
    with pytest.raises(PosebenchError, match="unknown keys"):
        VAEConfig.from_dict({"nz": 4, "bogus": 1})


def test_residual_decoder_adds_each_step_to_the_previous_frame():
    """With residual_decoder, frame t is x_0 + (t+1) * step when every step is the same constant."""
    vae = MotionVAE(dict(nx=144, nz=8, nx_rnn=16, nh_mlp=[16, 8], t_total=90, residual_decoder=True))
    with torch.no_grad():
        vae.d_out.weight.zero_()
        vae.d_out.bias.fill_(0.01)
        z = torch.randn(3, 8)
        x0 = vae.init_pose_out(vae.init_pose_mlp(z))
        out = vae.decode(z)
    expected = x0[:, None, :] + 0.01 * torch.arange(1, 91, dtype=torch.float32)[None, :, None]
    torch.testing.assert_close(out, expected)
    plain = MotionVAE(dict(nx=144, nz=8, nx_rnn=16, nh_mlp=[16, 8], t_total=90))
    assert plain.cfg.residual_decoder is False  # the released design decodes each frame outright


def test_linear_path_starts_as_the_whitened_pca_of_the_windows():
    """At init the linear path is PCA: windows in a 5-d affine subspace are reconstructed exactly, their
    code has unit variance per used dimension, and the GRU paths add nothing."""
    cfg = dict(nx=144, nz=8, nx_rnn=16, nh_mlp=[16, 8], t_total=12, residual_decoder=True, linear_path=True)
    vae = MotionVAE(cfg)
    g = torch.Generator().manual_seed(0)
    basis, coef = torch.randn(5, 12 * 144, generator=g), torch.randn(300, 5, generator=g)
    windows = (coef @ basis).view(300, 12, 144) + 0.5
    assert vae.init_linear_path(windows) == pytest.approx(1.0)
    vae.eval()
    recon, mu, logvar = vae(windows)
    torch.testing.assert_close(recon, windows, atol=1e-4, rtol=0)
    torch.testing.assert_close(mu.std(0)[:5], torch.ones(5), atol=1e-4, rtol=0)
    assert mu[:, 5:].abs().max() < 1e-4  # directions the windows do not vary along stay unused
    assert torch.all(logvar == -4.0)
    # a window off the subspace is projected onto it: the code keeps only what a linear code of 5 numbers can
    off = windows[:1] + torch.randn(1, 12, 144, generator=g)
    assert (vae(off)[0] - windows[:1]).norm() < (off - windows[:1]).norm()


def test_linear_path_is_opt_in_and_checked():
    plain = MotionVAE(SMALL)
    assert not any(k.startswith("lin_") for k in plain.state_dict())  # the released key set is unchanged
    with pytest.raises(ShapeError, match="without linear_path"):
        plain.init_linear_path(torch.zeros(4, SMALL.t_total, 144))
    lin = MotionVAE(dict(nx=144, nz=8, nx_rnn=16, nh_mlp=[16, 8], t_total=12, linear_path=True))
    with pytest.raises(ShapeError, match="t_total=12"):
        lin.encode(torch.zeros(2, 10, 144))
    with pytest.raises(ShapeError, match=">= 2 windows"):
        lin.init_linear_path(torch.zeros(1, 12, 144))
