"""The MEVA model: contract shapes, gradient flow, ablation switches, official checkpoint loading."""
from __future__ import annotations

import pickle

import pytest
import torch

from posebench.errors import CheckpointError, PosebenchError, ShapeError
from posebench.geometry.rotations import rot6d_meva_to_matrix
from posebench.models.base import WindowBatch
from posebench_meva.model import MEVA, MevaConfig, build_meva
from posebench_meva.official import load_official_meva, load_official_vae, load_tensor_pickle

from official_shapes import SPIN_REGRESSOR_SHAPES, gru_shapes
from test_meva_vae import OFFICIAL_VAE_SHAPES
from training_fixtures import body_model


pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(autouse=True)
def _skeleton_body_model(monkeypatch):
    """The fixtures' explicit skeleton parameters, so the tests do not depend on shipped files."""
    import posebench_meva.model

    monkeypatch.setattr(posebench_meva.model, "get_body_model", lambda kind: body_model())

TINY = dict(input_dim=11, feat_dim=16, ste_hidden=16, ste_layers=1, vme_hidden=8, vme_layers=1, regressor_hidden=32,
            n_iter=2, dropout=0.0, vae_init_hidden=8, vae=dict(nz=8, nx_rnn=16, nh_mlp=[16, 8]))


def _batch(B=2, T=90, F=11, seed=0) -> WindowBatch:
    g = torch.Generator().manual_seed(seed)
    return WindowBatch(
        features=torch.randn(B, T, F, generator=g), fps=30.0,
        kp2d=torch.cat([torch.rand(B, T, 14, 2, generator=g) * 2 - 1, torch.ones(B, T, 14, 1)], -1),
        joints3d_m=torch.randn(B, T, 14, 3, generator=g) * 0.3, w_3d=torch.ones(B, T),
        pose_rotmat=rot6d_meva_to_matrix(torch.randn(B, T, 24, 6, generator=g)), betas=torch.zeros(B, T, 10),
        w_smpl=torch.ones(B, T),
    )  # fmt: skip


def test_output_shapes_follow_the_contract():
    torch.manual_seed(0)
    model = MEVA(TINY)
    out = model(_batch())
    assert out.rotmat.shape == (2, 90, 24, 3, 3)
    assert out.betas.shape == (2, 90, 10) and out.cam.shape == (2, 90, 3)
    assert out.joints24_m.shape == (2, 90, 24, 3) and out.joints_lsp14_m.shape == (2, 90, 14, 3)
    assert out.kp2d.shape == (2, 90, 14, 2)
    assert out.extras["vme_pose6d"].shape == (2, 90, 144)
    eye = torch.eye(3).expand_as(out.rotmat)
    torch.testing.assert_close(out.rotmat @ out.rotmat.transpose(-1, -2), eye, atol=1e-5, rtol=0)
    # shorter windows are cut from the 90 decoded frames; longer ones are refused
    assert model(_batch(T=40)).rotmat.shape[1] == 40
    with pytest.raises(ShapeError, match="at most 90"):
        model(_batch(T=91))


def test_gradients_reach_ste_vme_mrr_but_not_frozen_vae():
    torch.manual_seed(1)
    model = MEVA(TINY).train()
    batch = _batch()
    losses = model.training_losses(batch, model(batch))
    assert set(losses) == {"kp2d", "kp3d", "pose", "shape", "loss"}
    losses["loss"].backward()
    for prefix in ("input_adapter", "feat_encoder", "motion_encoder", "regressor"):
        grads = [p.grad for n, p in model.named_parameters() if n.startswith(prefix)]
        assert grads and all(g is not None and g.abs().sum() > 0 for g in grads), prefix
    assert all(p.grad is None and not p.requires_grad for p in model.vae_model.parameters())
    assert not model.vae_model.training  # frozen prior stays in eval mode


def test_vme_only_outputs_the_vae_decoded_poses():
    torch.manual_seed(2)
    model = MEVA({**TINY, "vme_only": True}).eval()
    batch = _batch()
    with torch.no_grad():
        out = model(batch)
        feat = model.feat_encoder(model.input_adapter(batch.features))
        decoded = model.vae_model.decode(model.motion_encoder(feat).mean(1))
    torch.testing.assert_close(out.rotmat, rot6d_meva_to_matrix(decoded.reshape(2, 90, 24, 6)))
    full = MEVA(TINY).eval()
    full.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert not torch.allclose(full(batch).rotmat, out.rotmat)  # the MRR does refine


def test_mrr_starts_from_the_vme_pose():
    """With zero regressor updates the output pose is exactly the VME pose (not the mean pose)."""
    torch.manual_seed(3)
    model = MEVA(TINY).eval()
    for layer in (model.regressor.decpose,):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    with torch.no_grad():
        out = model(_batch())
    torch.testing.assert_close(out.rotmat, rot6d_meva_to_matrix(out.extras["vme_pose6d"].reshape(2, 90, 24, 6)))


def test_unpretrained_vae_trains_end_to_end():
    torch.manual_seed(4)
    model = MEVA({**TINY, "pretrained_vae": False}).train()
    batch = _batch()
    model.training_losses(batch, model(batch))["loss"].backward()
    assert model.vae_model.training
    assert model.vae_model.d_out.weight.grad is not None and model.vae_model.d_out.weight.grad.abs().sum() > 0
    assert model.vae_model.e_mu.weight.grad is None  # the VAE encoder is not on the path


def test_build_from_hparams_roundtrip_and_unknown_key():
    model = build_meva({"model": TINY})
    again = build_meva(model.hparams)
    assert again.hparams == model.hparams
    again.load_state_dict(model.state_dict())
    assert not any(k.startswith(("smpl.", "body")) for k in model.state_dict())
    with pytest.raises(PosebenchError, match="unknown keys"):
        MevaConfig.from_dict({"bogus": 1})


