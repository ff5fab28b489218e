"""The ``redflags`` command line."""

import json
import logging
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from redflags import settings
from redflags.exc import RedflagsError
from redflags.store import Store, open_store

err = Console(stderr=True)
out = Console()


class Context:
    def __init__(self, db: str | None) -> None:
        self.db = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db)
        return self._store


def _stop_on_sigterm() -> None:
    """SIGTERM ends a load the way Ctrl-C does, so that the attempt is recorded as failed."""
    import signal

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class _Group(click.Group):
    """Turns the errors redflags explains into click's ``Error: …`` (exit 1), never a traceback:
    a ``RedflagsError`` says what was wrong; an ``OSError`` names the file and the reason."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RedflagsError as exc:
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError:
            raise
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from exc


@click.group(cls=_Group)
@click.option("--db", envvar="REDFLAGS_DB", default=None,
              help="Database URL (default: SQLite in $REDFLAGS_HOME/redflags.db).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="redflags")
@click.pass_context
def main(ctx: click.Context, db: str | None, verbose: bool) -> None:
    """redflags: screen parties against official restricted-party and sanctions lists."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s %(message)s")
    ctx.obj = Context(db)


@main.group()
def lists() -> None:
    """Load, update and inspect the lists redflags screens against."""


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} records"), TimeElapsedColumn(), console=err,
                    transient=True, disable=not err.is_terminal)


def _report(result: Any) -> None:
    s = result.summary
    job = result.job
    counts = s.get("issue_counts") or {}
    issues = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no issues"
    err.print(f"[bold]{job.dataset}[/] v{s['version']} from {job.path.name} ({job.format}): "
              f"{s['entity_count']:,} entities; +{s['added']:,} -{s['removed']:,} "
              f"~{s['modified']:,}; {issues}")
    shown = [i for i in result.issues if i.severity != "info"][:10]
    for issue in shown:
        err.print(f"  {issue}", markup=False, highlight=False)
    rest = len([i for i in result.issues if i.severity != "info"]) - len(shown)
    if rest > 0:
        err.print(f"  … and {rest} more; see `redflags lists issues {job.dataset}`")


@lists.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", default=None, help="Override the detected format.")
@click.option("--dataset", default=None, help="Dataset name to load into (default per format).")
@click.option("--force", is_flag=True, help="Load even if sanity checks call it a broken file.")
@click.option("--json", "as_json", is_flag=True, help="Print the load summaries as JSON.")
@click.pass_obj
def lists_load(obj: Context, paths: tuple[Path, ...], fmt: str | None, dataset: str | None,
               force: bool, as_json: bool) -> None:
    """Load list files (format detected from content) as new dataset versions."""
    from redflags import ingest
    from redflags.sources.formats import FORMATS

    if fmt is not None and fmt not in FORMATS:
        raise click.BadParameter(f"{fmt!r}; one of: {', '.join(FORMATS)}", param_hint="--format")
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{str(path)!r} does not exist", param_hint="PATHS")
    results = []
    _stop_on_sigterm()
    try:
        jobs = ingest.plan(list(paths), fmt, dataset)
        with _progress() as progress:
            for job in jobs:
                task = progress.add_task(f"loading {job.path.name}", total=None)

                def advance(_name: str, count: int, task: Any = task) -> None:
                    progress.update(task, completed=count)

                result = ingest.load_job(obj.store, job, force=force, progress=advance)
                progress.remove_task(task)
                results.append(result)
                if not as_json:
                    _report(result)
    except RedflagsError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json([{**r.summary, "issues": [i.to_dict() for i in r.issues]} for r in results])


