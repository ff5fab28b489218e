"""``redflags links``: the links to listed parties (brands, subsidiaries, affiliates) and the rules."""

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from redflags.cli.common import Context, err, fail, out, print_json


@click.group("links")
def links() -> None:
    """Brands, subsidiaries and affiliates of listed parties, and the rules that reach them."""


@links.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dataset", default="links", show_default=True, help="Dataset the links are kept in.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def links_load(obj: Context, path: Path, dataset: str, as_json: bool) -> None:
    """Load a links CSV (name, parent, relation, share, start, end, source...) as a versioned dataset."""
    from redflags import ingest
    from redflags.exc import RedflagsError

    try:
        result = ingest.load(obj.store, [path], fmt="links_csv", dataset=dataset)[0]
    except RedflagsError as exc:
        raise fail(exc) from exc
    if as_json:
        print_json({**result.summary, "issues": [i.to_dict() for i in result.issues]})
        return
    summary = result.summary
    err.print(f"{dataset} v{summary['version']} from {path.name}: {summary['entity_count']:,} links", highlight=False)
    for issue in result.issues:
        err.print(f"  {issue}", highlight=False, markup=False)


@links.command("list")
@click.option("--on", "on", default=None, metavar="YYYY-MM-DD", help="Show whether each link held on this day.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def links_list(obj: Context, on: str | None, as_json: bool) -> None:
    """Every link in effect: the curated table, the lists' own (ownership, named subsidiaries) and yours."""
    from redflags.screen.api import current_screener

    day = dt.date.fromisoformat(on) if on else dt.date.today()
    linker = current_screener(obj.db).linker
    rows: list[dict[str, Any]] = []
    for link in linker.links if linker is not None else []:
        held, why = link.in_force(day)
        parents = linker.parents(link)
        rows.append({**link.to_dict(), "in_force": held, "why": why,
                     "listed": [{"id": p["id"], "caption": p["caption"], "lists": p["lists"]} for p in parents]})
    if as_json:
        print_json(rows)
        return
    table = Table("party", "relation", "listed party", "lists", "when", "origin", "source")
    for row in rows:
        listed = "; ".join(p["caption"] for p in row["listed"]) or f"[dim]{row['parent']} (not on a loaded list)[/]"
        lists = ", ".join(sorted({n for p in row["listed"] for n in p["lists"]}))
        table.add_row(row["names"][0], row["relation"], listed, lists, row["why"], row["origin"], row["source"])
    out.print(table)


@links.command("rules")
@click.option("--on", "on", default=None, metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
def links_rules(on: str | None, as_json: bool) -> None:
    """The rules each list applies to linked parties, and their status on a day (default today)."""
    from redflags.links import load_rules

    day = dt.date.fromisoformat(on) if on else dt.date.today()
    rows: list[dict[str, Any]] = [
        {"id": r.id, "title": r.title, "lists": list(r.lists), "reaches": r.reaches, "min_share": r.min_share,
         "status": r.status(day), "source": r.source, "note": r.note} for r in load_rules()]
    if as_json:
        print_json(rows)
        return
    table = Table("rule", "lists", "reaches", f"status on {day.isoformat()}", "source")
    for row in rows:
        reach = f"owned ≥ {row['min_share']:g} %" if row["reaches"] == "ownership" else "the listed entity only"
        table.add_row(row["title"], ", ".join(row["lists"]), reach, row["status"], row["source"])
    out.print(table)
