"""A checkpoint's hparams cannot make posebench allocate a huge model: the model is sized on the
meta device first and refused above posebench.models.limits.MAX_MODEL_ELEMENTS, naming the file."""
import pytest
import torch

from posebench import registry
from posebench.errors import CheckpointError
from posebench.models import limits
from posebench.models.limits import ModelSizeError, check_model_size, model_elements
from posebench.training.checkpoint import load_model, save_checkpoint


@pytest.fixture
def no_real_build_of_large_models(monkeypatch):
    """Fail the test (instead of allocating ~160 GB) if a model is built off the meta device after all."""
    real_build = registry.build_model

    def guarded(name, cfg=None):
        if torch.get_default_device().type != "meta" and (cfg or {}).get("hidden", 0) > 10_000:
            raise AssertionError(f"model {name!r} with hidden={cfg['hidden']} built for real")
        return real_build(name, cfg)

    monkeypatch.setattr(registry, "build_model", guarded)


def write_vibe_test_checkpoint(path, **hparams_override):
    model = registry.build_model("vibe-test")
    hparams = {**model.hparams, **hparams_override}
    return save_checkpoint(path, model_name="vibe-test", model=model, hparams=hparams, rng_state=False)


def test_meta_count_matches_the_real_model():
    real = registry.build_model("vibe-test")
    expected = sum(p.numel() for p in real.parameters()) + sum(b.numel() for b in real.buffers())
    assert model_elements(lambda: registry.build_model("vibe-test")) == expected
    assert check_model_size(lambda: registry.build_model("vibe-test")) == expected


def test_huge_hidden_in_checkpoint_hparams_is_refused_before_allocation(tmp_path, no_real_build_of_large_models):
    path = write_vibe_test_checkpoint(tmp_path / "bomb.pt", hidden=10**6)
    with pytest.raises(CheckpointError) as err:
        load_model(path, build=registry.build_model, model_name="vibe-test")
    message = str(err.value)
    assert "bomb.pt" in message and "MAX_MODEL_ELEMENTS" in message and "refused before allocation" in message
    assert len(message.splitlines()) == 1


def test_a_normal_checkpoint_still_loads(tmp_path, no_real_build_of_large_models):
    path = write_vibe_test_checkpoint(tmp_path / "ok.pt")
    model = load_model(path, build=registry.build_model, model_name="vibe-test")
    assert isinstance(model, torch.nn.Module) and not model.training


def test_limit_is_read_at_call_time(tmp_path, monkeypatch):
    path = write_vibe_test_checkpoint(tmp_path / "ok.pt")
    monkeypatch.setattr(limits, "MAX_MODEL_ELEMENTS", 1000)
    with pytest.raises(CheckpointError, match=r"ok\.pt.*more than the limit of 1,000"):
        load_model(path, build=registry.build_model, model_name="vibe-test")


def test_motion_vae_checkpoint_is_sized_before_building(tmp_path, monkeypatch):
    pytest.importorskip("posebench_meva")
    from posebench_meva.train_vae import VAE_MODEL_NAME, load_vae
    from posebench_meva.vae import MotionVAE, VAEConfig

    small = VAEConfig(nz=8, nx_rnn=8, nh_mlp=(8,), t_total=8)
    hparams = {**small.to_dict(), "nx_rnn": 10**6}
    path = save_checkpoint(tmp_path / "vae.pt", model_name=VAE_MODEL_NAME, model=MotionVAE(small),
                           hparams=hparams, rng_state=False)
    with pytest.raises(ModelSizeError, match=r"vae\.pt: the motion VAE would hold"):
        load_vae(path)
