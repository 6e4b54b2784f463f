"""Registers the TCN lifter with posebench through the public hook, as a third-party plugin would.

``tcn``: :class:`posebench_tcn.model.TemporalConvLifter` (joints only). Train with
``posebench train tcn --config cpu|quick|test|paper --seed 0`` (default dataset ``cmu``). The window
and receptive field depend on the config, so the registered ``window`` is None (see ``posebench
models``; the config's ``model.window`` decides).
"""
from __future__ import annotations

from pathlib import Path

from posebench.hookspecs import hookimpl

LICENCE = "posebench re-implementation from the paper (Apache-2.0); the official VideoPose3D code is CC BY-NC"
PAPER = "Pavllo et al. CVPR 2019 (VideoPose3D)"
DESCRIPTION = ("Temporal-convolution 2D-to-3D lifter (VideoPose3D design): dilated 1D convs, receptive field "
               "27/81/243, causal option, flip augmentation; joints only")


def build_tcn(cfg: dict | None = None):
    from posebench_tcn.model import build_tcn as _build

    return _build(cfg)


def train_tcn(cfg: dict, dataset_name: str, out_dir: Path, device: str = "cpu", resume: bool = False,
              stage: str = "all", seed: int = 0) -> Path:
    from posebench_tcn.train import train_tcn as _train

    return _train(cfg, dataset_name, out_dir, device=device, resume=resume, stage=stage, seed=seed)


@hookimpl
def posebench_register_models(register):
    register("tcn", build_tcn, description=DESCRIPTION, window=None, inputs=("features",), outputs="joints",
             train=train_tcn, paper=PAPER, licence=LICENCE, config="tcn/cpu")
