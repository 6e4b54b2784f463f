"""VIBE plugin: official key names/shapes, official checkpoint loading, the motion discriminator
and its adversarial training, the model contract, and end-to-end training on synthetic tracks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from posebench.errors import CheckpointError, PosebenchError
from posebench.models.base import WindowBatch
from posebench.testing import check_model_plugin, synthetic_window_batch
from posebench.training import MotionWindows
from posebench_vibe.model import VIBE, VibeConfig, build_vibe
from posebench_vibe.motion_discriminator import MotionDiscriminator, body_pose_aa
from posebench_vibe.official import build_official_vibe, load_official_vibe
from posebench_vibe.real_motion import RealMotionSampler
from official_shapes import SPIN_REGRESSOR_SHAPES, gru_shapes
from test_vibe_hmmr_fixtures import (  # noqa: F401  (fixtures)
    FEATURE_DIM,
    SyntheticPoseDataset,
    skeleton_body_model_params,
    synthetic_plugin_system,
    train_test_twin_on_synthetic,
)

TINY = {"input_dim": FEATURE_DIM, "feat_dim": 32, "hidden": 32, "regressor_hidden": 32, "disc_hidden": 16,
        "dropout": 0.0, "disc_attention_dropout": 0.0}

# docs/official_implementations.md §3.2: the released generator (gen_state_dict, without regressor.smpl.*).
OFFICIAL_GEN_SHAPES = {
    **gru_shapes("encoder.gru.", 2048, 1024),  # unidirectional, 2 layers
    "encoder.linear.weight": (2048, 1024), "encoder.linear.bias": (2048,),
    **SPIN_REGRESSOR_SHAPES,
}
# disc_motion_state_dict (input 69, GRU 1024 x 2, attention 3 layers, fc (1, 1024)).
OFFICIAL_DISC_SHAPES = {
    **gru_shapes("gru.", 69, 1024),
    "attention.attention.0.weight": (1024, 1024), "attention.attention.0.bias": (1024,),
    "attention.attention.3.weight": (1024, 1024), "attention.attention.3.bias": (1024,),
    "attention.attention.6.weight": (1, 1024), "attention.attention.6.bias": (1,),
    "fc.weight": (1, 1024), "fc.bias": (1,),
}  # fmt: skip


@pytest.fixture(scope="module")
def released_vibe() -> VIBE:
    torch.manual_seed(0)
    return VIBE({})  # released sizes: input_dim = feat_dim = 2048


def _shapes(sd: dict) -> dict:
    return {k: tuple(v.shape) for k, v in sd.items()}


def test_generator_and_discriminator_keys_are_the_official_ones(released_vibe):
    sd = released_vibe.state_dict()
    gen = {k: v for k, v in sd.items() if not k.startswith("motion_discriminator.")}
    assert _shapes(gen) == OFFICIAL_GEN_SHAPES  # the identity input adapter adds no keys
    assert _shapes(released_vibe.motion_discriminator.state_dict()) == OFFICIAL_DISC_SHAPES


def _official_checkpoint(performance) -> dict:
    g = torch.Generator().manual_seed(1)
    gen = {k: torch.randn(s, generator=g) * 0.01 for k, s in OFFICIAL_GEN_SHAPES.items()}
    gen["regressor.init_cam"] = torch.tensor([[0.9, 0.0, 0.0]])
    # Official files carry the SMPL layer; the loader drops it.
    gen["regressor.smpl.betas"] = torch.zeros(64, 10)
    gen["regressor.smpl.J_regressor_extra"] = torch.zeros(9, 6890)
    disc = {k: torch.randn(s, generator=g) * 0.01 for k, s in OFFICIAL_DISC_SHAPES.items()}
    return {"epoch": 29, "gen_state_dict": gen, "performance": performance, "gen_optimizer": {},
            "disc_motion_state_dict": disc, "disc_motion_optimizer": {}}


def test_official_checkpoint_file_loads_and_runs(tmp_path):
    ckpt = _official_checkpoint(np.float64(56.5))  # VIBE stores a numpy scalar here
    path = tmp_path / "vibe_model_wo_3dpw.pth.tar"
    torch.save(ckpt, path)
    model = build_official_vibe(path, require_discriminator=True)
    sd = model.state_dict()
    assert torch.equal(sd["regressor.fc1.weight"], ckpt["gen_state_dict"]["regressor.fc1.weight"])
    assert torch.equal(sd["encoder.gru.weight_ih_l1"], ckpt["gen_state_dict"]["encoder.gru.weight_ih_l1"])
    assert torch.equal(sd["motion_discriminator.attention.attention.6.weight"],
                       ckpt["disc_motion_state_dict"]["attention.attention.6.weight"])
    feats = torch.randn(1, 16, 2048, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out = model(WindowBatch(features=feats, fps=30.0))
        # The regressor's first iteration sees [encoder(x) | init_pose | init_shape | init_cam].
        enc = model.encoder(feats)
    assert out.rotmat.shape == (1, 16, 24, 3, 3) and torch.isfinite(out.joints_lsp14_m).all()
    manual = model.regressor(enc.reshape(16, -1))["rotmat"].reshape(1, 16, 24, 3, 3)
    assert torch.allclose(out.rotmat, manual, atol=1e-6)
    # The scores of the loaded discriminator come from the loaded weights.
    with torch.no_grad():
        reference = MotionDiscriminator()
        reference.load_state_dict(ckpt["disc_motion_state_dict"])
        reference.eval()
        x = body_pose_aa(out.rotmat)
        assert torch.allclose(model.motion_discriminator(x), reference(x), atol=1e-6)


def test_official_checkpoint_mismatch_names_the_key(released_vibe):
    ckpt = _official_checkpoint(55.9)
    ckpt["gen_state_dict"]["regressor.fc1.weight"] = torch.zeros(1024, 2048)
    with pytest.raises(CheckpointError, match="regressor.fc1.weight"):
        load_official_vibe(released_vibe, ckpt)
    ckpt = _official_checkpoint(55.9)
    del ckpt["disc_motion_state_dict"]
    with pytest.raises(CheckpointError, match="disc_motion_state_dict"):
        load_official_vibe(released_vibe, ckpt, require_discriminator=True)


def test_discriminator_attention_init_and_pooling():
    torch.manual_seed(0)
    disc = MotionDiscriminator(hidden_size=32)
    for i in (0, 3, 6):
        layer = disc.attention.attention[i]
        assert layer.weight.abs().max() <= 0.1 and torch.all(layer.bias == 0.01)
    x = torch.randn(3, 7, 32)
    disc.eval()
    pooled, weights = disc.attention(x)
    assert torch.allclose(weights.sum(-1), torch.ones(3), atol=1e-6)  # softmax over time
    assert torch.allclose(pooled, (x * weights[..., None]).sum(1), atol=1e-6)


def test_body_pose_aa_drops_the_root_and_inverts_rodrigues():
    from posebench.geometry.rotations import axis_angle_to_matrix

    aa = torch.randn(2, 4, 24, 3) * 0.5
    out = body_pose_aa(axis_angle_to_matrix(aa))
    assert out.shape == (2, 4, 69)
    assert torch.allclose(out, aa[:, :, 1:].reshape(2, 4, 69), atol=1e-5)


def test_contract_conformance():
    # Without real motion attached, after_step trains no discriminator and says so.
    with pytest.warns(UserWarning, match="no real motion"):
        model = check_model_plugin("vibe", TINY, feature_dim=FEATURE_DIM)
    assert model.window == 16 and model.hparams["input_dim"] == FEATURE_DIM
    with pytest.warns(UserWarning, match="no real motion"):
        check_model_plugin("vibe-test", {}, feature_dim=FEATURE_DIM)


def test_config_rejects_unknown_keys():
    with pytest.raises(PosebenchError, match="unknown keys"):
        VibeConfig.from_dict({"hiden": 3})


def _real_sampler(batch_size: int = 4) -> RealMotionSampler:
    ds = SyntheticPoseDataset(n_train=2, n_val=0, frames=48, seed=5)
    return RealMotionSampler(MotionWindows(ds.motion("train"), 16, 8), batch_size, seed=0)


def test_discriminator_learns_and_generator_gets_the_adversarial_gradient(single_thread):
    torch.manual_seed(0)
    model = build_vibe({**TINY, "disc_lr": 3e-3})
    model.attach_real_motion(_real_sampler())
    model.train()
    batch = synthetic_window_batch(4, 16, FEATURE_DIM, seed=3)
    out = model(batch)
    losses = model.training_losses(batch, out)
    assert set(losses) == {"kp2d", "kp3d", "pose", "shape", "adv", "loss"}
    model.zero_grad(set_to_none=True)
    losses["adv"].backward()
    assert model.regressor.decpose.weight.grad.abs().sum() > 0  # through D's input
    assert model.encoder.gru.weight_ih_l0.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.motion_discriminator.parameters())  # D frozen for the generator
    # D updates on the same fake motion: its LSGAN loss falls (it learns real from fake).
    d_losses = [model.after_step(batch, out)["d_motion"] for _ in range(12)]
    assert d_losses[-1] < 0.7 * d_losses[0], d_losses
    assert all(p.grad is None for p in model.motion_discriminator.parameters())  # no stale D gradients
    # A generator term that D now rejects is larger than before D learnt.
    with torch.no_grad():
        model.eval()
        assert float(model.discriminate(out.rotmat.detach()).mean()) < 0.5


def test_real_motion_draws_are_a_pure_function_of_seed_and_draw():
    a, b = _real_sampler(), _real_sampler()
    first = a.next_batch()
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.next_batch(), b.next_batch())
    assert not torch.equal(first, a.batch(5))
    assert first.shape == (4, 16, 24, 3, 3)


def test_train_vibe_test_config_on_synthetic_tracks(synthetic_plugin_system, single_thread, tmp_path):
    from posebench.training.checkpoint import load_checkpoint

    rows = train_test_twin_on_synthetic(synthetic_plugin_system, "vibe", tmp_path)
    d = np.array([float(r["d_motion"]) for r in rows])
    assert np.all(np.isfinite(d)) and d.std() > 0  # the discriminator trains every step
    ckpt = load_checkpoint(tmp_path / "last.pt", model_name="vibe-test")
    assert "extra.disc_motion" in ckpt["optimizers"] and ckpt["optimizers"]["extra.disc_motion"]["state"]
    assert ckpt["extra"]["state"]["real_motion"]["draws"] == 24


def test_train_vibe_rejects_a_second_stage(synthetic_plugin_system, tmp_path):
    from posebench_vibe.train import train_vibe

    with pytest.raises(PosebenchError, match="one stage"):
        train_vibe({}, "synthetic", tmp_path, stage="vae")
