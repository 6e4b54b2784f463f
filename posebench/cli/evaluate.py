"""`posebench eval`, `posebench score` and `posebench compare`."""
from __future__ import annotations

from pathlib import Path

import click

from posebench import results
from posebench.cli.options import device_option, parse_assignments, parse_seeds, split_csv


def _print_and_save(report_rows, per_sequence, comparison, meta, out: Path | None) -> None:
    click.echo(results.format_table(report_rows))
    if comparison is not None and not comparison.empty:
        click.echo("\nPaired differences (row model minus column model), bootstrap 95% CI over sequences:")
        click.echo(results.format_comparison(comparison))
    if out is not None:
        paths = results.write_results(out, rows=report_rows, per_sequence=per_sequence, comparison=comparison,
                                      meta=meta)
        click.echo("\n" + "\n".join(f"wrote {p}" for p in paths.values()))


@click.command("eval")
@click.option("--models", required=True, help="Comma-separated model names, e.g. meva,vibe,hmmr.")
@click.option("--dataset", default="cmu", show_default=True)
@click.option("--split", default="test", show_default=True)
@click.option("--protocol", default="posebench", show_default=True, help="Protocol id or family (posebench, vibe, meva, hmmr).")
@click.option("--checkpoint", multiple=True, help="MODEL=PATH: evaluate this checkpoint instead of the cached one.")
@click.option("--seeds", default="0", show_default=True, help="Comma-separated training seeds to evaluate (mean ± std).")
@click.option("--config", default=None, help="Which trained config's cached checkpoints to use "
              "(default: each model's own, cpu for meva, vibe, hmmr).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Write summary.csv, per_sequence.csv, results.json here.")
@device_option
def eval_cmd(models, dataset, split, protocol, checkpoint, seeds, config, out, device):
    """Evaluate trained MODELS on a dataset split under one protocol; print one table."""
    from posebench.benchmarking import run_eval

    report = run_eval(split_csv(models), dataset, split=split, protocol=protocol, seeds=parse_seeds(seeds),
                      checkpoints=parse_assignments(checkpoint, "--checkpoint"), device=device, config=config,
                      predictions_dir=Path(out) / "predictions" if out else None)
    _print_and_save(report.rows, report.per_sequence, report.comparison, report.meta, Path(out) if out else None)


@click.command("score")
@click.argument("pred", type=click.Path(exists=True, dir_okay=False))
@click.option("--gt", required=True, type=click.Path(exists=True, dir_okay=False), help="Ground truth file, same layout.")
@click.option("--protocol", default="posebench", show_default=True)
@click.option("--name", default=None, help="Name of the method in the table (default: the file name).")
@click.option("--out", type=click.Path(file_okay=False), default=None)
def score_cmd(pred, gt, protocol, name, out):
    """Score a prediction file written by any method (layout: posebench.predictions) against GT."""
    from posebench.metrics.scoring import SequencePrediction, SequenceTarget, score
    from posebench.predictions import read_predictions
    from posebench.registry import get_protocol

    proto = get_protocol(protocol)
    pred_seqs, _ = read_predictions(pred)
    gt_seqs, gt_meta = read_predictions(gt)
    preds = {s: SequencePrediction(joints_lsp14_m=d["joints3d_m"], vertices_m=d.get("vertices_m"),
                                   covered=d.get("covered")) for s, d in pred_seqs.items()}
    gts = {s: SequenceTarget(joints_lsp14_m=d["joints3d_m"], valid=d.get("valid"), vis2d=d.get("vis2d"),
                             vertices_m=d.get("vertices_m")) for s, d in gt_seqs.items()}
    result = score(preds, gts, proto)
    label = name or Path(pred).stem
    rows = results.summary_rows(label, Path(gt).stem, proto.id, [result.summary])
    meta = {"protocol": proto.definition(),
            "provenance": {"prediction_file": {"path": str(pred), "sha256": results.file_sha256(Path(pred))},
                           "gt_file": {"path": str(gt), "sha256": results.file_sha256(Path(gt))}}}
    _print_and_save(rows, result.per_sequence.assign(model=label), None, meta, Path(out) if out else None)


def register(cli: click.Group) -> None:
    cli.add_command(eval_cmd)
    cli.add_command(score_cmd)
