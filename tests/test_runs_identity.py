"""One run identity (posebench.runs): model, dataset, config and seed name the checkpoint folder
that `train` writes and `eval`/`compare`/`demo` read; one device rule."""
from __future__ import annotations

import pytest

from posebench.devices import choose_device
from posebench.errors import PosebenchError
from posebench.runs import Run, find_checkpoint


def test_a_run_folder_is_one_per_model_dataset_config_and_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path))
    run = Run("vibe", "cmu", "quick", 2)
    assert run.checkpoint_dir == tmp_path / "checkpoints" / "vibe" / "cmu" / "quick" / "seed2"
    assert run.checkpoint == run.checkpoint_dir / "best.pt"
    assert len({Run("vibe", "cmu", c, s).checkpoint_dir for c in ("cpu", "quick") for s in (0, 1)}) == 4


def test_run_of_takes_the_tag_from_the_models_config_like_train_does(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path))
    from posebench.api import default_config

    assert Run.of("vibe", "cmu", None, default_config=default_config("vibe")).config == "cpu"  # the model's default
    assert Run.of("vibe-test", "cmu", None, default_config=default_config("vibe-test")).config == "test"
    assert Run.of("hmmr", "cmu", "/some/where/my_run.py", 1) == Run("hmmr", "cmu", "my_run", 1)


def test_the_checkpoint_lookup_names_the_command_that_makes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("POSEBENCH_CACHE", str(tmp_path))
    with pytest.raises(PosebenchError, match="posebench train vibe --dataset cmu --config quick --seed 1"):
        find_checkpoint("vibe", "cmu", 1, {}, config="quick")
    with pytest.raises(PosebenchError, match="not found"):
        find_checkpoint("vibe", "cmu", 0, {"vibe": str(tmp_path / "missing.pt")})
    run = Run.of("vibe", "cmu", "quick", 1)
    run.checkpoint_dir.mkdir(parents=True)
    run.checkpoint.write_bytes(b"x")
    assert find_checkpoint("vibe", "cmu", 1, {}, config="quick") == run.checkpoint


def test_an_unspecified_device_is_cuda_only_when_torch_sees_one(monkeypatch):
    import torch

    assert choose_device("cpu") == "cpu" and choose_device("cuda:1") == "cuda:1"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_device(None) == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device(None) == "cuda"
