"""Exceptions with messages that name the file, sequence and field at fault."""
from __future__ import annotations

import difflib


class PosebenchError(Exception):
    """Base class: every error posebench raises on purpose is one of these.

    The command line prints it as one line and exits with ``exit_code``: 1 (bad data, a failed
    run); :class:`UsageError` and its subclasses use 2, like click's own usage errors.
    """

    exit_code = 1


class UsageError(PosebenchError, ValueError):
    """A command-line option or config value outside what it accepts (names the option and the range)."""

    exit_code = 2


class UnknownNameError(PosebenchError, KeyError):
    """A model, dataset, metric or protocol name that nothing registered (a usage error: exit code 2)."""

    exit_code = 2

    def __init__(self, kind: str, name: str, known: list[str]):
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        msg = f"unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(sorted(known)) or '(none)'}"
        super().__init__(msg)
        self.kind, self.name, self.known = kind, name, known

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class DataFormatError(PosebenchError, ValueError):
    """A data file that does not follow its format: names the file, line or field."""

    def __init__(self, path, message: str, *, line: int | None = None, field: str | None = None):
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.field = path, line, field


class ShapeError(PosebenchError, ValueError):
    """An array whose shape, dtype or values break a documented contract."""


class MissingBodyModelError(PosebenchError, FileNotFoundError):
    """SMPL model files were asked for but are not where posebench looked."""


class CheckpointError(PosebenchError, ValueError):
    """A checkpoint that does not belong to the model it is loaded into."""


class ConfigError(UsageError):
    """A config file or ``--cfg-options`` value that cannot be used: not found, unsafe YAML, bad ``_base_``."""
