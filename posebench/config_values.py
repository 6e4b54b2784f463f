"""Config values checked against their dataclass field, so a bad value is one named error.

``check_values(section, given, Dataclass)`` runs where every config section is read
(:func:`posebench.config.check_keys`). From each field's annotation and default:

- ``int``: an integer (not a bool, not 2.5, not "abc"), >= 1 when the default is >= 1 (sizes,
  counts, steps), else >= 0; ``field(metadata={"min": m})`` sets another lower bound;
- ``float``: a finite number (not nan/inf), >= 0 when the default is >= 0; a ``*dropout*``
  field also <= 1;
- ``bool`` / ``str``: that type; ``X | None``: also None;
- ``tuple[int, ...]`` / ``tuple[float, ...]`` / ``tuple[str, ...]`` (or a fixed length such as
  ``tuple[float, float]``): a list or tuple of such values (a config file writes lists), returned
  as a tuple of that type.

Other annotations (dicts, nested sections) are left to their own readers.
"""
from __future__ import annotations

import dataclasses
import math
import numbers

from posebench.errors import ConfigError

_KINDS = {"int", "float", "bool", "str", "None"}


def _kinds(field: dataclasses.Field) -> set[str] | None:
    annotation = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
    kinds = {part.strip() for part in str(annotation).replace("Optional[", "").rstrip("]").split("|")}
    return kinds if kinds <= _KINDS else None


def _default(field: dataclasses.Field):
    return None if field.default is dataclasses.MISSING else field.default


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _check(section: str, field: dataclasses.Field, value) -> None:
    kinds = _kinds(field)
    if kinds is None:
        return
    default = _default(field)
    int_low = field.metadata.get("min", 1 if _is_int(default) and default >= 1 else 0)
    float_low = field.metadata.get("min", 0 if _is_real(default) and default >= 0 else None)
    float_high = field.metadata.get("max", 1 if "dropout" in field.name else None)
    if value is None and "None" in kinds:
        return
    if "bool" in kinds and isinstance(value, bool):
        return
    if "str" in kinds and isinstance(value, str):
        return
    if "int" in kinds and _is_int(value) and value >= int_low:
        return
    if ("float" in kinds and _is_real(value) and (float_low is None or value >= float_low)
            and (float_high is None or value <= float_high)):
        return
    float_bounds = " and ".join(b for b in (f">= {float_low:g}" if float_low is not None else "",
                                            f"<= {float_high:g}" if float_high is not None else "") if b)
    wanted = {"int": f"an integer >= {int_low}", "float": f"a finite number {float_bounds}".rstrip(),
              "bool": "True or False", "str": "a string", "None": "None"}
    if "int" in kinds and "float" in kinds:
        wanted.pop("int")
    accepted = " or ".join(wanted[k] for k in ("int", "float", "bool", "str", "None") if k in kinds and k in wanted)
    raise ConfigError(f"{section}: {field.name} must be {accepted}, got {value!r}")


_TUPLE_ITEMS = {"int": (_is_int, int, "integers"), "float": (_is_real, float, "finite numbers"),
                "str": (lambda v: isinstance(v, str), str, "strings")}


def _tuple_spec(field: dataclasses.Field) -> tuple[str, int | None] | None:
    """("int" | "float" | "str", fixed length or None) for a ``tuple[...]`` annotation, else None."""
    annotation = str(field.type).replace(" ", "")
    if not (annotation.startswith("tuple[") and annotation.endswith("]")):
        return None
    items = annotation[len("tuple["):-1].split(",")
    if items[-1] == "...":
        return (items[0], None) if len(items) == 2 and items[0] in _TUPLE_ITEMS else None
    return (items[0], len(items)) if len(set(items)) == 1 and items[0] in _TUPLE_ITEMS else None


def _as_tuple(section: str, field: dataclasses.Field, value, item: str, length: int | None) -> tuple:
    ok, cast, plural = _TUPLE_ITEMS[item]
    if (not isinstance(value, (list, tuple)) or not all(ok(v) for v in value)
            or (length is not None and len(value) != length)):
        size = f"{length} " if length is not None else ""
        raise ConfigError(f"{section}: {field.name} must be a list of {size}{plural}, got {value!r}")
    return tuple(cast(v) for v in value)


def check_values(section: str, given: dict, dataclass_type) -> dict:
    """``given`` (keys already checked) after checking each value against its field; returns it,
    with list values of ``tuple[...]`` fields as tuples."""
    by_name = {f.name: f for f in dataclasses.fields(dataclass_type)}
    for name, value in given.items():
        if name not in by_name:
            continue
        spec = _tuple_spec(by_name[name])
        if spec is not None:
            given[name] = _as_tuple(section, by_name[name], value, *spec)
        else:
            _check(section, by_name[name], value)
    return given
