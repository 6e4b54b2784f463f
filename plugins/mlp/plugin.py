"""Registers the per-frame MLP lifter with posebench through the public hook, as a third-party plugin would.

``mlp``: :class:`posebench_mlp.model.MlpLifter` (joints only, no temporal context). Train with
``posebench train mlp --config cpu|quick|test|paper --seed 0`` (default dataset ``cmu``), by the core's
one-stage supervised trainer (:mod:`posebench.training.supervised`; ``model`` section:
:class:`~posebench_mlp.model.MlpConfig`).
"""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import register_plugin_model


@hookimpl
def posebench_register_models(register):
    register_plugin_model(
        register, "mlp", window=None, label="MLP", outputs="joints", supervised_class="MlpLifter",
        description=("Per-frame 2D-to-3D lifter (Martinez et al.): linear 1024 + 2 residual blocks (linear, BN, "
                     "ReLU, dropout) x2; no temporal context; joints only"),
        paper="Martinez et al. ICCV 2017 (a simple yet effective baseline)",
        licence="posebench re-implementation from the paper (Apache-2.0)")
