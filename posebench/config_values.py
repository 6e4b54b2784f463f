"""Config values checked against their dataclass field, so a bad value is one named error.

``check_values(section, given, Dataclass)`` runs where every config section is read
(:func:`posebench.config.check_keys`). From each field's annotation and default:

- ``int``: an integer (not a bool, not 2.5, not "abc"), >= 1 when the default is >= 1 (sizes,
  counts, steps), else >= 0; ``field(metadata={"min": m})`` sets another lower bound;
- ``float``: a finite number (not nan/inf), >= 0 when the default is >= 0; a ``*dropout*``
  field also <= 1;
- ``bool`` / ``str``: that type; ``X | None``: also None.

Other annotations (dicts, tuples, nested sections) are left to their own readers.
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


def check_values(section: str, given: dict, dataclass_type) -> dict:
    """``given`` (keys already checked) after checking each value against its field; returns it."""
    by_name = {f.name: f for f in dataclasses.fields(dataclass_type)}
    for name, value in given.items():
        if name in by_name:
            _check(section, by_name[name], value)
    return given
