"""The ``posebench`` command line. Plugins add commands through ``posebench_register_commands``.

Every failure is one line on stderr, never a traceback: ``Error: <what, naming the file or option>``.
Exit codes: 2 for usage errors (an option or config value outside its range, an unknown name,
click's own parsing errors), 1 for data errors and failed runs.
"""
from __future__ import annotations

import sys

import click

from posebench.errors import PosebenchError


class OneLineError(click.ClickException):
    """A ClickException with the exit code of the error it reports; its message is one line."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(" ".join(str(message).split("\n")))
        self.exit_code = exit_code


def _usage_line(exc: click.UsageError) -> str:
    command = exc.ctx.command_path if exc.ctx is not None else "posebench"
    return f"{exc.format_message()} (see '{command} --help')"


class PosebenchGroup(click.Group):
    """Turns posebench errors and click's usage errors into one clear line instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PosebenchError as exc:
            raise OneLineError(str(exc), getattr(exc, "exit_code", 1)) from exc
        except click.UsageError as exc:  # click would print the usage block and a hint: three lines
            raise OneLineError(_usage_line(exc), exc.exit_code) from exc


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
