"""`posebench compare`: the controlled comparison in one command.

Same dataset and split, same input features and adapter, the same training budget for every
model (the configs' ``train.budget_frames``: equal frames seen; ``--steps N`` budgets every model
in optimiser steps instead), model
selection on the validation split only, several seeds, one protocol, paired differences.
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from posebench.cli.evaluate import _print_and_save
from posebench.cli.options import device_option, parse_models, parse_seeds
from posebench.cli.train import resolve_model_config, train_one
from posebench.registry import get_plugin_system
from posebench.runs import Run


@click.command("compare")
@click.option("--models", default="meva,vibe,hmmr", show_default=True)
@click.option("--dataset", default="cmu", show_default=True)
@click.option("--config", default="cpu", show_default=True, help="Config name used for every model (configs/MODEL/NAME.py), or a file "
              "(.py runs as Python code; .yaml/.yml is data).")
@click.option("--quick", is_flag=True, help="The quick size: --config quick --seeds 0 (a few minutes on 2 CPU cores).")
@click.option("--seeds", default="0,1,2", show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=None, help="Budget every model in optimiser steps instead of the configs' frames seen (train.budget_frames).")
@click.option("--protocol", default="posebench", show_default=True)
@click.option("--mirror", default=None, help="Fetch the dataset from this folder or URL prefix first (e.g. ../shared/realdata).")
@click.option("--retrain", is_flag=True, help="Train again even where a checkpoint exists.")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Results folder (default: ./results/DATASET-CONFIG).")
@device_option
def compare_cmd(models, dataset, config, quick, seeds, steps, protocol, mirror, retrain, out, device):
    """Train MODELS with the same data and budget, evaluate them, print the paired comparison."""
    from posebench import results
    from posebench.api import default_config, run_eval

    if quick:
        config, seeds = "quick", "0"
    names, seed_list = parse_models(models), parse_seeds(seeds)
    system = get_plugin_system()
    # "vibe+one-euro" evaluates vibe's checkpoints, filtered: only the models themselves train.
    from posebench.filters import base_model_name

    trained = list(dict.fromkeys(base_model_name(n) for n in names))
    for name in trained:
        system.models.get(name)
    entry = system.datasets.get(dataset)
    started = time.time()
    fetch = entry.metadata.get("fetch")
    if fetch is not None:
        fetch(root=None, mirror=mirror)
    overrides = (f"train.steps={steps}",) if steps else ()
    budget = {}
    for name in trained:
        cfg = resolve_model_config(name, config, overrides)
        train_section = cfg.get("train", {})
        budget[name] = ({"steps": train_section["steps"]} if train_section.get("steps")
                        else {"budget_frames": train_section.get("budget_frames")})
        for seed in seed_list:
            run = Run.of(name, dataset, config, seed, default_config=default_config(name))
            best = run.checkpoint
            if best.is_file() and not retrain:
                click.echo(f"[{name} seed {seed}] using existing {best} (--retrain to train again)")
                continue
            click.echo(f"[{name} seed {seed}] training on {dataset} with config {config!r}")
            train_one(name, dataset, cfg, seed=seed, device=device, resume=False, overwrite=True,
                      config_name=run.config)
    out_dir = Path(out) if out else Path("results") / f"{dataset}-{Path(config).stem}"
    with results.output_set(out_dir) as set_dir:  # one set, swapped in whole
        report = run_eval(names, dataset, split="test", protocol=protocol, seeds=seed_list, device=device,
                          config=config, predictions_dir=set_dir / "predictions")
        report.meta["budget_declared"] = budget
        report.meta["wall_clock_s"] = round(time.time() - started, 1)
        click.echo(f"\nSeeds {seed_list}; model selection on the val split.")
        _print_and_save(report.rows, report.per_sequence, report.comparison, report.meta, set_dir)
    click.echo(f"total time {time.time() - started:.0f} s")


def register(cli: click.Group) -> None:
    cli.add_command(compare_cmd)