@lists.command("update")
@click.argument("sources", nargs=-1)
@click.option("--mirror", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Take the files from this folder instead of the official URLs.")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="A sources.yml to use instead of the built-in one.")
@click.option("--force", is_flag=True, help="Load even if unchanged or failing sanity checks.")
@click.pass_obj
def lists_update(obj: Context, sources: tuple[str, ...], mirror: Path | None,
                 sources_file: Path | None, force: bool) -> None:
    """Download each list from its official URL (or --mirror) and load what changed."""
    from redflags import fetch

    failed = 0
    _stop_on_sigterm()
    try:
        names = list(sources) or list(fetch.read_sources(sources_file))
    except RedflagsError as exc:
        raise _fail(exc) from exc
    for name in names:
        try:
            with err.status(f"updating {name}…") if err.is_terminal else nullcontext():
                (result,) = fetch.update(obj.store, [name], mirror, sources_file, force)
        except RedflagsError as exc:
            failed += 1
            err.print(f"[red]{name}: failed:[/] {escape(str(exc))}", highlight=False)
            continue
        if result.status == "unchanged":
            err.print(f"{name}: unchanged (sha256 {result.files[0]['sha256'][:12]}…)")
        elif result.load is not None:
            _report(result.load)
    if failed:
        raise click.ClickException(f"{failed} of {len(names)} source(s) failed; the previous "
                                   "versions stay active")


@lists.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lists_status(obj: Context, as_json: bool) -> None:
    """Datasets, their versions, counts by schema and component list, and dates."""
    data = obj.store.status()
    if as_json:
        _print_json(data)
        return
    if not data:
        err.print("No lists loaded. Load one with `redflags lists load FILE` or "
                  "`redflags lists update`.")
        return
    for ds in data:
        active = ds["active"]
        if active is None:
            last = ds["versions"][0] if ds["versions"] else {}
            out.print(f"[bold]{ds['dataset']}[/]: no active version (last attempt "
                      f"{last.get('status', '-')}: {last.get('error') or '-'})", highlight=False)
            continue
        counts = active.get("counts") or {}
        issues = ", ".join(f"{v} {k}" for k, v in sorted((active.get("issues") or {}).items()))
        out.print(f"[bold]{ds['dataset']}[/] v{active['version']}: {active['entities']:,} entities, "
                  f"data as of {active['data_date'] or '-'}, loaded {(active['loaded_at'] or '')[:19]}"
                  f"{', issues: ' + issues if issues else ''}", highlight=False)
        schemata = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.get("schema", {}).items()))
        out.print(f"    by schema: {schemata}", highlight=False)
        for name, count in sorted(counts.get("lists", {}).items(), key=lambda kv: -kv[1]):
            out.print(f"    {count:>8,}  {name}", highlight=False)


