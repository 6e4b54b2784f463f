"""`posebench data fetch NAME [--mirror PATH_OR_URL]`: get a dataset's files."""
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


def register(cli: click.Group) -> None:
    cli.add_command(data_group)
