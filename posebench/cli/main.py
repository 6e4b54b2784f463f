"""The ``posebench`` command line. Plugins add commands through ``posebench_register_commands``."""
from __future__ import annotations

import sys

import click

from posebench.errors import PosebenchError


class PosebenchGroup(click.Group):
    """Turns posebench errors into one clear line instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PosebenchError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=PosebenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="posebench-hmr", prog_name="posebench")
def cli():
    """Train and benchmark video 3D human pose estimators under declared protocols."""


def _add_builtin_commands() -> None:
    from posebench.cli import compare, data, demo, evaluate, listing, train

    for module in (listing, data, train, evaluate, compare, demo):
        module.register(cli)


_add_builtin_commands()


def main(argv: list[str] | None = None) -> None:
    from posebench.registry import get_plugin_system

    system = get_plugin_system()
    system.register_commands(cli)
    for failure in system.failures:
        click.echo(f"warning: plugin {failure.name!r} ({failure.value}) failed to load: {failure.error}", err=True)
    cli.main(args=argv, prog_name="posebench")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
