"""Registers MEVA with posebench through the public hook, as a third-party plugin would.

- ``meva``: the model (:class:`posebench_meva.model.MEVA`), released sizes by default;
  train with ``posebench train meva --config cpu|quick|paper [--stage vae|e2e|all]``.
- ``meva-test``: the same model at the tiny sizes of ``configs/meva/test.py``, which trains in
  seconds (CI). Its config name is in the entry's ``config`` metadata.
"""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import register_plugin_model


@hookimpl
def posebench_register_models(register):
    register_plugin_model(
        register, "meva", window=90, label="MEVA", test_class="MevaTest",
        description="MEVA: GRU features -> VAE motion prior (VME) -> residual IEF refinement (MRR)",
        paper="Luo et al. ACCV 2020",
        licence="posebench re-implementation (Apache-2.0); official MEVA weights are CMU non-commercial")