@lists.command("diff")
@click.argument("dataset")
@click.option("--version", type=int, default=None, help="A version id (default: active).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lists_diff(obj: Context, dataset: str, version: int | None, as_json: bool) -> None:
    """What the latest load of DATASET added, removed and changed."""
    try:
        data = obj.store.diff(dataset, version)
    except RedflagsError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(data)
        return
    out.print(f"[bold]{dataset}[/] version {data['version']} against "
              f"{data['previous_version'] or 'nothing'}: {data['added']:,} added, "
              f"{data['removed']:,} removed, {data['modified']:,} modified")
    for kind, sign in (("added", "+"), ("removed", "-"), ("modified", "~")):
        for item in data["changes"][kind][:200]:
            out.print(f" {sign} {item['id']}  {item['caption']}", highlight=False, markup=False)
            for prop, change in (item.get("changes") or {}).items():
                if isinstance(change, dict) and "added" in change:
                    for v in change["added"]:
                        out.print(f"     {prop} + {v}", highlight=False, markup=False)
                    for v in change["removed"]:
                        out.print(f"     {prop} - {v}", highlight=False, markup=False)


@lists.command("issues")
@click.argument("dataset")
@click.option("--version", type=int, default=None, help="A version id (default: newest).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lists_issues(obj: Context, dataset: str, version: int | None, as_json: bool) -> None:
    """Problems found in the files of a load (newest attempt by default, failed ones too)."""
    status = {d["dataset"]: d for d in obj.store.status()}
    if dataset not in status:
        raise click.ClickException(f"no dataset {dataset!r}")
    if version is None:
        version = status[dataset]["versions"][0]["version"]
    rows = obj.store.issues(version)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        field = f", field {row['field']}" if row["field"] else ""
        value = f" (value {row['value']!r})" if row["value"] is not None else ""
        out.print(f"{row['severity']}: {row['file']}, {row['locator']}{field}: "
                  f"{row['message']}{value}", highlight=False, markup=False)


@main.command("entity")
@click.argument("entity_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def entity(obj: Context, entity_id: str, as_json: bool) -> None:
    """One listed entity with all its properties and provenance."""
    try:
        data = obj.store.entity(entity_id)
    except RedflagsError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(data)
        return
    out.print(f"[bold]{data['caption']}[/] ({data['schema']}) {data['id']}")
    out.print(f"lists: {', '.join(data['lists'])}")
    table = Table("property", "value", "as published", show_lines=False)
    for prop, values in data["properties"].items():
        for value in values:
            table.add_row(prop, value, data.get("original", {}).get(prop, {}).get(value, ""))
    for prop, values in data.get("unparsed", {}).items():
        for value in values:
            table.add_row(prop, "(unreadable)", value)
    out.print(table)
    for sanction in data["sanctions"]:
        out.print("listing: " + "; ".join(f"{k}={v}" for k, v in sanction.items()),
                  highlight=False, markup=False)
    prov = data["provenance"]
    out.print(f"source: {prov['dataset']} version {prov['version']} ({prov['format']}), loaded "
              f"{prov['loaded_at']}, " + ", ".join(f"{f['name']} sha256 {f['sha256'][:12]}…"
                                                    for f in prov["files"]), highlight=False)
    out.print("records: " + ", ".join(data["locators"]), highlight=False, markup=False)


def run() -> None:
    try:
        main()
    except BrokenPipeError:
        sys.stderr.close()


__all__ = ["main", "settings"]


@main.command("match")
@click.argument("name")
@click.option("--schema", default=None, help="Person, Company, Organization, ...")
@click.option("--country", "countries", multiple=True, help="Country name or ISO code.")
@click.option("--id", "identifiers", multiple=True, help="An identifier of the party.")
@click.option("--limit", default=5, show_default=True)
@click.option("--threshold", type=float, default=None, help="Alert threshold (default 0.73).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def match_cmd(obj: Context, name: str, schema: str | None, countries: tuple[str, ...],
              identifiers: tuple[str, ...], limit: int, threshold: float | None,
              as_json: bool) -> None:
    """Screen one name against every loaded list, with an explanation per hit."""
    from redflags.match import THRESHOLD
    from redflags.screen.api import match

    if not obj.store.status():
        raise click.ClickException("no lists loaded; load them with `redflags lists load FILE` "
                                   "or `redflags lists update`")
    hits = match(name, schema, countries, identifiers, limit=limit,
                 threshold=THRESHOLD if threshold is None else threshold, store=obj.store)
    if as_json:
        _print_json(hits)
        return
    if not hits:
        out.print("no candidates")
    for hit in hits:
        flag = "[bold red]ALERT[/]" if hit["match"] else "     "
        out.print(f"{flag} {hit['score']:.3f} {hit['caption']} ({hit['schema']}) {hit['id']}")
        out.print(f"      lists: {', '.join(hit['lists'])}", highlight=False)
        out.print(f"      why: {hit['explanation']['summary']}", highlight=False, markup=False)


@main.command("compare")
@click.argument("names", nargs=-1)
@click.option("--schema", default=None)
@click.option("--pairs", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A labelled pair file (entity_checks.yml layout).")
@click.option("--json", "as_json", is_flag=True)
def compare_cmd(names: tuple[str, ...], schema: str | None, pairs: Path | None,
                as_json: bool) -> None:
    """Score NAME1 against NAME2, or every pair of a labelled --pairs file."""
    from redflags.screen import compare

    if pairs is None:
        if len(names) != 2:
            raise click.UsageError("give two names, or --pairs FILE")
        result = compare(names[0], names[1], schema)
        if as_json:
            _print_json(result)
        else:
            out.print(f"{result['score']:.3f} {'match' if result['match'] else 'no match'}: "
                      f"{result['explanation']['summary']}", highlight=False, markup=False)
        return
    import yaml

    checks = (yaml.safe_load(pairs.read_text(encoding="utf-8")) or {}).get("checks", [])
    correct = 0
    rows = []
    for check in checks:
        q, c = check.get("query") or {}, check.get("candidate") or {}
        if not q or not c:
            continue
        result = compare(q, c, check.get("schema"))
        ok = result["match"] == bool(check.get("match"))
        correct += ok
        rows.append({"query": result["explanation"]["query_name"],
                     "candidate": result["explanation"]["matched_name"], "expected": bool(check.get("match")),
                     "score": result["score"], "match": result["match"], "correct": ok})
    if as_json:
        _print_json({"pairs": len(rows), "correct": correct, "results": rows})
    else:
        for row in rows:
            if not row["correct"]:
                out.print(f"wrong: {row['query']!r} vs {row['candidate']!r} scored "
                          f"{row['score']:.3f}, expected {'match' if row['expected'] else 'no match'}",
                          highlight=False, markup=False)
        out.print(f"accuracy {correct}/{len(rows)} = {correct / max(len(rows), 1):.3f}")


@main.command("screen")
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
@click.option("--schema", default=None, help="Schema of every row when no column says it (Company, Person...).")
@click.option("--restart", is_flag=True, help="Start again instead of resuming a killed run.")
@click.pass_obj
def screen_cmd(obj: Context, source: str, output: str, out_format: str | None, input_format: str | None,
               encoding: str | None, delimiter: str | None, sheet: str | None, threshold: float | None,
               cutoff: float, limit: int, workers: int, engine: str, scheduler: str | None,
               name_column: tuple[str, ...], alias_column: tuple[str, ...], id_column: str | None,
               schema_column: str | None, country_column: tuple[str, ...], identifier_column: tuple[str, ...],
               birth_date_column: str | None, schema: str | None, restart: bool) -> None:
    """Screen every row of INPUT (CSV, XLSX, JSON lines, Parquet; - is stdin) against every loaded list."""
    from redflags.batch import Options, screen_file
    from redflags.batch.outputs import format_for
    from redflags.match import THRESHOLD

    if limit < 1:
        raise click.BadParameter("must be at least 1", param_hint="--limit")
    if not 0 <= cutoff <= 1 or (threshold is not None and not 0 <= threshold <= 1):
        raise click.BadParameter("scores are between 0 and 1", param_hint="--threshold/--cutoff")
    columns = {"name": list(name_column), "alias": list(alias_column), "id": [id_column] if id_column else [],
               "schema": [schema_column] if schema_column else [], "country": list(country_column),
               "identifier": list(identifier_column), "birth_date": [birth_date_column] if birth_date_column else []}
    options = Options(output_format=format_for(output, out_format), columns=columns, schema=schema,
                      threshold=THRESHOLD if threshold is None else threshold, cutoff=cutoff, limit=limit,
                      workers=workers, engine=engine, scheduler=scheduler, fmt=input_format, encoding=encoding,
                      delimiter=delimiter, sheet=sheet, restart=restart)
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

        try:
            result = screen_file(obj.store, source, output, options, progress=progress)
        except RedflagsError as exc:
            raise _fail(exc) from exc
    run = result.run
    counts = run["counts"] or {}
    elapsed = time.perf_counter() - started
    info = run["input_info"]
    detected = f", {info['encoding']} ({info['encoding_detected_by']})" if info.get("encoding_detected_by") else ""
    resumed = f", resumed after row {result.resumed_from:,}" if result.resumed_from else ""
    err.print(f"{run['input']} ({info['format']}{detected}): {counts.get('rows', 0):,} rows in {elapsed:.1f} s"
              f"{resumed}: [bold red]{counts.get('alert', 0):,} alert[/], {counts.get('clear', 0):,} clear, "
              f"{counts.get('error', 0):,} error; run {run['id']}"
              + (f" -> {result.output}" if result.output else ""), highlight=False)


@main.command("runs")
@click.argument("run_id", required=False)
@click.option("--limit", default=20, show_default=True, help="How many of the latest runs to list.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def runs_cmd(obj: Context, run_id: str | None, limit: int, as_json: bool) -> None:
    """Screening runs (latest first), or one run's parameters, list versions and counts."""
    if run_id is None:
        runs = obj.store.runs(limit)
        if as_json:
            _print_json(runs)
            return
        if not runs:
            err.print("No screening runs yet: `redflags screen FILE`.")
            return
        table = Table("run", "status", "started", "input", "rows", "alert", "clear", "error")
        for run in runs:
            counts = run["counts"] or {}
            table.add_row(run["id"], run["status"], (run["started_at"] or "")[:19], run["input"],
                          *(f"{counts.get(k, 0):,}" for k in ("rows", "alert", "clear", "error")))
        out.print(table)
        return
    try:
        data = obj.store.run(run_id)
    except RedflagsError as exc:
        raise _fail(exc) from exc
    if as_json:
        _print_json(data)
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
    out.print(f"  rows {counts.get('rows', 0):,}: {counts.get('alert', 0):,} alert, {counts.get('clear', 0):,} clear, "
              f"{counts.get('error', 0):,} error", highlight=False)
    for name, n in (counts.get("alerts_by_list") or {}).items():
        out.print(f"    {n:>8,}  {name}", highlight=False)


@main.group()
def keys() -> None:
    """API keys for `redflags serve`."""


@keys.command("create")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), required=True)
@click.option("--name", default="", help="Who or what the key is for.")
@click.pass_obj
def keys_create(obj: Context, role: str, name: str) -> None:
    """Make a key and print it (it is shown this once; only its hash is kept)."""
    from redflags.api.keys import create_key

    key_id, key = create_key(obj.store, role, name)
    err.print(f"key {key_id} ({role}) created; store it now, it is not shown again:", highlight=False)
    click.echo(key)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def keys_list(obj: Context, as_json: bool) -> None:
    """The keys, their roles and whether they are revoked (never the keys themselves)."""
    rows = obj.store.keys()
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "name", "role", "created", "revoked")
    for row in rows:
        table.add_row(row["id"], row["name"], row["role"], (row["created_at"] or "")[:19],
                      (row["revoked_at"] or "")[:19])
    out.print(table)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_obj
def keys_revoke(obj: Context, key_id: str) -> None:
    """Revoke a key: requests with it are refused from then on."""
    try:
        obj.store.revoke_key(key_id)
    except RedflagsError as exc:
        raise _fail(exc) from exc
    err.print(f"key {key_id} revoked")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Server processes, each with its own index.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, workers: int) -> None:
    """The HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    import os

    import uvicorn

    from redflags.api.protocol import HeaderDeadlineProtocol

    if workers <= 1:
        from redflags.api.app import configure_access_log, create_app

        configure_access_log()
        uvicorn.run(create_app(obj.store), host=host, port=port, log_level="info", access_log=False,
                    http=HeaderDeadlineProtocol)
        return
    import tempfile

    from redflags.api.limits import FileBuckets

    # Each server process imports redflags.api.server afresh and reads the database URL, and
    # the file the processes keep their shared rate-limit buckets in, from here.
    os.environ["REDFLAGS_DB"] = obj.store.url
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="redflags-serve-", dir=shm if shm.is_dir() else None) as folder:
        os.environ["REDFLAGS_API_RATE_FILE"] = str(FileBuckets.create(Path(folder) / "rate-limits"))
        uvicorn.run("redflags.api.server:app", host=host, port=port, workers=workers, log_level="info",
                    access_log=False, http=HeaderDeadlineProtocol)
