"""`posebench train MODEL`: train a registered model and write its checkpoint to the cache."""
from __future__ import annotations

from pathlib import Path

import click

from posebench.cli.options import device_option, seed_option
from posebench.config import config_tag
from posebench.errors import UsageError
from posebench.locking import folder_lock
from posebench.registry import get_plugin_system


def resolve_model_config(model: str, config: str | None, cfg_options: tuple[str, ...]) -> dict:
    """The model's config (see :func:`config_target`) with the overrides applied."""
    from posebench.api import default_config
    from posebench.config import config_target, load_config

    # mmengine style "a=1 b=2" in one quoted value, or the option repeated.
    return load_config(config_target(model, config, default_config(model)),
                       [item for value in cfg_options for item in value.split()])


def train_one(model: str, dataset: str, cfg: dict, *, seed: int, device: str | None, resume: bool,
              stage: str = "all", out: Path | None = None, config_name: str = "cpu", overwrite: bool = False) -> Path:
    """Train ``model`` on ``dataset`` with ``seed``; returns the best checkpoint's path.

    The run folder is held for the whole run (every stage): a second writer fails naming the
    lock, a killed run's temporaries are removed, and ``overwrite`` removes the previous run's
    files (in the folder and its stage sub-folders) before a fresh start. A fresh run into a
    used folder without ``overwrite`` is refused by the stage that would reuse it.
    """
    from posebench.devices import choose_device
    from posebench.runs import Run
    from posebench.training.run_folder import clean_temporaries, clear_run, run_files
    from posebench.training.seeding import check_seed, seed_everything

    if resume and overwrite:
        raise UsageError("--resume continues the run in the folder and --overwrite deletes it: give one of them")
    entry = get_plugin_system().models.get(model)
    get_plugin_system().datasets.get(dataset)  # unknown names fail before any work
    train_fn = entry.metadata.get("train")
    if train_fn is None:
        raise click.ClickException(f"model {model!r} does not declare a training function")
    out_dir = Path(out) if out else Run(model, dataset, config_name, seed).checkpoint_dir
    # Seeded here too, so a third-party trainer that builds its model without seeding is still
    # reproducible; the built-in trainers seed again right before each model is built.
    seed_everything(check_seed(seed))
    with folder_lock(out_dir, "run folder"):
        clean_temporaries(out_dir)
        if overwrite and run_files(out_dir, recursive=True):
            click.echo(f"--overwrite: removing the previous run's files in {out_dir}", err=True)
            clear_run(out_dir, recursive=True)
        return Path(train_fn(cfg=cfg, dataset_name=dataset, out_dir=out_dir, device=choose_device(device),
                             resume=resume, stage=stage, seed=seed))


@click.command("train")
@click.argument("model")
@click.option("--dataset", default="cmu", show_default=True, help="Registered dataset name.")
@click.option("--stage", type=click.Choice(["all", "vae", "e2e"]), default="all", show_default=True,
              help="Training stage, for models that have several (MEVA: VAE pretraining, then end to end).")
@click.option("--config", default=None, help="A shipped config (paper, cpu, quick, test: configs/MODEL/NAME.py, found before "
              "any file of that name in the current folder) or a file: a .py config is Python code and runs when loaded "
              "(use only files you trust); a .yaml/.yml config is data (safe loader, Python tags refused). "
              "Default: the model's own (cpu for meva, vibe, hmmr).")
@click.option("--cfg-options", multiple=True,
              help='Override config values: "key.sub=value other=value" (quoted, or the option repeated).')
@seed_option
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint in the output folder (same --seed).")
@click.option("--overwrite", is_flag=True, help="Delete the previous run in the output folder and start again.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: the cache folder `posebench eval` looks in).")
@device_option
def train_cmd(model, dataset, stage, config, cfg_options, seed, resume, overwrite, out, device):
    """Train MODEL on a dataset; the best checkpoint (chosen on the validation split) goes to the cache.

    A new run into a folder that holds one is refused: continue it with --resume, or start
    again with --overwrite. Only one process can write a run folder at a time."""
    from posebench.api import default_config

    cfg = resolve_model_config(model, config, cfg_options)
    best = train_one(model, dataset, cfg, seed=seed, device=device, resume=resume, stage=stage, out=out,
                     config_name=config_tag(model, config, default_config(model)), overwrite=overwrite)
    click.echo(f"best checkpoint: {best}")


def register(cli: click.Group) -> None:
    cli.add_command(train_cmd)
