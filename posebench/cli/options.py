"""Options shared by several commands."""
from __future__ import annotations

import click

from posebench.errors import PosebenchError


def split_csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_seeds(value: str) -> list[int]:
    try:
        return [int(s) for s in split_csv(value)]
    except ValueError:
        raise click.BadParameter(f"seeds must be comma-separated integers, got {value!r}") from None


def parse_assignments(values: tuple[str, ...], what: str) -> dict[str, str]:
    """``("meva=path", ...)`` -> ``{"meva": "path"}``."""
    out = {}
    for item in values:
        if "=" not in item:
            raise PosebenchError(f"{what} must look like NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


device_option = click.option("--device", envvar="POSEBENCH_DEVICE", default=None,
                             help="cuda or cpu (default: cuda when available). Env: POSEBENCH_DEVICE.")
