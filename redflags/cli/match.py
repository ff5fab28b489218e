"""``redflags match`` one party against the lists, ``redflags compare`` two names."""

from pathlib import Path

import click

from redflags.cli.common import Context, out, print_json


@click.command("match")
@click.argument("name")
@click.option("--schema", default=None, help="Person, Company, Organization, ...")
@click.option("--country", "countries", multiple=True, help="Country name or ISO code.")
@click.option("--id", "identifiers", multiple=True, help="An identifier of the party.")
@click.option("--limit", default=5, show_default=True)
@click.option("--threshold", type=float, default=None, help="Alert threshold (default 0.73).")
@click.option("--on", "on", default=None, metavar="YYYY-MM-DD",
              help="Transaction date on which links to listed parties are judged (default today).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def match_cmd(obj: Context, name: str, schema: str | None, countries: tuple[str, ...],
              identifiers: tuple[str, ...], limit: int, threshold: float | None, on: str | None,
              as_json: bool) -> None:
    """Screen one name against every loaded list, with an explanation per hit; then the listed
    parties it is a brand, subsidiary or affiliate of (LINKED), with the path, source and rules."""
    from redflags.match import THRESHOLD
    from redflags.screen.api import match

    hits = match(name, schema, countries, identifiers, limit=limit,
                 threshold=THRESHOLD if threshold is None else threshold, db=obj.db, on=on)
    if as_json:
        print_json(hits)
        return
    if not hits:
        out.print("no candidates")
    for hit in hits:
        if hit.get("kind") == "linked":
            print_linked(hit)
            continue
        flag = "[bold red]ALERT[/]" if hit["match"] else "     "
        out.print(f"{flag} {hit['score']:.3f} {hit['caption']} ({hit['schema']}) {hit['id']}")
        out.print(f"      lists: {', '.join(hit['lists'])}", highlight=False)
        out.print(f"      why: {hit['explanation']['summary']}", highlight=False, markup=False)


def print_linked(hit: dict) -> None:
    link = hit["link"]
    flag = "[bold magenta]LINKED[/]" if hit["match"] else "[dim]linked, not in force[/]"
    out.print(f"{flag} {hit['score']:.3f} {link['path']}", highlight=False)
    dates = f"{link['why']} ({link['date_basis']})"
    share = f"; share {link['share']:g} %" if link.get("share") is not None else ""
    out.print(f"      relation: {link['reads']}{share}; {dates}", highlight=False, markup=False)
    out.print(f"      source: {link['source']} ({link['origin']})", highlight=False, markup=False)
    for rule in link["rules"] or [{"title": "no rule on record for these lists", "status": "", "reaches": "",
                                   "why": ""}]:
        detail = f": {rule['status']}, reaches it: {rule['reaches']} ({rule['why']})" if rule["status"] else ""
        out.print(f"      rule: {rule['title']}{detail}", highlight=False, markup=False)
    out.print(f"      name: {hit['explanation']['summary'].rsplit('| name: ', 1)[-1]}", highlight=False,
              markup=False)


@click.command("compare")
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
            print_json(result)
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
        print_json({"pairs": len(rows), "correct": correct, "results": rows})
    else:
        for row in rows:
            if not row["correct"]:
                out.print(f"wrong: {row['query']!r} vs {row['candidate']!r} scored "
                          f"{row['score']:.3f}, expected {'match' if row['expected'] else 'no match'}",
                          highlight=False, markup=False)
        out.print(f"accuracy {correct}/{len(rows)} = {correct / max(len(rows), 1):.3f}")
