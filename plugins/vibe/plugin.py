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
from posebench.specs import ModelSpec, lazy, register_with_test_twin

LICENCE = "posebench re-implementation (Apache-2.0); official VIBE weights are MPI non-commercial"
PAPER = "Kocabas et al. CVPR 2020"
DESCRIPTION = "VIBE: GRU temporal encoder -> SPIN IEF regressor, with an adversarial motion discriminator"


@hookimpl
def posebench_register_models(register):
    spec = ModelSpec("vibe", lazy("posebench_vibe.model:build_vibe"), train=lazy("posebench_vibe.train:train_vibe"),
                     window=16, config="vibe/cpu", description=DESCRIPTION, paper=PAPER, licence=LICENCE)
    register_with_test_twin(register, spec, test_model=lazy("posebench_vibe.model:VibeTest"), test_config="vibe/test",
                            label="VIBE")
