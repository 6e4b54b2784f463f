"""Registers VIBE with posebench through the public hook, as a third-party plugin would.

- ``vibe``: the model (:class:`posebench_vibe.model.VIBE`), released sizes by default; train
  with ``posebench train vibe --dataset cmu --config cpu|quick|paper --seed 0``.
- ``vibe-test``: the same model at the tiny sizes of ``configs/vibe/test.py``, which trains in
  seconds (CI). Its config name is in the entry's ``config`` metadata.

Test-time windowing: VIBE's own evaluation is the ``"vibe"`` policy (16-frame non-overlapping
windows, tails dropped; protocol ``vibe-v1``); the posebench protocol uses ``"full"``.
"""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import register_plugin_model


@hookimpl
def posebench_register_models(register):
    register_plugin_model(
        register, "vibe", window=16, label="VIBE", test_class="VibeTest",
        description="VIBE: GRU temporal encoder -> SPIN IEF regressor, with an adversarial motion discriminator",
        paper="Kocabas et al. CVPR 2020",
        licence="posebench re-implementation (Apache-2.0); official VIBE weights are MPI non-commercial")
