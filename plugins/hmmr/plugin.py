"""Registers HMMR with posebench through the public hook, as a third-party plugin would.

- ``hmmr``: the model (:class:`posebench_hmmr.model.HMMR`), HMMR's sizes by default; train with
  ``posebench train hmmr --dataset cmu --config cpu|quick|paper --seed 0``.
- ``hmmr-test``: the same model at the tiny sizes of ``configs/hmmr/test.py``, which trains in
  seconds (CI). Its config name is in the entry's ``config`` metadata.

Test-time windowing: HMMR's own evaluation is the ``"hmmr"`` policy (20-frame windows sliding
by 8, keeping the middle 8, 6-frame padding), chosen by the protocol ``hmmr-v1``; under the posebench
protocol the ``"full"`` policy is used like for every model.
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl

LICENCE = "posebench re-implementation (Apache-2.0); official HMMR code and weights are BSD-2 (TensorFlow)"
PAPER = "Kanazawa et al. CVPR 2019"
DESCRIPTION = "HMMR: 1D temporal ResNet (f_movie, 13-frame receptive field) -> IEF, with ±5-frame past/future heads"


def build_hmmr(cfg: dict | None = None):
    from posebench_hmmr.model import build_hmmr as _build

    return _build(cfg)


def train_hmmr(cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0) -> Path:
    from posebench_hmmr.train import train_hmmr as _train

    return _train(cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed)


def test_config() -> dict:
    """The whole ``configs/hmmr/test.py`` config as a plain dict."""
    from posebench.config import load_config

    return load_config("hmmr/test")


def build_hmmr_test(cfg: dict | None = None):
    """HMMR at the test sizes; ``cfg`` (model section or whole config, ``input_dim``) overrides them."""
    from posebench_hmmr.model import HmmrTest, model_section

    return HmmrTest({**test_config()["model"], **model_section(cfg)})


def train_hmmr_test(cfg: dict | None, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
                    stage: str = "all", seed: int = 0) -> Path:
    """Trains ``hmmr-test`` with ``cfg`` (``posebench train hmmr-test --config hmmr/test``), or the
    test config when ``cfg`` is empty."""
    from posebench_hmmr.train import train_hmmr as _train

    return _train(cfg or test_config(), dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed,
                  model_name="hmmr-test")


@hookimpl
def posebench_register_models(register):
    register("hmmr", build_hmmr, description=DESCRIPTION, window=20, inputs=("features",), train=train_hmmr,
             paper=PAPER, licence=LICENCE, config="hmmr/cpu")
    register("hmmr-test", build_hmmr_test, description="HMMR at tiny sizes (configs/hmmr/test.py) for CI; trains in seconds",
             window=20, inputs=("features",), train=train_hmmr_test, paper=PAPER, licence=LICENCE, config="hmmr/test")
