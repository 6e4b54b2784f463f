"""Registers VIBE with posebench through the public hook, as a third-party plugin would.

- ``vibe``: the model (:class:`posebench_vibe.model.VIBE`), released sizes by default; train
  with ``posebench train vibe --dataset cmu --config cpu|quick|paper --seed 0``.
- ``vibe-test``: the same model at the tiny sizes of ``configs/vibe/test.py``, which trains in
  seconds (CI). Its config name is in the entry's ``config`` metadata.

Test-time windowing: VIBE's own evaluation is the ``"vibe"`` policy (16-frame non-overlapping
windows, tails dropped; protocol ``vibe-v1``); the posebench protocol uses ``"full"``.
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl

LICENCE = "posebench re-implementation (Apache-2.0); official VIBE weights are MPI non-commercial"
PAPER = "Kocabas et al. CVPR 2020"
DESCRIPTION = "VIBE: GRU temporal encoder -> SPIN IEF regressor, with an adversarial motion discriminator"


def build_vibe(cfg: dict | None = None):
    from posebench_vibe.model import build_vibe as _build

    return _build(cfg)


def train_vibe(cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0) -> Path:
    from posebench_vibe.train import train_vibe as _train

    return _train(cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed)


def test_config() -> dict:
    """The whole ``configs/vibe/test.py`` config as a plain dict."""
    from posebench.config import load_config

    return load_config("vibe/test")


def build_vibe_test(cfg: dict | None = None):
    """VIBE at the test sizes; ``cfg`` (model section or whole config, ``input_dim``) overrides them."""
    from posebench_vibe.model import VibeTest, model_section

    return VibeTest({**test_config()["model"], **model_section(cfg)})


def train_vibe_test(cfg: dict | None, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
                    stage: str = "all", seed: int = 0) -> Path:
    """Trains ``vibe-test`` with ``cfg`` (``posebench train vibe-test --config vibe/test``), or the
    test config when ``cfg`` is empty."""
    from posebench_vibe.train import train_vibe as _train

    return _train(cfg or test_config(), dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed,
                  model_name="vibe-test")


@hookimpl
def posebench_register_models(register):
    register("vibe", build_vibe, description=DESCRIPTION, window=16, inputs=("features",), train=train_vibe,
             paper=PAPER, licence=LICENCE, config="vibe/cpu")
    register("vibe-test", build_vibe_test, description="VIBE at tiny sizes (configs/vibe/test.py) for CI; trains in seconds",
             window=16, inputs=("features",), train=train_vibe_test, paper=PAPER, licence=LICENCE, config="vibe/test")
