"""Registries of models, datasets, metrics, protocols and filters, filled by pluggy hooks.

Plugins come from the ``posebench`` entry-point group (built-ins included). A plugin
that fails to import is recorded with its error and skipped, so the rest keeps working.
Environment variables:

- ``POSEBENCH_DISABLE_PLUGINS``: comma-separated entry-point names not to load.
- ``POSEBENCH_LOAD_PLUGINS``: if set, load only these entry-point names.
"""
from __future__ import annotations

import dataclasses
import importlib.metadata as md
import os
import traceback
from dataclasses import dataclass, field
from typing import Any

import pluggy

from posebench import hookspecs, specs
from posebench.errors import PosebenchError, UnknownNameError
from posebench.versions import distribution_version

ENTRY_POINT_GROUP = "posebench"
CORE_PLUGIN = "posebench"  # the plugin name of posebench.builtins (metrics, protocols, filters)


@dataclass
class Entry:
    """One registered spec and where it came from: ``obj`` is the spec's callable or object
    (``ModelSpec.build``, ``DatasetSpec.factory``, ...), ``metadata`` its other fields."""

    name: str
    obj: Any
    plugin: str
    package: str
    version: str
    metadata: dict = field(default_factory=dict)
    spec: Any = None  # the posebench.specs dataclass registered


