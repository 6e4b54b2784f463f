"""Entry points that take names, for the CLI and users' scripts: each resolves the names through the
registry (the edge of docs/architecture.md) and hands objects to the layers below, which never
look a name up themselves (tests/test_layers.py).
"""
from __future__ import annotations

from pathlib import Path

from posebench.registry import build_model, get_plugin_system, get_protocol, load_dataset


def default_config(model: str) -> str | None:
    """The registered default config of ``model`` (``ModelSpec.config``, e.g. ``"meva/test"`` for
    ``meva-test``), or None for a model registered without one; an unknown name fails with close matches."""
    return get_plugin_system().models.get(model).metadata.get("config")


def open_dataset(name: str, cfg: dict):
    """The registered dataset ``name``, built with ``cfg["dataset_options"][name]`` as keyword arguments."""
    from posebench.training.data import dataset_options

    return load_dataset(name, **dataset_options(name, cfg))


def validation_protocol(cfg: dict):
    """The Protocol that training with config ``cfg`` validates under (``train.protocol``)."""
    from posebench.training.loop import TrainConfig

    return get_protocol((cfg.get("train") or {}).get("protocol", TrainConfig.protocol))


def load_trained_model(path: str | Path, device: str, model_name: str | None = None):
    """The registered model in checkpoint ``path`` on ``device``, in eval mode (see
    :func:`posebench.runs.load_trained_model`)."""
    from posebench.runs import load_trained_model as load

    return load(Path(path), device, model_name, build=build_model)


def run_eval(models: list[str], dataset: str, *, protocol="posebench", config: str | None = None,
             filter_options: list[str] | dict | None = None, dataset_kwargs: dict | None = None, **options):
    """:func:`posebench.benchmarking.run_eval` by names: ``models`` (``MODEL`` or ``MODEL+FILTER``),
    ``dataset`` and ``protocol`` (a name or a Protocol) are resolved here; unknown models and filters fail
    before any work, with close matches. ``options``: the rest of ``benchmarking.run_eval``'s keywords."""
    from posebench.benchmarking import run_eval as evaluate_models
    from posebench.filters import base_model_name, resolve_model_names
    from posebench.metrics.protocols import Protocol

    system = get_plugin_system()
    defaults = {base_model_name(name): default_config(base_model_name(name)) for name in models}
    specs = resolve_model_names(list(models), config, filter_options, registry=system.filters,
                                default_configs=defaults)
    proto = protocol if isinstance(protocol, Protocol) else get_protocol(protocol)
    return evaluate_models(specs, load_dataset(dataset, **(dataset_kwargs or {})), dataset_name=dataset,
                           protocol=proto, build=build_model, default_configs=defaults, config=config,
                           extra_metrics=system.plugin_metrics(), **options)
