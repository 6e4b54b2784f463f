"""Results tables and files: one long-format table, printed with tabulate, saved as CSV/JSON.

An output folder (``eval --out DIR``) is one set, written in a temporary folder and swapped in
whole (:func:`output_set`): a kill never leaves new files beside old ones.

Every results file carries its provenance: posebench version, git hash, torch version,
protocol id and definition, dataset file hashes, checkpoints and seeds.
"""
from __future__ import annotations

import platform
import subprocess
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd
from tabulate import tabulate

from posebench import io
from posebench.errors import UsageError
from posebench.locking import folder_lock
from posebench.versions import distribution_version

# Metric display order, with the direction that is better and the unit.
METRIC_INFO = {
    "mpjpe": ("MPJPE", "mm"),
    "pa_mpjpe": ("PA-MPJPE", "mm"),
    "acc_err": ("ACC-ERR", "mm/frame²"),
    "accel": ("ACCEL", "mm/frame²"),
    "vel_err": ("VEL-ERR", "mm/frame"),
    "pve": ("PVE", "mm"),
}


def git_hash() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(**extra) -> dict:
    import torch

    info = {
        "posebench_version": distribution_version(),
        "git_hash": git_hash(),
        "torch_version": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    info.update(extra)
    return info


def summary_rows(model: str, dataset: str, protocol_id: str, summaries: list[dict], extra_metrics=()) -> list[dict]:
    """Long-format rows (one per metric) from one or more seeds' summary dicts; ``extra_metrics``:
    plugins' :class:`posebench.specs.MetricSpec` scored besides the built-in metrics."""
    rows = []
    info = {**METRIC_INFO, **{m.name: (m.display_label, m.unit) for m in extra_metrics}}
    for metric, (label, unit) in info.items():
        values = [s[metric] for s in summaries if metric in s and s[metric] is not None]
        if not values:
            continue
        series = pd.Series(values, dtype=float)
        rows.append({
            "model": model, "dataset": dataset, "protocol": protocol_id, "metric": label, "unit": unit,
            "value": float(series.mean()), "std": float(series.std(ddof=1)) if len(series) > 1 else None,
            "n_seeds": len(series), "n_frames": summaries[0].get("n_frames"),
            "n_sequences": summaries[0].get("n_sequences"),
        })
    return rows


def format_table(rows: list[dict]) -> str:
    """A wide table: one row per model, one column per metric, `mean ± std` where seeds > 1."""
    if not rows:
        return "(no results)"
    df = pd.DataFrame(rows)
    cells = {}
    for r in df.itertuples():
        text = f"{r.value:.2f}" if r.std is None or pd.isna(r.std) else f"{r.value:.2f} ± {r.std:.2f}"
        cells.setdefault((r.model, r.dataset, r.protocol, r.n_seeds), {})[f"{r.metric} [{r.unit}] ↓"] = text
    table = [{"model": k[0], "dataset": k[1], "protocol": k[2], "seeds": k[3], **v} for k, v in cells.items()]
    return tabulate(pd.DataFrame(table), headers="keys", tablefmt="github", showindex=False)


def format_comparison(df: pd.DataFrame) -> str:
    if df is None or df.empty:
        return ""
    return tabulate(df, headers="keys", tablefmt="github", showindex=False, floatfmt=".2f")


SET_SUFFIXES = (".csv", ".json")  # with a predictions/ folder: what an output set holds
_staging: dict[Path, Path] = {}  # temporary folder of an open output_set -> its final path


@contextmanager
def output_set(out: str | Path | None) -> Iterator[Path | None]:
    """A temporary folder for one set of output files, swapped in whole as ``out`` on success.

        with output_set(out) as folder:     # folder is None when out is None
            ...write predictions/, summary.csv, results.json into folder...

    A kill leaves the previous set untouched (never old and new files side by side); the
    temporaries it leaves are removed by the next writer. A second process writing the same
    ``out`` meanwhile fails with a LockError naming the lock file (``.OUT.lock`` beside it).
    """
    if out is None:
        yield None
        return
    out = Path(out).expanduser().absolute()
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(out, "output folder", lock_file=out.parent / f".{out.name}.lock"):
        io.clean_stale_temporaries(out.parent, out.name)
        with io.atomic_folder(out) as tmp:
            _staging[tmp] = out
            try:
                yield tmp
            finally:
                del _staging[tmp]


def _check_replaceable(out: Path) -> None:
    """``out`` is replaced whole, so it must be new, empty, or hold only a results set: never the
    current folder, one of its parents, or a folder with other files (they would be deleted)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder")
    if not out.is_dir():
        return
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise UsageError(f"--out {out}: the current folder or one of its parents; the output folder is replaced "
                         f"whole, so give a folder of its own (e.g. --out results/run1)")
    foreign = sorted(p.name for p in out.iterdir()
                     if not (p.name == "predictions" and p.is_dir()) and not (p.is_file() and p.suffix in SET_SUFFIXES))
    if foreign:
        raise UsageError(f"--out {out}: holds files that are not part of a results set ({', '.join(foreign[:3])}"
                         f"{', ...' if len(foreign) > 3 else ''}); the output folder is replaced whole, so give a new "
                         f"or empty folder")


def write_results(out_dir: Path, *, rows: list[dict], per_sequence: pd.DataFrame | None,
                  comparison: pd.DataFrame | None, meta: dict) -> dict[str, Path]:
    """Write summary.csv, per_sequence.csv, comparison.csv and results.json as one set.

    Inside an :func:`output_set` they go into its temporary folder (returned paths are the final
    ones); otherwise this call makes its own set, replacing ``out_dir`` whole.
    """
    out_dir = Path(out_dir)
    if out_dir not in _staging:
        with output_set(out_dir) as folder:
            return {k: out_dir / p.name for k, p in _write_set(folder, rows, per_sequence, comparison, meta).items()}
    final = _staging[out_dir]
    return {k: final / p.relative_to(out_dir) for k, p in _write_set(out_dir, rows, per_sequence, comparison,
                                                                      meta).items()}


def _write_set(out_dir: Path, rows, per_sequence, comparison, meta) -> dict[str, Path]:
    paths = {"summary": out_dir / "summary.csv", "results": out_dir / "results.json"}
    io.write_text(paths["summary"], pd.DataFrame(rows).to_csv(index=False))
    if per_sequence is not None and not per_sequence.empty:
        paths["per_sequence"] = out_dir / "per_sequence.csv"
        io.write_text(paths["per_sequence"], per_sequence.to_csv(index=False))
    if comparison is not None and not comparison.empty:
        paths["comparison"] = out_dir / "comparison.csv"
        io.write_text(paths["comparison"], comparison.to_csv(index=False))
    payload = {
        "provenance": provenance(**meta.pop("provenance", {})),
        **meta,
        "summary": rows,
        "comparison": [] if comparison is None else comparison.to_dict(orient="records"),
    }
    io.write_json(paths["results"], payload)
    return paths


def format_budget(budgets: dict[str, dict]) -> str:
    """``{"model/seedN": training budget}`` (posebench.training.checkpoint.training_budget) as a table."""
    rows = [[run, b["optimiser_steps"], f'{b["batch_size"]} x {b["window"]}', f'{b["frames_seen"]:,}',
             f'{b.get("wall_s", float("nan")):.0f}', b.get("supervision_2d") or "-"] for run, b in budgets.items()]
    return tabulate(rows, headers=["run", "optimiser steps", "windows x frames", "frames seen", "wall s", "2D target"],
                    tablefmt="github")
