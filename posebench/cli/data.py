"""`posebench data fetch NAME [--mirror PATH_OR_URL]`: get a dataset's files.
`posebench data noise-stats DATASET [--preset P] [--severity S] [--split test] [--json]`: how its 2D
detections err (posebench.data.noise_stats), beside the reference ranges."""
from __future__ import annotations

import click

from posebench.registry import get_plugin_system


@click.group("data")
def data_group():
    """Prepare datasets."""


@data_group.command("fetch")
@click.argument("name")
@click.option("--mirror", default=None, help="A local folder or URL prefix laid out like the source (e.g. ../shared/realdata).")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Where to put the files (default: POSEBENCH_DATA/NAME).")
def fetch_cmd(name, mirror, root):
    """Download (or copy from --mirror) the files of dataset NAME, checking sha256; resumable."""
    entry = get_plugin_system().datasets.get(name)
    fetch = entry.metadata.get("fetch")
    if fetch is None:
        raise click.ClickException(
            f"dataset {name!r} cannot be fetched: its licence requires you to download it yourself "
            f"({entry.metadata.get('licence', '')}); put it under POSEBENCH_DATA/{name}")
    paths = fetch(root=root, mirror=mirror)
    click.echo(f"{name}: {len(paths)} file(s) ready")


@data_group.command("noise-stats")
@click.argument("name")
@click.option("--preset", default=None, help="Detector preset of a synthetic dataset (cmu: aistpp, h36m-hrnet, gt).")
@click.option("--severity", type=float, default=None, help="Detector severity of a synthetic dataset (0-2).")
@click.option("--split", default="test", show_default=True)
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Dataset root (default: POSEBENCH_DATA/NAME).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def noise_stats_cmd(name, preset, severity, split, root, as_json):
    """Measure the 2D detections of dataset NAME against the noise-free keypoints: error, its temporal
    structure, confidence, swaps, dropouts, outliers (definitions: posebench.data.noise_stats)."""
    import json

    from posebench.data.noise_stats import format_table, measure
    from posebench.errors import PosebenchError
    from posebench.registry import load_dataset

    get_plugin_system().datasets.get(name)  # unknown names fail here with the list of known ones
    options = {k: v for k, v in (("preset", preset), ("severity", severity)) if v is not None}
    try:
        dataset = load_dataset(name, root, **options)
    except TypeError as exc:
        if "unexpected keyword" not in str(exc):
            raise
        raise click.UsageError(f"dataset {name!r} takes no --preset/--severity (it is not synthetic)") from None
    if not hasattr(dataset, "noise_tracks"):
        raise click.UsageError(f"dataset {name!r} does not provide noise-free 2D keypoints to measure against")
    if split not in dataset.splits():
        raise click.UsageError(f"dataset {name!r} has no split {split!r}; known: {', '.join(dataset.splits())}")
    try:
        stats = measure(dataset.noise_tracks(split))
    except PosebenchError as exc:
        raise click.ClickException(str(exc)) from None
    info = dataset.describe() if hasattr(dataset, "describe") else {}
    stats = {**stats, "dataset": name, "split": split, "preset": info.get("preset"),
             "severity": info.get("severity"), "build_id": info.get("build_id")}
    if as_json:
        click.echo(json.dumps(stats, indent=1, sort_keys=True))
    else:
        click.echo(f"{name} [{split}] build {stats['build_id']}, preset {stats['preset']}, severity "
                   f"{stats['severity']}, {stats['frames']} frames at {stats['fps']} fps, {stats['keypoints']} "
                   "keypoints (12 limb joints)")
        click.echo(format_table(stats))


def register(cli: click.Group) -> None:
    cli.add_command(data_group)
