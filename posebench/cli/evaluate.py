"""`posebench eval`, `posebench score` and `posebench compare`."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from posebench.cli.options import device_option, parse_assignments, parse_models, parse_seeds


def _print_and_save(report_rows, per_sequence, comparison, meta, out: Path | None) -> None:
    from posebench import results  # pandas: imported by the commands that print tables, not at start

    click.echo(results.format_table(report_rows))
    budgets = {k: v for k, v in (meta.get("training_budget") or {}).items() if v}
    if budgets:
        click.echo("\nTraining budget (frames seen = optimiser steps x windows per step x window length):")
        click.echo(results.format_budget(budgets))
    if comparison is not None and not comparison.empty:
        click.echo("\nPaired differences (row model minus column model), bootstrap 95% CI over sequences:")
        click.echo(results.format_comparison(comparison))
    if out is not None:
        paths = results.write_results(out, rows=report_rows, per_sequence=per_sequence, comparison=comparison,
                                      meta=meta)
        click.echo("\n" + "\n".join(f"wrote {p}" for p in paths.values()))


@click.command("eval")
@click.option("--models", required=True, help="Comma-separated model names, e.g. meva,vibe,hmmr; MODEL+FILTER "
              "filters a model's output (vibe+one-euro, mlp+savgol; `posebench filters` lists them).")
@click.option("--dataset", default="cmu", show_default=True)
@click.option("--split", default="test", show_default=True)
@click.option("--protocol", default="posebench", show_default=True, help="Protocol id or family (posebench, vibe, meva, hmmr).")
@click.option("--checkpoint", multiple=True, help="MODEL=PATH: evaluate this checkpoint instead of the cached one.")
@click.option("--cfg-options", multiple=True,
              help='Filter parameters: "filters.NAME.PARAM=VALUE ..." (quoted, or the option repeated).')
@click.option("--seeds", default="0", show_default=True, help="Comma-separated training seeds to evaluate (mean ± std).")
@click.option("--config", default=None, help="Which trained config's cached checkpoints to use "
              "(default: each model's own, cpu for meva, vibe, hmmr).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Write summary.csv, per_sequence.csv, results.json here.")
@device_option
def eval_cmd(models, dataset, split, protocol, checkpoint, cfg_options, seeds, config, out, device):
    """Evaluate trained MODELS on a dataset split under one protocol; print one table."""
    from posebench import results
    from posebench.api import run_eval

    with results.output_set(out) as out_dir:  # one set, swapped in whole (None without --out)
        report = run_eval(parse_models(models), dataset, split=split, protocol=protocol, seeds=parse_seeds(seeds),
                          checkpoints=parse_assignments(checkpoint, "--checkpoint"), device=device, config=config,
                          predictions_dir=out_dir / "predictions" if out_dir else None, filter_options=cfg_options)
        _print_and_save(report.rows, report.per_sequence, report.comparison, report.meta, out_dir)


@click.command("score")
@click.argument("pred", type=click.Path(exists=True, dir_okay=False))
@click.option("--gt", required=True, type=click.Path(exists=True, dir_okay=False), help="Ground truth file, same layout.")
@click.option("--protocol", default="posebench", show_default=True, help="Protocol id or family (posebench, vibe, meva, hmmr).")
@click.option("--units", type=click.Choice(["m", "mm"]), default="m", show_default=True,
              help="Units of the joints and vertices in both files (scores are always reported in mm).")
@click.option("--name", default=None, help="Name of the method in the table (default: the file name).")
@click.option("--out", type=click.Path(file_okay=False), default=None)
def score_cmd(pred, gt, protocol, units, name, out):
    """Score a prediction file written by any method (layout: posebench.predictions) against GT.

    Sequences are read and scored one at a time. Without a 'covered' field the protocol's
    windowing decides which frames a model would have produced; a given 'covered' must agree
    with it. Both files must have the same fps, and joints in metres (see --units)."""
    from posebench import results
    from posebench.data.fetch import sha256_file
    from posebench.errors import DataFormatError
    from posebench.metrics.scoring import score
    from posebench.predictions import open_predictions
    from posebench.registry import get_plugin_system, get_protocol

    proto = get_protocol(protocol)
    extra_metrics = get_plugin_system().plugin_metrics()
    pred_seqs, pred_meta = open_predictions(pred)
    with pred_seqs:
        gt_seqs, gt_meta = open_predictions(gt)
        with gt_seqs:
            if pred_meta["fps"] != gt_meta["fps"]:
                raise DataFormatError(pred, f"fps {pred_meta['fps']:g} differs from the ground truth's "
                                      f"{gt_meta['fps']:g} ({gt}); resample one of them", field="fps")
            scale = 0.001 if units == "mm" else 1.0
            result = score(_InMetres(pred_seqs, pred, scale), _InMetres(gt_seqs, gt, scale), proto,
                           sources={"prediction": pred, "ground truth": gt}, extra_metrics=extra_metrics)
    label = name or Path(pred).stem
    rows = results.summary_rows(label, Path(gt).stem, proto.id, [result.summary], extra_metrics)
    meta = {"protocol": proto.definition(), "units": units, "skipped_sequences": result.skipped,
            "sequences_too_short": result.too_short}
    if out:  # hashing two large files is only worth it for a saved result
        meta["provenance"] = {"prediction_file": {"path": str(pred), "sha256": sha256_file(Path(pred))},
                              "gt_file": {"path": str(gt), "sha256": sha256_file(Path(gt))}}
    _print_and_save(rows, result.per_sequence.assign(model=label), None, meta, Path(out) if out else None)
    click.echo(f"{result.summary['n_sequences']} sequence(s) scored, {result.summary['n_frames_scored']} of "
               f"{result.summary['n_frames_total']} frames; too short for a metric: "
               + (", ".join(f"{m} {n}" for m, n in result.too_short.items()) or "none"))
    for line in result.notes():
        if line.startswith("skipped"):
            click.echo(line)


class _InMetres(Mapping):
    """A lazily read prediction/GT file with joints and vertices converted to metres
    (``scale``) and checked to be a person's size in metres, sequence by sequence."""

    def __init__(self, seqs, path, scale: float):
        self.seqs, self.path, self.scale = seqs, path, scale

    def __getitem__(self, seq):
        from posebench.metrics.scoring import check_units

        d = dict(self.seqs[seq])
        for fld in ("joints3d_m", "vertices_m"):
            if fld in d and self.scale != 1.0:
                d[fld] = d[fld] * self.scale
        check_units(d["joints3d_m"], str(self.path), f"joints3d_m/{seq}", frames=d.get("covered"))
        return d

    def __iter__(self):
        return iter(self.seqs)

    def __len__(self):
        return len(self.seqs)

    def __contains__(self, seq):
        return seq in self.seqs


def register(cli: click.Group) -> None:
    cli.add_command(eval_cmd)
    cli.add_command(score_cmd)
