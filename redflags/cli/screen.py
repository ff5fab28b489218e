"""``redflags screen`` a file of parties, and ``redflags runs``, the record of screenings."""

import time

import click
from rich.table import Table

from redflags.cli.common import Context, err, out, print_json


@click.command("screen")
@click.argument("source", metavar="INPUT")
@click.option("-o", "--output", default="-", show_default=True, help="Output file; - is stdout.")
@click.option("--format", "out_format", type=click.Choice(["jsonl", "csv", "xlsx", "html"]), default=None,
              help="Output format (default: from the output's extension, else jsonl).")
@click.option("--input-format", type=click.Choice(["csv", "xlsx", "jsonl", "parquet"]), default=None,
              help="Input format (default: detected).")
@click.option("--encoding", default=None, help="CSV encoding (default: detected).")
@click.option("--delimiter", default=None, help="CSV delimiter (default: detected).")
@click.option("--sheet", default=None, help="XLSX sheet (default: the first).")
@click.option("--threshold", type=float, default=None, help="Alert threshold (default 0.73).")
@click.option("--cutoff", type=float, default=0.5, show_default=True, help="Lowest score of a hit to report.")
@click.option("--limit", type=int, default=5, show_default=True, help="Most hits per row.")
@click.option("--workers", type=int, default=0, help="Local processes (default: one per core).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--name-column", multiple=True, help="Column holding the name (repeat for more).")
@click.option("--alias-column", multiple=True, help="Column holding other names of the party.")
@click.option("--id-column", default=None, help="Column holding the row's own id.")
@click.option("--schema-column", default=None, help="Column saying Person / Company / ...")
@click.option("--country-column", multiple=True, help="Column holding a country.")
@click.option("--identifier-column", multiple=True, help="Column holding a registration, tax or other number.")
@click.option("--birth-date-column", default=None, help="Column holding a birth date.")
@click.option("--date-column", default=None,
              help="Column holding the transaction date on which links to listed parties are judged "
                   "(default: a 'transaction date'/'order date' column, else today).")
@click.option("--schema", default=None, help="Schema of every row when no column says it (Company, Person...).")
@click.option("--restart", is_flag=True, help="Start again instead of resuming a killed run.")
@click.option("--portfolio", default=None,
              help="Whose parties these are: they are kept as <portfolio>/<id> (default: the file's name).")
@click.option("--no-record", is_flag=True,
              help="Do not store the screenings or open alerts (no review, no suppression, no audit entry).")
