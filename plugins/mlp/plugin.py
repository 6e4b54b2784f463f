"""Registers the per-frame MLP lifter with posebench through the public hook, as a third-party plugin would.

``mlp``: :class:`posebench_mlp.model.MlpLifter` (joints only, no temporal context). Train with
``posebench train mlp --config cpu|quick|test|paper --seed 0`` (default dataset ``cmu``).
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl

LICENCE = "posebench re-implementation from the paper (Apache-2.0)"
PAPER = "Martinez et al. ICCV 2017 (a simple yet effective baseline)"
DESCRIPTION = ("Per-frame 2D-to-3D lifter (Martinez et al.): linear 1024 + 2 residual blocks (linear, BN, ReLU, "
               "dropout) x2; no temporal context; joints only")


def build_mlp(cfg: dict | None = None):
    from posebench_mlp.model import build_mlp as _build

    return _build(cfg)


def train_mlp(cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
              stage: str = "all", seed: int = 0) -> Path:
    from posebench_mlp.train import train_mlp as _train

    return _train(cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed)


@hookimpl
def posebench_register_models(register):
    register("mlp", build_mlp, description=DESCRIPTION, window=None, inputs=("features",), outputs="joints",
             train=train_mlp, paper=PAPER, licence=LICENCE, config="mlp/cpu")
