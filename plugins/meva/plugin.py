"""Registers MEVA with posebench through the public hook, as a third-party plugin would.

- ``meva``: the model (:class:`posebench_meva.model.MEVA`), released sizes by default;
  train with ``posebench train meva --config cpu|quick|paper [--stage vae|e2e|all]``.
- ``meva-test``: the same model at the tiny sizes of ``configs/meva/test.py``, which trains in
  seconds (CI). Its config name is in the entry's ``config`` metadata.
"""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import ModelSpec, lazy, register_with_test_twin

LICENCE = "posebench re-implementation (Apache-2.0); official MEVA weights are CMU non-commercial"
PAPER = "Luo et al. ACCV 2020"
DESCRIPTION = "MEVA: GRU features -> VAE motion prior (VME) -> residual IEF refinement (MRR)"


@hookimpl
def posebench_register_models(register):
    spec = ModelSpec("meva", lazy("posebench_meva.model:build_meva"), train=lazy("posebench_meva.train:train_meva"),
                     window=90, config="meva/cpu", description=DESCRIPTION, paper=PAPER, licence=LICENCE)
    register_with_test_twin(register, spec, test_model=lazy("posebench_meva.model:MevaTest"), test_config="meva/test",
                            label="MEVA")
