"""Post-hoc filters on a model's per-track output, named ``MODEL+FILTER`` wherever models are named.

::

    posebench eval --models vibe,vibe+one-euro,mlp+savgol --cfg-options "filters.savgol.window=11"

Filters are plugins (hook ``posebench_register_filters``, :mod:`posebench.hookspecs`); the
built-ins are ``savgol``, ``one-euro`` and ``gaussian`` (:mod:`posebench.filters.builtin`).
Parameters come from, in increasing priority: the filter's registered defaults, the
``filters`` section of the model's config (``filters = dict(savgol=dict(window=11))``), and
``--cfg-options filters.NAME.PARAM=VALUE``. The harness applies the filter after stitching,
per track (:func:`posebench.evaluation.predict_track`'s ``track_filter``); how joints and
rotations are filtered is in :mod:`posebench.filters.apply`.
"""
from __future__ import annotations

from dataclasses import dataclass

from posebench.errors import ConfigError, PosebenchError
from posebench.filters.apply import FilterChain, ConfiguredFilter, covered_runs, sign_continuous

SEPARATOR = "+"


@dataclass(frozen=True)
class FilteredModel:
    """``"vibe+one-euro"`` resolved: the label it is reported under, the model, its filters (or None)."""

    label: str
    model: str
    track_filter: FilterChain | None = None

    def describe(self) -> dict:
        return {"model": self.model, "filters": self.track_filter.describe() if self.track_filter else []}


def split_model_name(name: str) -> tuple[str, list[str]]:
    """``"vibe+one-euro"`` -> ``("vibe", ["one-euro"])``; ``"vibe"`` -> ``("vibe", [])``."""
    parts = [p.strip() for p in str(name).split(SEPARATOR)]
    if not parts[0] or any(not p for p in parts[1:]):
        raise PosebenchError(f"model name {name!r}: expected MODEL or MODEL+FILTER (e.g. vibe+one-euro)")
    return parts[0], parts[1:]


def base_model_name(name: str) -> str:
    """The model of ``"MODEL+FILTER"`` (``"vibe+one-euro"`` -> ``"vibe"``)."""
    return split_model_name(name)[0]


def filter_options_from(cfg_options: list[str] | tuple[str, ...] | dict | None) -> dict[str, dict]:
    """``["filters.savgol.window=11", ...]`` (``--cfg-options``) -> ``{"savgol": {"window": 11}}``;
    a dict already in that nested form is returned as is."""
    from posebench.config import parse_cfg_options

    if isinstance(cfg_options, dict) and all(isinstance(v, dict) for v in cfg_options.values()):
        return {str(k): dict(v) for k, v in cfg_options.items()}  # already {filter: {param: value}}
    items = [part for value in (cfg_options or ()) for part in str(value).split()] \
        if not isinstance(cfg_options, dict) else cfg_options
    out: dict[str, dict] = {}
    for key, value in parse_cfg_options(items).items():
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "filters":
            raise ConfigError(f"--cfg-options {key!r}: here only filter parameters are accepted, as "
                                 f"filters.NAME.PARAM=VALUE (e.g. filters.savgol.window=11)")
        out.setdefault(parts[1], {})[parts[2]] = value
    return out


def merge_filter_options(*layers: dict | None) -> dict[str, dict]:
    """Later ``{filter: {param: value}}`` layers override earlier ones, parameter by parameter."""
    out: dict[str, dict] = {}
    for layer in layers:
        for name, params in (layer or {}).items():
            if not isinstance(params, dict):
                raise ConfigError(f"filter options for {name!r} must be a dict of parameters, got {params!r}")
            out.setdefault(name, {}).update(params)
    return out


def get_filter(name: str, options: dict | None = None, *, registry) -> ConfiguredFilter:
    """Filter ``name`` of ``registry`` (the plugin system's ``filters``, passed in by the caller, which
    resolves names) with its defaults overridden by ``options`` (``{param: value}``)."""
    entry = registry.get(name)
    defaults = dict(entry.metadata.get("defaults") or {})
    options = dict(options or {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ConfigError(f"filter {name!r}: unknown parameters {unknown}; known: {sorted(defaults)}")
    return ConfiguredFilter(name=name, fn=entry.obj, params={**defaults, **options}, plugin=entry.plugin)


def resolve_model_name(name: str, options: dict | None = None, *, registry) -> FilteredModel:
    """``"mlp+savgol"`` -> FilteredModel(label, model, FilterChain) with each filter (from ``registry``) taking
    its parameters from ``options`` (``{filter: {param: value}}``). Unknown filters fail with close
    matches; the caller checks the model name."""
    model, filters = split_model_name(name)
    options = options or {}
    chain = FilterChain(tuple(get_filter(f, options.get(f), registry=registry) for f in filters)) if filters else None
    return FilteredModel(label=str(name).strip(), model=model, track_filter=chain)


def _config_filter_options(model: str, config: str | None, default_config: str | None) -> dict:
    """The ``filters`` section of ``model``'s config (``config`` name or file; None = ``default_config``),
    or {} when the model has no such config file."""
    from posebench.config import config_target, load_config, resolve_config_path

    try:
        path = resolve_config_path(config_target(model, config, default_config))
    except PosebenchError:
        return {}
    return dict(load_config(path).get("filters") or {})


def resolve_model_names(names: list[str], config: str | None = None,
                        cfg_options: list[str] | tuple[str, ...] | dict | None = None, *,
                        registry, default_configs: dict[str, str | None] | None = None) -> dict[str, FilteredModel]:
    """``{name: FilteredModel}`` for the ``--models`` of ``posebench eval``/``compare``: each filter (from
    ``registry``) takes its defaults, then the ``filters`` section of the model's config (``config``, or
    the model's default config: ``default_configs[model]``, its ``ModelSpec.config``, looked up by the
    caller), then ``cfg_options`` (``filters.NAME.PARAM=VALUE``)."""
    overrides = filter_options_from(cfg_options)
    default_configs = default_configs or {}
    specs = {}
    for name in names:
        model, filters = split_model_name(name)
        from_config = _config_filter_options(model, config, default_configs.get(model)) if filters else {}
        specs[name] = resolve_model_name(name, merge_filter_options(from_config, overrides), registry=registry)
    return specs


__all__ = ["ConfiguredFilter", "FilterChain", "FilteredModel", "base_model_name", "covered_runs", "filter_options_from",
           "get_filter", "merge_filter_options", "resolve_model_name", "resolve_model_names", "sign_continuous", "split_model_name"]
