"""``redflags alerts``, ``redflags certificate`` and ``redflags config``: the review of alerts."""

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from redflags.cli.common import Context, err, out, print_json

STATUS_STYLE = {"open": "bold red", "review_required": "bold red", "escalated": "yellow", "true_match": "red",
                "false_positive": "green"}


@click.group("alerts")
def alerts() -> None:
    """Alerts raised by screenings, and decisions on them."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["open", "true_match", "false_positive", "escalated", "review_required",
                                            "delisted"]))
@click.option("--run", "run_id", default=None, help="Alerts opened or changed by this screening run.")
@click.option("--listed", default=None, help="Alerts on this listed party (its id).")
@click.option("--party", default=None, help="Alerts of this screened party (its key).")
@click.option("--min-score", type=float, default=None)
@click.option("--before", type=int, default=None, help="Page on: alerts older than this alert id.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--kind", type=click.Choice(["direct", "linked"]), default=None,
              help="Only alerts on listed parties, or only on linked parties (brands, subsidiaries...).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def alerts_list(obj: Context, status: str | None, run_id: str | None, listed: str | None, party: str | None,
                min_score: float | None, before: int | None, limit: int, kind: str | None, as_json: bool) -> None:
    """The alert queue, newest first; alerts on linked parties are marked LINKED."""
    from redflags.review import list_alerts

    rows = list_alerts(obj.store, status, run_id, listed, party, min_score, before, limit, kind)
    if as_json:
        print_json(rows)
        return
    if not rows:
        err.print("No alerts" + (" with these filters." if any((status, run_id, listed, party, min_score, before))
                                 else " yet: `redflags screen FILE` records them."))
        return
    table = Table("alert", "kind", "status", "score", "party", "listed party", "lists")
    table.columns[3].overflow = "fold"
    for row in rows:
        style = STATUS_STYLE.get(row["status"], "")
        pending = " (approval pending)" if row["pending_id"] else ""
        kind = "[magenta]LINKED[/]" if row["kind"] == "linked" else "direct"
        listed_party = row["link"]["path"] if row.get("link") else row["caption"]
        table.add_row(str(row["id"]), kind, f"[{style}]{row['status']}[/]{pending}", f"{row['score']:.2f}",
                      row["party"]["key"], listed_party, ", ".join(row["lists"]))
    out.print(table)
    if len(rows) == limit:
        err.print(f"more: --before {rows[-1]['id']}", highlight=False)


@alerts.command("show")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def alerts_show(obj: Context, alert_id: int, as_json: bool) -> None:
    """One alert: the party beside the listed party, the explanation, what changed, the decisions."""
    from redflags.review import alert_detail

    data = alert_detail(obj.store, alert_id)
    if as_json:
        print_json(data)
        return
    party, hit = data["party"], data["hit"]
    style = STATUS_STYLE.get(data["status"], "")
    out.print(f"[bold]alert {data['id']}[/] [{style}]{data['status']}[/] (version {data['version']}), "
              f"best score {data['score']:.2f}, last {data['last_score']:.2f}", highlight=False)
    props = party["properties"] or {}
    out.print(f"  party   {party['key']}: {'; '.join(props.get('names') or ['(details purged)'])}"
              + (f" [{', '.join(props.get('countries') or [])}]" if props.get("countries") else ""),
              highlight=False, markup=False)
    out.print(f"  listed  {data['caption']} ({data['listed_id']}), {', '.join(data['lists'])}",
              highlight=False, markup=False)
    out.print(f"  why     {hit['explanation']['summary']}", highlight=False, markup=False)
    for change in data["changes"] or []:
        what = change.get("note") or ", ".join(
            f"{k} {v}" for k, v in change.items() if k in ("added", "removed", "before", "after") and v not in ([], None))
        out.print(f"  [bold red]changed[/] {change['side']} {change.get('record', '')} {change['field']}: {what}",
                  highlight=False)
    for d in data["decisions"]:
        state = "in force" if d["in_force"] else ("awaiting approval" if d["pending"] else "superseded")
        approved = f", approved by {d['approval']['actor']}" if d["approval"] else ""
        out.print(f"  decision {d['id']} {d['decision']} ({d['reason']}) by {d['actor']} at {d['at'][:19]}, "
                  f"{state}{approved}" + (f": {d['comment']}" if d["comment"] else ""), highlight=False, markup=False)
    for s in data["screenings"][:10]:
        out.print(f"  screened {s['at'][:19]} by {s['actor']}: {s['status']}, score {s['score']}, lists {s['versions']}",
                  highlight=False, markup=False)


@alerts.command("decide")
@click.argument("alert_id", type=int)
@click.option("--decision", required=True, type=click.Choice(["false_positive", "true_match", "escalated"]))
@click.option("--reason", required=True, help="A reason code (`redflags config show review.reasons`).")
@click.option("--comment", default=None)
@click.option("--version", "version", type=int, default=None,
              help="The alert version you reviewed (default: the one read now); a changed alert is refused.")
@click.pass_obj
def alerts_decide(obj: Context, alert_id: int, decision: str, reason: str, comment: str | None,
                  version: int | None) -> None:
    """Decide an alert (recorded as --actor / REDFLAGS_ACTOR / the OS user)."""
    from redflags.review import alert_detail, decide

    if version is None:
        version = alert_detail(obj.store, alert_id)["version"]
    result = decide(obj.store, alert_id, decision, reason, comment, obj.actor, None, version)
    if result["pending"]:
        err.print(f"decision {result['id']} on alert {alert_id} ({decision}) waits for a second person: "
                  f"`redflags --actor OTHER alerts approve {alert_id}`", highlight=False)
    else:
        err.print(f"decision {result['id']}: alert {alert_id} is {decision} (by {result['actor']})", highlight=False)


@alerts.command("approve")
@click.argument("alert_id", type=int)
@click.pass_obj
def alerts_approve(obj: Context, alert_id: int) -> None:
    """Approve the decision waiting on an alert (another person than its author)."""
    from redflags.review import approve

    result = approve(obj.store, alert_id, obj.actor)
    err.print(f"approval {result['approval']}: decision {result['decision']['id']} by {result['decision']['actor']} "
              f"approved by {result['actor']}; alert {alert_id} is {result['status']}", highlight=False)


@click.command("certificate")
@click.argument("party")
@click.option("-o", "--output", default="-", show_default=True, help="File to write (.html or .pdf); - is stdout.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "json"]), default=None,
              help="Default: from the output's extension, else html.")
@click.pass_obj
def certificate_cmd(obj: Context, party: str, output: str, fmt: str | None) -> None:
    """Proof of screening of PARTY (its key, e.g. vendors.csv/V-1001, or its input id): every
    screening, the lists and versions, the results, the decisions and who made them."""
    from redflags.review.certificate import certificate_data, render_html, render_pdf

    fmt = fmt or (Path(output).suffix.lstrip(".").lower() if output != "-" else "html")
    if fmt not in ("html", "pdf", "json"):
        fmt = "html"
    data = certificate_data(obj.store, party)
    if fmt == "pdf":
        if output == "-":
            raise click.BadParameter("a PDF needs a file: -o FILE.pdf", param_hint="--output")
        render_pdf(data, Path(output))
    else:
        text = render_html(data) if fmt == "html" else json.dumps(data, ensure_ascii=False, indent=2, default=str)
        if output == "-":
            click.echo(text)
        else:
            Path(output).write_text(text, encoding="utf-8")
    if output != "-":
        err.print(f"{output}: {len(data['screenings'])} screenings, {len(data['alerts'])} alerts of {data['party']['key']}",
                  highlight=False)


@click.group("config")
def config_cmd() -> None:
    """Review settings: reason codes, four-eyes, the re-score margin, retention (each change audited)."""


@config_cmd.command("show")
@click.argument("name", required=False)
@click.pass_obj
def config_show(obj: Context, name: str | None) -> None:
    from redflags.review import get_config

    print_json(get_config(obj.store, name))


@config_cmd.command("set")
@click.argument("name")
@click.argument("value")
@click.pass_obj
def config_set(obj: Context, name: str, value: str) -> None:
    """Set NAME to VALUE (JSON: 0.9, [\"us_csl\"], {\"min_score\": 0.9})."""
    from redflags.review import set_config

    try:
        parsed: Any = json.loads(value)
    except ValueError:
        parsed = value
    print_json(set_config(obj.store, name, parsed, obj.actor))
