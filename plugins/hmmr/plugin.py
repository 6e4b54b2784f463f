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

from posebench.hookspecs import hookimpl
from posebench.specs import register_plugin_model


@hookimpl
def posebench_register_models(register):
    register_plugin_model(
        register, "hmmr", window=20, label="HMMR", test_class="HmmrTest",
        description=("HMMR: 1D temporal ResNet (f_movie, 13-frame receptive field) -> IEF, with ±5-frame "
                     "past/future heads"),
        paper="Kanazawa et al. CVPR 2019",
        licence="posebench re-implementation (Apache-2.0); official HMMR code and weights are BSD-2 (TensorFlow)")
