"""Options shared by several commands, each checked with the accepted values named (exit code 2)."""
from __future__ import annotations

import click

from posebench.errors import PosebenchError, UsageError
from posebench.training.seeding import MAX_SEED


def split_csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def parse_models(value: str | None, option: str = "--models") -> list[str]:
    """``"meva, vibe"`` -> ``["meva", "vibe"]``; at least one name, no repeats."""
    names = split_csv(value)
    if not names:
        raise UsageError(f"{option} must name at least one model (comma-separated, e.g. meva,vibe), got {value!r}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(f"{option} names {', '.join(repeated)} more than once")
    return names


def parse_seeds(value: str | None, option: str = "--seeds") -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``; at least one seed, each in 0..2**32-1, no repeats."""
    items = split_csv(value)
    if not items:
        raise UsageError(f"{option} must name at least one seed (comma-separated integers in 0..{MAX_SEED}), "
                         f"got {value!r}")
    try:
        seeds = [int(s) for s in items]
    except ValueError:
        raise UsageError(f"{option} must be comma-separated integers in 0..{MAX_SEED}, got {value!r}") from None
    bad = [s for s in seeds if not 0 <= s <= MAX_SEED]
    if bad:
        raise UsageError(f"{option}: seeds must be in 0..{MAX_SEED}, got {bad[0]}")
    if len(set(seeds)) != len(seeds):
        raise UsageError(f"{option} repeats a seed: {value!r}")
    return seeds


def parse_assignments(values: tuple[str, ...], what: str) -> dict[str, str]:
    """``("meva=path", ...)`` -> ``{"meva": "path"}``."""
    out = {}
    for item in values:
        if "=" not in item or not item.split("=", 1)[0].strip() or not item.split("=", 1)[1].strip():
            raise UsageError(f"{what} must look like NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


class DeviceType(click.ParamType):
    """``cpu``, ``cuda``, ``cuda:N`` or ``mps``, available on this machine (see :func:`posebench.devices.check_device`)."""

    name = "device"

    def convert(self, value, param, ctx):
        from posebench.devices import check_device

        if value is None:
            return None
        try:
            return check_device(value, option="--device")
        except PosebenchError as exc:
            self.fail(str(exc).removeprefix("--device "), param, ctx)


device_option = click.option("--device", envvar="POSEBENCH_DEVICE", default=None, type=DeviceType(),
                             help="cpu, cuda, cuda:N or mps (default: cuda when available). Env: POSEBENCH_DEVICE.")

seed_option = click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED),
                           help=f"Random seed (0..{MAX_SEED}): fixes the initial weights and the data order.")