class Registry:
    """Name -> :class:`Entry` of one kind of spec. Registering a taken name is an error naming both plugins."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(self, spec, obj: Any = None, *, plugin: str, package: str, version: str, **metadata) -> None:
        """Add ``spec`` (a :mod:`posebench.specs` dataclass of this registry's kind); the deprecated
        form ``add(name, obj, **metadata)`` is converted with a DeprecationWarning."""
        if not isinstance(spec, specs.SPEC_TYPES[self.kind]):
            if dataclasses.is_dataclass(spec):
                raise PosebenchError(f"plugin {plugin!r} registered a {type(spec).__name__} as a {self.kind}; "
                                     f"expected a posebench.specs.{specs.SPEC_TYPES[self.kind].__name__}")
            spec = specs.spec_from_legacy(self.kind, spec, obj, stacklevel=2, **metadata)
        name = spec.entry_name()
        if not isinstance(name, str) or not name:
            raise PosebenchError(f"plugin {plugin!r} registered a {self.kind} with an invalid name {name!r}")
        if "+" in name and self.kind in ("model", "filter"):
            # "+" joins a model and its filters ("vibe+one-euro"), so it cannot be part of a name.
            raise PosebenchError(f"plugin {plugin!r} registered a {self.kind} named {name!r}: '+' is reserved "
                                 f"for MODEL+FILTER names")
        if name in self._entries:
            other = self._entries[name].plugin
            raise PosebenchError(f"{self.kind} {name!r} registered twice: by plugin {other!r} and by {plugin!r}")
        self._entries[name] = Entry(name, spec.entry_obj(), plugin, package, version, spec.entry_metadata(), spec)

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, list(self._entries)) from None

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        return [self._entries[n] for n in self.names()]


@dataclass
class PluginFailure:
    name: str
    value: str
    error: str
    traceback: str


@dataclass
class PluginInfo:
    name: str
    module: str
    package: str
    version: str
    hooks: list[str]


class PluginSystem:
    """The loaded plugins and the registries they filled."""

    def __init__(self, extra_plugins: list[tuple[str, object]] = (), load_entry_points: bool = True):
        self.pm = pluggy.PluginManager("posebench")
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self._origin: dict[str, tuple[str, str]] = {}  # plugin name -> (package, version)
        from posebench import builtins

        self._add(CORE_PLUGIN, builtins, "posebench-hmr")
        if load_entry_points:
            self._load_entry_points()
        for name, plugin in extra_plugins:
            self._add(name, plugin, getattr(plugin, "__name__", name))
        # A misspelt hook name in any plugin fails loudly here.
        self.pm.check_pending()
        self.models = Registry("model")
        self.datasets = Registry("dataset")
        self.metrics = Registry("metric")
        self.protocols = Registry("protocol")
        self.filters = Registry("filter")
        self._fill(self.models, "posebench_register_models")
        self._fill(self.datasets, "posebench_register_datasets")
        self._fill(self.metrics, "posebench_register_metrics")
        self._fill(self.protocols, "posebench_register_protocols")
        self._fill(self.filters, "posebench_register_filters")

    def _add(self, name: str, plugin: object, dist: str) -> None:
        version = distribution_version(dist)
        self.pm.register(plugin, name=name)
        self._origin[name] = (dist, version)

    def _load_entry_points(self) -> None:
        only = _env_list("POSEBENCH_LOAD_PLUGINS")
        disabled = set(_env_list("POSEBENCH_DISABLE_PLUGINS") or [])
        for ep in md.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or (only is not None and ep.name not in only):
                continue
            if self.pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take the CLI down
                self.failures.append(
                    PluginFailure(ep.name, ep.value, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                )
                continue
            dist = ep.dist.name if ep.dist is not None else ep.value
            self._add(ep.name, plugin, dist)

    def _fill(self, registry: Registry, hook_name: str) -> None:
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            plugin_name = impl.plugin_name
            package, version = self._origin.get(plugin_name, (plugin_name, "unknown"))

            def register(spec, obj=None, _p=plugin_name, _pkg=package, _v=version, **meta):
                if not isinstance(spec, specs.SPEC_TYPES[registry.kind]) and not dataclasses.is_dataclass(spec):
                    spec = specs.spec_from_legacy(registry.kind, spec, obj, stacklevel=2, **meta)
                registry.add(spec, plugin=_p, package=_pkg, version=_v)

            try:
                impl.function(register)
            except PosebenchError:
                raise
            except Exception as exc:
                self.failures.append(
                    PluginFailure(plugin_name, hook_name, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                )

    def plugin_metrics(self) -> list:
        """The metrics other plugins registered (:class:`posebench.specs.MetricSpec`): ``eval`` and
        ``score`` compute them besides the core's own, which the protocols decide."""
        return [e.spec for e in self.metrics.entries() if e.plugin != CORE_PLUGIN]

    def plugins(self) -> list[PluginInfo]:
        out = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            package, version = self._origin.get(name, ("?", "?"))
            out.append(PluginInfo(name, getattr(plugin, "__name__", repr(plugin)), package, version, hooks))
        return sorted(out, key=lambda p: p.name)

    def register_commands(self, cli) -> None:
        for impl in self.pm.hook.posebench_register_commands.get_hookimpls():
            try:
                impl.function(cli)
            except Exception as exc:
                self.failures.append(
                    PluginFailure(impl.plugin_name, "posebench_register_commands", f"{type(exc).__name__}: {exc}",
                                  traceback.format_exc())
                )


def _env_list(var: str) -> list[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


_SYSTEM: PluginSystem | None = None


def get_plugin_system() -> PluginSystem:
    """The process-wide plugin system, loaded on first use."""
    global _SYSTEM
    if _SYSTEM is None:
        _SYSTEM = PluginSystem()
    return _SYSTEM


def reset_plugin_system(system: PluginSystem | None = None) -> None:
    """Drop (or replace) the cached plugin system; tests use this."""
    global _SYSTEM
    _SYSTEM = system


def build_model(name: str, cfg: dict | None = None):
    """Instantiate a registered model: ``build_model("meva", cfg)``."""
    return get_plugin_system().models.get(name).obj(cfg)


def load_dataset(name: str, root=None, **options):
    """Instantiate a registered dataset: ``load_dataset("cmu")``, ``load_dataset("cmu", severity=2.0)``."""
    return get_plugin_system().datasets.get(name).obj(root, **options)


def get_protocol(name: str):
    """A protocol by id (``posebench-v1``) or by family name (``posebench`` -> newest version)."""
    protocols = get_plugin_system().protocols
    if name not in protocols:
        versions = [n for n in protocols.names() if n.rsplit("-v", 1)[0] == name and n.rsplit("-v", 1)[-1].isdigit()]
        if versions:
            name = max(versions, key=lambda n: int(n.rsplit("-v", 1)[1]))
    return protocols.get(name).obj
