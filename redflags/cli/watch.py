"""``redflags watch`` portfolios and ``redflags monitor`` them."""

import time
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from redflags.cli.common import Context, err, out, print_json


@click.group("watch")
def watch_cmd() -> None:
    """Portfolios of watched parties, re-screened whenever a list changes."""


def _file_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.argument("source", metavar="FILE"),
        click.option("--portfolio", required=True, help="The portfolio's name."),
        click.option("--name-column", multiple=True), click.option("--id-column", default=None),
        click.option("--country-column", multiple=True), click.option("--schema", default=None),
        click.option("--input-format", type=click.Choice(["csv", "xlsx", "jsonl", "parquet"]), default=None),
        click.option("--encoding", default=None), click.option("--workers", type=int, default=0),
        click.option("--engine", type=click.Choice(["local", "dask"]), default="local"),
        click.option("--scheduler", default=None, help="Dask scheduler address (with --engine dask)."),
    ]):
        func = option(func)
    return func


def _watch(obj: Context, sync: bool, source: str, portfolio: str, name_column: tuple[str, ...], id_column: str | None,
           country_column: tuple[str, ...], schema: str | None, input_format: str | None, encoding: str | None,
           workers: int, engine: str, scheduler: str | None) -> None:
    from redflags.batch import Options
    from redflags.monitor.portfolios import watch

    columns = {"name": list(name_column), "id": [id_column] if id_column else [], "country": list(country_column)}
    options = Options(columns=columns, schema=schema, fmt=input_format, encoding=encoding, workers=workers,
                      engine=engine, scheduler=scheduler)
    started = time.perf_counter()
    counts = watch(obj.store, source, portfolio, options, obj.actor, sync=sync)
    alerts = counts["alerts"]
    err.print(f"portfolio {counts['portfolio']}: {counts['parties']:,} parties from {counts['rows']:,} rows: "
              f"{counts['added']:,} added, {counts['updated']:,} updated, {counts['retired']:,} retired, "
              f"{counts['unchanged']:,} unchanged; [bold red]{alerts.get('alert', 0):,} alert[/], "
              f"{alerts.get('review_required', 0):,} review required, {alerts.get('suppressed', 0):,} suppressed "
              f"({time.perf_counter() - started:.1f} s, run {counts['run']})", highlight=False)


@watch_cmd.command("add")
@_file_options
@click.pass_obj
def watch_add(obj: Context, **kwargs: object) -> None:
    """Add FILE's parties to a portfolio (screened at once)."""
    _watch(obj, False, **kwargs)  # type: ignore[arg-type]


@watch_cmd.command("sync")
@_file_options
@click.pass_obj
def watch_sync(obj: Context, **kwargs: object) -> None:
    """Make a portfolio what FILE says: adds, updates changed parties, retires those not in it."""
    _watch(obj, True, **kwargs)  # type: ignore[arg-type]


@watch_cmd.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def watch_list(obj: Context, as_json: bool) -> None:
    from redflags.monitor.portfolios import portfolios

    rows = portfolios(obj.store)
    if as_json:
        print_json(rows)
        return
    table = Table("portfolio", "parties", "updated", "last re-screen per list")
    for row in rows:
        last = "; ".join(f"{ds} v{r['version']} ({r['kind']}, {r['status']})" for ds, r in sorted(row["rescreened"].items()))
        table.add_row(row["name"], f"{row['parties']:,}", row["updated_at"][:19], last)
    out.print(table)


@watch_cmd.command("remove")
@click.argument("portfolio")
@click.pass_obj
def watch_remove(obj: Context, portfolio: str) -> None:
    """Stop watching a portfolio (its screenings, alerts and decisions stay on record)."""
    from redflags.monitor.portfolios import remove

    err.print(f"portfolio {portfolio}: {remove(obj.store, portfolio, obj.actor):,} parties no longer watched",
              highlight=False)


@click.command("monitor")
@click.option("--once", is_flag=True, help="One round, then exit (for cron, a systemd timer, a CronJob).")
@click.option("--every", default="6h", show_default=True, help="Time between rounds: 30m, 6h, 1d.")
@click.option("--update/--no-update", default=True, show_default=True, help="Fetch the lists first.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where parties are screened: local processes, or the workers of a Dask cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler address (with --engine dask).")
@click.pass_obj
def monitor_cmd(obj: Context, once: bool, every: str, update: bool, engine: str, scheduler: str | None) -> None:
    """Update the lists, re-screen the portfolios against what changed, deliver the events."""
    from redflags.monitor.loop import parse_every, run_round, single

    seconds = parse_every(every)
    if engine == "dask" and not scheduler:
        raise click.UsageError("--engine dask needs --scheduler")
    with single():
        while True:
            report = run_round(obj.store, obj.actor, update, scheduler if engine == "dask" else None)
            for line in report["lines"]:
                err.print(line, highlight=False, markup=False)
            if once:
                return
            time.sleep(seconds)