# ------------------------------------------------------------------ official checkpoints

def official_meva_shapes() -> dict[str, tuple[int, ...]]:
    """Every key and shape of the released train_meva_2 gen_state_dict (docs/official_implementations.md §3.1, §3.3), SMPL keys aside."""
    shapes = {f"vae_model.{k}": v for k, v in OFFICIAL_VAE_SHAPES.items()}
    for enc, inp, hid, out in (("feat_encoder", 2048, 1024, 2048), ("motion_encoder", 2048, 512, 512)):
        shapes.update(gru_shapes(f"{enc}.gru.", inp, hid, bidirectional=True))
        shapes[f"{enc}.linear.weight"] = (out, 2 * hid)
        shapes[f"{enc}.linear.bias"] = (out,)
    shapes.update({
        "vae_init_mlp.0.weight": (256, 512), "vae_init_mlp.0.bias": (256,),
        "vae_init_mlp.2.weight": (144, 256), "vae_init_mlp.2.bias": (144,),
        **SPIN_REGRESSOR_SHAPES,
    })  # fmt: skip
    return shapes


@pytest.fixture
def paper_model():
    return MEVA({})


def test_paper_model_keys_equal_official(paper_model):
    assert {k: tuple(v.shape) for k, v in paper_model.state_dict().items()} == official_meva_shapes()


def _official_state(seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    sd = {k: torch.randn(s, generator=g) * 0.02 for k, s in official_meva_shapes().items()}
    # SMPL layers as they appear in the released files (shapes from smplx; dropped on load)
    sd.update({"smpl.betas": torch.zeros(64, 10), "smpl.v_template": torch.zeros(6890, 3),
               "regressor.smpl.shapedirs": torch.zeros(6890, 3, 10), "regressor.smpl.faces_tensor": torch.zeros(13776, 3)})
    return sd


def test_official_checkpoint_loads_and_runs(tmp_path, paper_model):
    sd = _official_state()
    path = tmp_path / "model_best.pth.tar"
    torch.save({"epoch": 7, "gen_state_dict": sd, "performance": 51.9, "gen_optimizer": {}}, path)
    load_official_meva(paper_model, path)
    torch.testing.assert_close(paper_model.state_dict()["regressor.fc1.weight"], sd["regressor.fc1.weight"])
    torch.testing.assert_close(paper_model.vae_model.d_out.weight, sd["vae_model.d_out.weight"])
    paper_model.eval()
    with torch.no_grad():
        out = paper_model(WindowBatch(features=torch.randn(1, 90, 2048), fps=30.0))
    assert out.joints_lsp14_m.shape == (1, 90, 14, 3) and torch.isfinite(out.joints_lsp14_m).all()


def test_official_checkpoint_errors_name_key_and_file(tmp_path):
    model = MEVA(TINY)  # the checks do not depend on the sizes
    good = {**model.state_dict(), "smpl.betas": torch.zeros(64, 10)}
    path = tmp_path / "missing.pth.tar"
    sd = dict(good)
    del sd["motion_encoder.linear.bias"]
    torch.save({"gen_state_dict": sd}, path)
    with pytest.raises(CheckpointError, match=r"missing\.pth\.tar.*missing key 'motion_encoder\.linear\.bias'"):
        load_official_meva(model, path)
    sd = {**good, "regressor.fc1.weight": torch.zeros(32, 99)}
    torch.save({"gen_state_dict": sd}, path)
    with pytest.raises(CheckpointError, match=r"regressor\.fc1\.weight.*\(32, 99\)"):
        load_official_meva(model, path)
    sd = {**good, "discriminator.fc.weight": torch.zeros(1, 3)}
    torch.save({"gen_state_dict": sd}, path)
    with pytest.raises(CheckpointError, match=r"unexpected key 'discriminator\.fc\.weight'"):
        load_official_meva(model, path)
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="gen_state_dict"):
        load_official_meva(model, path)
    with pytest.raises(CheckpointError, match="not found"):
        load_official_meva(model, tmp_path / "nope.pth.tar")


def test_official_vae_pickle_loads(tmp_path, paper_model):
    vae_sd = {k[len("vae_model."):]: v for k, v in _official_state(1).items() if k.startswith("vae_model.")}
    path = tmp_path / "model_1000.p"
    with open(path, "wb") as f:
        pickle.dump({"model_dict": vae_sd}, f)
    load_official_vae(paper_model, path)
    torch.testing.assert_close(paper_model.vae_model.e_rnn.rnn_b.weight_hh, vae_sd["e_rnn.rnn_b.weight_hh"])


def test_tensor_pickle_refuses_other_globals(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.p"
    with open(path, "wb") as f:
        pickle.dump({"model_dict": Evil()}, f)
    with pytest.raises(CheckpointError, match=r"evil\.p.*builtins\.print"):
        load_tensor_pickle(path)


def test_plugin_registration_and_conformance():
    from posebench.registry import build_model, get_plugin_system
    from posebench.testing.conformance import check_model_plugin
    from posebench_meva.model import MevaTest

    entry = get_plugin_system().models.get("meva")
    assert entry.metadata["window"] == 90 and entry.metadata["inputs"] == ("features",)
    assert callable(entry.metadata["train"]) and "Luo" in entry.metadata["paper"]
    assert "non-commercial" in entry.metadata["licence"]
    model = check_model_plugin("meva-test", feature_dim=73)
    assert isinstance(model, MevaTest) and model.name == "meva-test"
    assert model.hparams["feat_dim"] == 16 and model.hparams["input_dim"] == 73  # configs/meva/test.py sizes
    assert build_model("meva-test", model.hparams).hparams == model.hparams
