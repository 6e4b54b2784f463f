"""The core's own plugin: built-in metrics, protocols and filters, registered like any other."""
from __future__ import annotations

from posebench.hookspecs import hookimpl
from posebench.specs import FilterSpec, MetricSpec, ProtocolSpec


@hookimpl
def posebench_register_metrics(register):
    from posebench.metrics import functional as F

    for name, fn, unit in F.REGISTERED_METRICS:
        register(MetricSpec(name, fn, unit=unit))


@hookimpl
def posebench_register_protocols(register):
    from posebench.metrics.protocols import BUILTIN_PROTOCOLS

    for protocol in BUILTIN_PROTOCOLS:
        register(ProtocolSpec.of(protocol))


@hookimpl
def posebench_register_filters(register):
    from posebench.filters.builtin import BUILTIN_FILTERS

    for name, fn, defaults, description in BUILTIN_FILTERS:
        register(FilterSpec(name, fn, defaults=dict(defaults), description=description))
