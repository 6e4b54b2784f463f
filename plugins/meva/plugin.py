"""Registers MEVA with posebench through the public hook, as a third-party plugin would.

- ``meva``: the model (:class:`posebench_meva.model.MEVA`), released sizes by default;
  train with ``posebench train meva --config cpu|quick|paper [--stage vae|e2e|all]``.
- ``meva-test``: the same model at the tiny sizes of ``configs/meva/test.py``, which trains in
  seconds (CI). Its config name is in the entry's ``config`` metadata.
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl

LICENCE = "posebench re-implementation (Apache-2.0); official MEVA weights are CMU non-commercial"
PAPER = "Luo et al. ACCV 2020"


def build_meva(cfg: dict | None = None):
    from posebench_meva.model import build_meva as _build

    return _build(cfg)


def train_meva(cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
               stage: str = "all", seed: int = 0) -> Path:
    from posebench_meva.train import train_meva as _train

    return _train(cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed)


def test_config() -> dict:
    """The whole ``configs/meva/test.py`` config as a plain dict."""
    from posebench.config import load_config

    return load_config("meva/test")


def build_meva_test(cfg: dict | None = None):
    """MEVA at the test sizes; ``cfg`` (model section or whole config) overrides them."""
    from posebench_meva.model import MevaTest

    cfg = dict(cfg or {})
    if isinstance(cfg.get("model"), dict):
        cfg = dict(cfg["model"])
    return MevaTest({**test_config()["model"], **cfg})


def train_meva_test(cfg: dict | None, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
                    stage: str = "all", seed: int = 0) -> Path:
    """Trains ``meva-test`` with ``cfg`` (``posebench train meva-test --config meva/test``), or
    the test config when ``cfg`` is empty."""
    from posebench_meva.train import train_meva as _train

    return _train(cfg or test_config(), dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed,
                  model_name="meva-test")


@hookimpl
def posebench_register_models(register):
    register(
        "meva", build_meva,
        description="MEVA: GRU features -> VAE motion prior (VME) -> residual IEF refinement (MRR)",
        window=90, inputs=("features",), train=train_meva, paper=PAPER, licence=LICENCE, config="meva/cpu",
    )  # fmt: skip
    register(
        "meva-test", build_meva_test,
        description="MEVA at tiny sizes (configs/meva/test.py) for CI; trains in seconds",
        window=90, inputs=("features",), train=train_meva_test, paper=PAPER, licence=LICENCE, config="meva/test",
    )  # fmt: skip
