"""`posebench train MODEL`: train a registered model and write its checkpoint to the cache."""
from __future__ import annotations

from pathlib import Path

import click

from posebench.cli.options import device_option
from posebench.config import config_tag
from posebench.paths import checkpoint_dir
from posebench.registry import get_plugin_system


def resolve_model_config(model: str, config: str | None, cfg_options: tuple[str, ...]) -> dict:
    """The model's config (see :func:`config_target`) with the overrides applied."""
    from posebench.config import config_target, load_config

    # mmengine style "a=1 b=2" in one quoted value, or the option repeated.
    return load_config(config_target(model, config), [item for value in cfg_options for item in value.split()])


def train_one(model: str, dataset: str, cfg: dict, *, seed: int, device: str | None, resume: bool,
              stage: str = "all", out: Path | None = None, config_name: str = "cpu") -> Path:
    """Train ``model`` on ``dataset`` with ``seed``; returns the best checkpoint's path."""
    from posebench.evaluation import default_device

    entry = get_plugin_system().models.get(model)
    get_plugin_system().datasets.get(dataset)  # unknown names fail before any work
    train_fn = entry.metadata.get("train")
    if train_fn is None:
        raise click.ClickException(f"model {model!r} does not declare a training function")
    out_dir = Path(out) if out else checkpoint_dir(model, dataset, seed, config_name)
    return Path(train_fn(cfg=cfg, dataset_name=dataset, out_dir=out_dir, device=device or default_device(),
                         resume=resume, stage=stage, seed=seed))


@click.command("train")
@click.argument("model")
@click.option("--dataset", default="cmu", show_default=True, help="Registered dataset name.")
@click.option("--stage", type=click.Choice(["all", "vae", "e2e"]), default="all", show_default=True,
              help="Training stage, for models that have several (MEVA: VAE pretraining, then end to end).")
@click.option("--config", default=None, help="Config name under configs/MODEL/ (paper, cpu, quick, test) or a .py file. "
              "Default: the model's own (cpu for meva, vibe, hmmr).")
@click.option("--cfg-options", multiple=True,
              help='Override config values: "key.sub=value other=value" (quoted, or the option repeated).')
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint in the output folder.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: the cache folder `posebench eval` looks in).")
@device_option
def train_cmd(model, dataset, stage, config, cfg_options, seed, resume, out, device):
    """Train MODEL on a dataset; the best checkpoint (chosen on the validation split) goes to the cache."""
    cfg = resolve_model_config(model, config, cfg_options)
    best = train_one(model, dataset, cfg, seed=seed, device=device, resume=resume, stage=stage, out=out,
                     config_name=config_tag(model, config))
    click.echo(f"best checkpoint: {best}")


def register(cli: click.Group) -> None:
    cli.add_command(train_cmd)
