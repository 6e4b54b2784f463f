"""Registers the TCN lifter with posebench through the public hook, as a third-party plugin would.

``tcn``: :class:`posebench_tcn.model.TemporalConvLifter` (joints only). Train with
``posebench train tcn --config cpu|quick|test|paper --seed 0`` (default dataset ``cmu``), by the core's
one-stage supervised trainer (:mod:`posebench.training.supervised`; ``model`` section:
:class:`~posebench_tcn.model.TcnConfig`, ``model.window`` is the training window). The window
and receptive field depend on the config, so the registered ``window`` is None (see ``posebench
models``; the config's ``model.window`` decides).
"""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import register_plugin_model


@hookimpl
def posebench_register_models(register):
    register_plugin_model(
        register, "tcn", window=None, label="TCN", outputs="joints", supervised_class="TemporalConvLifter",
        description=("Temporal-convolution 2D-to-3D lifter (VideoPose3D design): dilated 1D convs, receptive field "
                     "27/81/243, causal option, flip augmentation; joints only"),
        paper="Pavllo et al. CVPR 2019 (VideoPose3D)",
        licence="posebench re-implementation from the paper (Apache-2.0); the official VideoPose3D code is CC BY-NC")
