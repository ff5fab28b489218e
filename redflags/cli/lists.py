"""``redflags lists``: load, update and inspect the lists; link and unlink their records."""

from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from redflags.cli.common import Context, err, fail, out, print_json, stop_on_sigterm
from redflags.exc import RedflagsError


@click.group()
def lists() -> None:
    """Load, update and inspect the lists redflags screens against."""


def _progress() -> Any:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} records"), TimeElapsedColumn(), console=err,
                    transient=True, disable=not err.is_terminal)


def _report(result: Any) -> None:
    """One line per load, and one for its issues counted by kind; the issues themselves are for
    ``redflags lists issues``."""
    s = result.summary
    job = result.job
    err.print(f"[bold]{job.dataset}[/] v{s['version']} from {job.path.name} ({job.format}): "
              f"{s['entity_count']:,} entities; +{s['added']:,} -{s['removed']:,} ~{s['modified']:,}",
              highlight=False, soft_wrap=True)
    kinds = Counter((i.severity, i.code) for i in result.issues)
    if kinds:
        order = {"error": 0, "warning": 1, "info": 2}
        shown = ", ".join(f"{n:,} {code} ({severity})" for (severity, code), n in
                          sorted(kinds.items(), key=lambda kv: (order.get(kv[0][0], 3), -kv[1])))
        err.print(f"    issues: {shown}; details: `redflags lists issues {job.dataset}`", highlight=False,
                  markup=False, soft_wrap=True)


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
    stop_on_sigterm()
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
        raise fail(exc) from exc
    if as_json:
        print_json([{**r.summary, "issues": [i.to_dict() for i in r.issues]} for r in results])
    else:
        _monitor(obj)


def _monitor(obj: Context) -> None:
    """A new list version: the watched portfolios are re-screened against what changed."""
    from redflags.monitor.hooks import deliver_pending
    from redflags.monitor.loop import rescreen_lines
    from redflags.monitor.rescreen import rescreen

    done = rescreen(obj.store, obj.actor)
    for line in rescreen_lines(done):
        err.print(line, highlight=False, markup=False)
    if done:
        counts = deliver_pending(obj.store)
        if any(counts.values()):
            err.print("deliveries: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()), highlight=False)


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
    stop_on_sigterm()
    names = list(sources) or list(fetch.read_sources(sources_file))
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
    _monitor(obj)
    if failed:
        raise click.ClickException(f"{failed} of {len(names)} source(s) failed; the previous "
                                   "versions stay active")


@lists.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.option("--parties", "wide", is_flag=True, help="With --json: the lists and the merge counts.")
@click.pass_obj
def lists_status(obj: Context, as_json: bool, wide: bool) -> None:
    """Datasets, their versions, counts by schema and component list, and dates."""
    data = obj.store.status()
    if as_json:
        from redflags.index.persist import cached_stats

        print_json({"lists": data, "parties": cached_stats(obj.store)} if wide else data)
        return
    if not data:
        err.print("No lists loaded. Load one with `redflags lists load FILE` or "
                  "`redflags lists update`.")
        return
    from redflags.index.persist import cached_stats

    stats = cached_stats(obj.store)
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
    if stats is None:
        out.print("parties: counted when the index is next built (the next `redflags match` or `screen`)")
    else:
        out.print(f"parties: {stats['records']:,} records are {stats['parties']:,} parties; "
                  f"{stats['merged_records']:,} records were merged into {stats['merged_parties']:,} "
                  "(the same party on several lists: `redflags lists unlink ID ID` undoes a merge)",
                  highlight=False)


@lists.command("diff")
@click.argument("dataset")
@click.option("--version", type=int, default=None, help="A version id (default: active).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lists_diff(obj: Context, dataset: str, version: int | None, as_json: bool) -> None:
    """What the latest load of DATASET added, removed and changed."""
    data = obj.store.diff(dataset, version)
    if as_json:
        print_json(data)
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
        print_json(rows)
        return
    for row in rows:
        field = f", field {row['field']}" if row["field"] else ""
        value = f" (value {row['value']!r})" if row["value"] is not None else ""
        out.print(f"{row['severity']}: {row['file']}, {row['locator']}{field}: "
                  f"{row['message']}{value}", highlight=False, markup=False)




def _actor(given: str | None) -> str:
    from redflags import settings

    return given or settings.actor()


def _judge(obj: Context, left: str, right: str, judgement: str, by: str | None, reason: str) -> None:
    from redflags.index.persist import open_index

    store = obj.store
    unknown = [i for i in (left, right) if not store.record_exists(i)]
    if unknown:
        err.print(f"note: {', '.join(unknown)} is in no active list; the judgement is kept for when it is",
                  highlight=False)
    row = store.judge(left, right, judgement, _actor(by), reason)
    verb = "the same party" if judgement == "positive" else "different parties"
    err.print(f"judgement {row['id']}: {row['left_id']} and {row['right_id']} are {verb} "
              f"(by {row['actor']}, {row['created_at']})", highlight=False, markup=False)
    index = open_index(store)
    a, b = index.number(left), index.number(right)
    if a is not None and b is not None:
        together = "one party" if a == b else "two parties"
        err.print(f"the index now has them as {together}", highlight=False)


@lists.command("link")
@click.argument("left")
@click.argument("right")
@click.option("--by", default=None, help="Who judges (default: --actor, $REDFLAGS_ACTOR, the OS user).")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.pass_obj
def lists_link(obj: Context, left: str, right: str, by: str | None, reason: str) -> None:
    """Judge records LEFT and RIGHT to be the same party: one hit from now on, whatever their
    identifiers say. Kept across reloads; the newest judgement of a pair is in force."""
    _judge(obj, left, right, "positive", by, reason)


@lists.command("unlink")
@click.argument("left")
@click.argument("right")
@click.option("--by", default=None, help="Who judges (default: --actor, $REDFLAGS_ACTOR, the OS user).")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.pass_obj
def lists_unlink(obj: Context, left: str, right: str, by: str | None, reason: str) -> None:
    """Judge records LEFT and RIGHT to be different parties: undoes a merge made by shared
    identifiers (or by an earlier link). Kept across reloads."""
    _judge(obj, left, right, "negative", by, reason)


@lists.command("judgements")
@click.argument("record_id", required=False)
@click.option("--history", is_flag=True, help="Every judgement, also those a newer one replaced.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lists_judgements(obj: Context, record_id: str | None, history: bool, as_json: bool) -> None:
    """The link/unlink judgements in force (of one record, or all): who made them and when."""
    rows = obj.store.judgements(record_id, history=history)
    if as_json:
        print_json(rows)
        return
    if not rows:
        err.print("No judgements yet: `redflags lists link ID ID` or `redflags lists unlink ID ID`.")
    for row in rows:
        kind = "same party " if row["judgement"] == "positive" else "different  "
        reason = f" ({row['reason']})" if row["reason"] else ""
        out.print(f"{row['id']:>5} {kind} {row['left_id']}  {row['right_id']}  by {row['actor']} at "
                  f"{row['created_at']}{reason}", highlight=False, markup=False)