@click.pass_obj
def screen_cmd(obj: Context, source: str, output: str, out_format: str | None, input_format: str | None,
               encoding: str | None, delimiter: str | None, sheet: str | None, threshold: float | None,
               cutoff: float, limit: int, workers: int, engine: str, scheduler: str | None,
               name_column: tuple[str, ...], alias_column: tuple[str, ...], id_column: str | None,
               schema_column: str | None, country_column: tuple[str, ...], identifier_column: tuple[str, ...],
               birth_date_column: str | None, date_column: str | None, schema: str | None, restart: bool,
               portfolio: str | None,
               no_record: bool) -> None:
    """Screen every row of INPUT (CSV, XLSX, JSON lines, Parquet; - is stdin) against every loaded list."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from redflags.batch import Options, screen_file
    from redflags.batch.outputs import format_for
    from redflags.match import THRESHOLD

    if limit < 1:
        raise click.BadParameter("must be at least 1", param_hint="--limit")
    if not 0 <= cutoff <= 1 or (threshold is not None and not 0 <= threshold <= 1):
        raise click.BadParameter("scores are between 0 and 1", param_hint="--threshold/--cutoff")
    columns = {"name": list(name_column), "alias": list(alias_column), "id": [id_column] if id_column else [],
               "schema": [schema_column] if schema_column else [], "country": list(country_column),
               "identifier": list(identifier_column), "birth_date": [birth_date_column] if birth_date_column else [],
               "date": [date_column] if date_column else []}
    options = Options(output_format=format_for(output, out_format), columns=columns, schema=schema,
                      threshold=THRESHOLD if threshold is None else threshold, cutoff=cutoff, limit=limit,
                      workers=workers, engine=engine, scheduler=scheduler, fmt=input_format, encoding=encoding,
                      delimiter=delimiter, sheet=sheet, restart=restart, record=not no_record, portfolio=portfolio,
                      actor=obj.actor)
    bar = Progress(SpinnerColumn(), TextColumn("screening"), BarColumn(), TextColumn("{task.completed:,} rows"),
                   TextColumn("{task.fields[rate]}"), TextColumn("ETA {task.fields[eta]}"), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    with bar:
        task = bar.add_task("screening", total=None, rate="", eta="-")
        started = time.perf_counter()

        def progress(done: int, total: int | None, read: int, size: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-6)
            share = done / total if total else (read / size if size else 0)
            eta = elapsed * (1 - share) / share if share > 0 else None
            bar.update(task, completed=done, rate=f"{done / elapsed:,.0f} rows/s",
                       eta="-" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}")

        result = screen_file(obj.store, source, output, options, progress=progress)
    run = result.run
    counts = run["counts"] or {}
    elapsed = time.perf_counter() - started
    info = run["input_info"]
    detected = f", {info['encoding']} ({info['encoding_detected_by']})" if info.get("encoding_detected_by") else ""
    resumed = f", resumed after row {result.resumed_from:,}" if result.resumed_from else ""
    err.print(f"{run['input']} ({info['format']}{detected}): {counts.get('rows', 0):,} rows in {elapsed:.1f} s"
              f"{resumed}: [bold red]{counts.get('alert', 0):,} alert[/], "
              + (f"[bold red]{counts['review_required']:,} review required[/], " if counts.get("review_required") else "")
              + (f"[bold magenta]{counts['linked']:,} linked party[/], " if counts.get("linked") else "")
              + (f"{counts['suppressed']:,} suppressed, " if counts.get("suppressed") else "")
              + f"{counts.get('clear', 0):,} clear, {counts.get('error', 0):,} error; run {run['id']}"
              + (f" -> {result.output}" if result.output else ""), highlight=False)


@click.command("runs")
@click.argument("run_id", required=False)
@click.option("--limit", default=20, show_default=True, help="How many of the latest runs to list.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def runs_cmd(obj: Context, run_id: str | None, limit: int, as_json: bool) -> None:
    """Screening runs (latest first), or one run's parameters, list versions and counts."""
    if run_id is None:
        runs = obj.store.runs(limit)
        if as_json:
            print_json(runs)
            return
        if not runs:
            err.print("No screening runs yet: `redflags screen FILE`.")
            return
        table = Table("run", "status", "started", "input", "rows", "alert", "linked", "review", "suppressed", "clear",
                      "error")
        for run in runs:
            counts = run["counts"] or {}
            table.add_row(run["id"], run["status"], (run["started_at"] or "")[:19], run["input"],
                          *(f"{counts.get(k, 0):,}" for k in ("rows", "alert", "linked", "review_required",
                                                               "suppressed", "clear", "error")))
        out.print(table)
        return
    data = obj.store.run(run_id)
    if as_json:
        print_json(data)
        return
    counts = data["counts"] or {}
    out.print(f"[bold]run {data['id']}[/] {data['status']}: {data['input']} -> {data['output'] or 'stdout'}",
              highlight=False)
    out.print(f"  {data['started_at']} to {data['finished_at'] or '-'}" + (f"; {data['error']}" if data["error"] else ""),
              highlight=False, markup=False)
    info = data["input_info"]
    out.print(f"  input: {info.get('format')}, {info.get('encoding') or '-'} ({info.get('encoding_detected_by') or '-'}),"
              f" columns used: {data['params'].get('columns')}", highlight=False, markup=False)
    out.print(f"  threshold {data['params'].get('threshold')}, cutoff {data['params'].get('cutoff')}, "
              f"limit {data['params'].get('limit')}, engine {data['params'].get('engine')}", highlight=False)
    for name, v in data["list_versions"].items():
        out.print(f"  list {name}: version {v['version']}, {v['entities']:,} entities, data as of "
                  f"{v.get('data_date') or '-'}, loaded {v.get('loaded_at')}", highlight=False)
    linked = f"{counts['linked']:,} linked party, " if counts.get("linked") else ""
    out.print(f"  rows {counts.get('rows', 0):,}: {counts.get('alert', 0):,} alert, {linked}"
              f"{counts.get('review_required', 0):,} review required, {counts.get('suppressed', 0):,} suppressed, "
              f"{counts.get('clear', 0):,} clear, {counts.get('error', 0):,} error", highlight=False)
    for name, n in (counts.get("alerts_by_list") or {}).items():
        out.print(f"    {n:>8,}  {name}", highlight=False)
