"""Training logs: ``metrics.csv`` (always), TensorBoard events (when installed), a text log.

``metrics.csv`` has one row per logged event with a ``step`` and a ``split`` column ("train",
"val"); a new metric name widens the header (the file is rewritten atomically). Floats are
written with ``repr`` so reading them back gives the same numbers (exact resume checks).
"""
from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

from posebench.errors import DataFormatError
from posebench.io import atomic_path

LOGGER_NAME = "posebench.training"


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def _fmt(v) -> str:
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _parse(v: str):
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


class MetricsLogger:
    """Append metric rows to ``<out_dir>/metrics.csv`` and (optionally) TensorBoard.

    ``enabled=False`` (non-zero DDP ranks) makes every method a no-op.
    """

    def __init__(self, out_dir: str | Path, enabled: bool = True, tensorboard: bool = True):
        self.out_dir = Path(out_dir)
        self.enabled = enabled
        self.path = self.out_dir / "metrics.csv"
        self.rows: list[dict] = []
        self.header: list[str] = ["step", "split"]
        self._tb = None
        self._file_handler = None
        if not enabled:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if self.path.is_file():
            self.rows = read_metrics(self.path)
            for row in self.rows:
                self.header += [k for k in row if k not in self.header]
        self._file_handler = logging.FileHandler(self.out_dir / "train.log")
        self._file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        get_logger().addHandler(self._file_handler)
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(self.out_dir / "tb"))
            except ImportError:
                get_logger().info("tensorboard is not installed: writing metrics.csv only")

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (a resumed run redoes those steps)."""
        if not self.enabled:
            return
        self.rows = [r for r in self.rows if int(r["step"]) <= step]
        self._rewrite()

    def log(self, step: int, split: str, values: dict[str, float]) -> dict:
        row = {"step": int(step), "split": split, **{k: float(v) for k, v in values.items()}}
        if not self.enabled:
            return row
        self.rows.append(row)
        new = [k for k in row if k not in self.header]
        if new or not self.path.is_file():
            self.header += new
            self._rewrite()
        else:
            with open(self.path, "a", newline="") as f:
                csv.DictWriter(f, self.header).writerow({k: _fmt(v) for k, v in row.items()})
                f.flush()
        if self._tb is not None:
            for k, v in values.items():
                if math.isfinite(float(v)):
                    self._tb.add_scalar(f"{split}/{k}", float(v), step)
            self._tb.flush()
        return row

    def _rewrite(self) -> None:
        with atomic_path(self.path) as tmp:
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, self.header)
                writer.writeheader()
                for r in self.rows:
                    writer.writerow({k: _fmt(v) for k, v in r.items()})

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None
        if self._file_handler is not None:
            get_logger().removeHandler(self._file_handler)
            self._file_handler.close()
            self._file_handler = None


def read_metrics(path: str | Path) -> list[dict]:
    """Rows of a ``metrics.csv`` as dicts (empty cells dropped, numbers parsed).

    A file that is not one (a resume finds it damaged or foreign) raises a DataFormatError
    naming the file and line, instead of a KeyError deep in the resume.
    """
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or reader.fieldnames[:2] != ["step", "split"]:
                raise DataFormatError(path, f"not a posebench metrics.csv: the header must start with step,split "
                                            f"(got {reader.fieldnames})", line=1)
            for row in reader:
                if None in row:
                    raise DataFormatError(path, "more cells than header columns", line=reader.line_num)
                parsed = {k: _parse(v) for k, v in row.items() if v not in ("", None)}
                if not isinstance(parsed.get("step"), int) or parsed["step"] < 0 or not parsed.get("split"):
                    raise DataFormatError(path, f"step must be an integer >= 0 and split non-empty, got "
                                                f"step={row.get('step')!r} split={row.get('split')!r}",
                                          line=reader.line_num)
                rows.append(parsed)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFormatError(path, f"not a readable metrics.csv ({type(exc).__name__}: {exc})") from None
    return rows
