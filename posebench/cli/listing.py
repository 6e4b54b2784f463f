"""`posebench plugins | models | datasets | metrics | protocols | filters`: what is installed."""
from __future__ import annotations

import json

import click
from tabulate import tabulate

from posebench.registry import get_plugin_system


def _table(rows: list[dict]) -> str:
    return tabulate(rows, headers="keys", tablefmt="github") if rows else "(none)"


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_cmd(as_json):
    """List loaded plugins (name, module, package, version, hooks) and plugins that failed to load."""
    system = get_plugin_system()
    rows = [dict(name=p.name, module=p.module, package=p.package, version=p.version, hooks=p.hooks)
            for p in system.plugins()]
    failed = [dict(name=f.name, entry_point=f.value, error=f.error) for f in system.failures]
    if as_json:
        click.echo(json.dumps({"plugins": rows, "failed": failed}, indent=2))
        return
    click.echo(_table([{**r, "hooks": ", ".join(h.replace("posebench_", "") for h in r["hooks"])} for r in rows]))
    if failed:
        click.echo("\nFailed to load:")
        click.echo(_table(failed))


@click.command("models")
@click.argument("pattern", required=False)
def models_cmd(pattern):
    """List registered models (optionally filtered by an fnmatch PATTERN)."""
    import fnmatch

    rows = []
    for e in get_plugin_system().models.entries():
        if pattern and not fnmatch.fnmatch(e.name, pattern):
            continue
        window = e.metadata.get("window")
        rows.append(dict(name=e.name, window="config" if window is None else window,
                         inputs=",".join(e.metadata.get("inputs", ())), outputs=e.metadata.get("outputs", "smpl"),
                         plugin=e.plugin,
                         package=f"{e.package} {e.version}", description=e.metadata.get("description", "")))
    click.echo(_table(rows))


@click.group("datasets", invoke_without_command=True)
@click.pass_context
def datasets_group(ctx):
    """List datasets: where each looks, which files are found or missing, and its licence."""
    if ctx.invoked_subcommand is not None:
        return
    rows = []
    for e in get_plugin_system().datasets.entries():
        try:
            status = e.obj(None).status()
            where, state = str(status.root), ("ready" if status.ready else f"missing {len(status.missing)} file(s)")
            if status.missing:
                state += ": " + ", ".join(status.missing[:3]) + (" ..." if len(status.missing) > 3 else "")
        except Exception as exc:  # a broken dataset plugin is reported, not fatal
            where, state = "?", f"error: {exc}"
        rows.append(dict(name=e.name, status=state, root=where, package=f"{e.package} {e.version}",
                         licence=e.metadata.get("licence", ""), description=e.metadata.get("description", "")))
    click.echo(_table(rows))


@datasets_group.command("show")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PNG file to write.")
@click.option("--root", type=click.Path(file_okay=False), default=None, help="Dataset folder (default: POSEBENCH_DATA/NAME).")
def datasets_show(name, out, root):
    """Draw a figure of one clip of dataset NAME (ground truth vs observed 2D keypoints)."""
    entry = get_plugin_system().datasets.get(name)
    show = entry.metadata.get("show")
    if show is None:
        raise click.ClickException(f"dataset {name!r} has no figure")
    path = show(out=out, root=root)
    click.echo(f"wrote {path or out}")


@click.command("metrics")
def metrics_cmd():
    """List registered metrics and their units."""
    rows = [dict(name=e.name, unit=e.metadata.get("unit", ""), plugin=e.plugin)
            for e in get_plugin_system().metrics.entries()]
    click.echo(_table(rows))


@click.command("protocols")
@click.option("--show", "show_id", default=None, help="Print the full definition of one protocol.")
def protocols_cmd(show_id):
    """List evaluation protocols (versioned ids) or print one definition."""
    system = get_plugin_system()
    if show_id:
        from posebench.registry import get_protocol

        click.echo(json.dumps(get_protocol(show_id).definition(), indent=2, default=str))
        return
    rows = [dict(id=e.name, plugin=e.plugin, description=e.metadata.get("description", ""))
            for e in system.protocols.entries()]
    click.echo(_table(rows))


@click.command("filters")
def filters_cmd():
    """List post-hoc filters (use as MODEL+FILTER, e.g. `posebench eval --models vibe,vibe+one-euro`)."""
    rows = [dict(name=e.name, defaults=", ".join(f"{k}={v}" for k, v in (e.metadata.get("defaults") or {}).items()),
                 plugin=e.plugin, description=e.metadata.get("description", ""))
            for e in get_plugin_system().filters.entries()]
    click.echo(_table(rows))
    click.echo("\nUse as MODEL+FILTER (e.g. mlp+savgol); set parameters with "
               "--cfg-options filters.NAME.PARAM=VALUE or a `filters` section in the model's config.")


def register(cli: click.Group) -> None:
    for command in (plugins_cmd, models_cmd, datasets_group, metrics_cmd, protocols_cmd, filters_cmd):
        cli.add_command(command)
