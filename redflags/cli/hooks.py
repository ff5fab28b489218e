"""``redflags hooks``: webhooks that hear of alerts and list changes."""

import click
from rich.table import Table

from redflags.cli.common import Context, err, out, print_json

EVENTS = ["alert.created", "alert.review_required", "alert.decided", "list.updated"]


@click.group("hooks")
def hooks_cmd() -> None:
    """Webhooks: signed JSON POSTs of alert and list events, retried, in order per portfolio."""


@hooks_cmd.command("add")
@click.argument("url")
@click.option("--events", "events", multiple=True, type=click.Choice(EVENTS), help="Repeat; default: all.")
@click.option("--secret", default=None, help="Signing secret (default: a new random one, printed once).")
@click.option("--party-field", "party_fields", multiple=True,
              type=click.Choice(["names", "schema", "countries", "identifiers", "birth_dates"]),
              help="Screened party details a payload may carry (default: none, only its key).")
@click.pass_obj
def hooks_add(obj: Context, url: str, events: tuple[str, ...], secret: str | None, party_fields: tuple[str, ...]) -> None:
    from redflags.monitor import add_hook

    hook = add_hook(obj.store, url, list(events) or None, obj.actor, secret, list(party_fields))
    err.print(f"webhook {hook['id']}: {url} for {', '.join(hook['events'])}; signing secret (shown once):",
              highlight=False)
    click.echo(hook["secret"])


@hooks_cmd.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def hooks_list(obj: Context, as_json: bool) -> None:
    from redflags.monitor import hooks

    rows = hooks(obj.store)
    if as_json:
        print_json(rows)
        return
    table = Table("hook", "url", "events", "party fields", "secrets", "state")
    for row in rows:
        table.add_row(str(row["id"]), row["url"], ", ".join(row["events"]), ", ".join(row["party_fields"]) or "-",
                      str(row["secrets"]), "removed" if row["disabled"] else "active")
    out.print(table)


@hooks_cmd.command("remove")
@click.argument("hook_id", type=int)
@click.pass_obj
def hooks_remove(obj: Context, hook_id: int) -> None:
    from redflags.monitor import remove_hook

    remove_hook(obj.store, hook_id, obj.actor)
    err.print(f"webhook {hook_id} removed", highlight=False)


@hooks_cmd.command("rotate")
@click.argument("hook_id", type=int)
@click.option("--drop-old", is_flag=True, help="Stop signing with the previous secrets now.")
@click.pass_obj
def hooks_rotate(obj: Context, hook_id: int, drop_old: bool) -> None:
    """A new signing secret; payloads are signed with it and the previous one until --drop-old."""
    from redflags.monitor.hooks import rotate_secret

    click.echo(rotate_secret(obj.store, hook_id, obj.actor, keep_old=not drop_old))


@hooks_cmd.command("test")
@click.argument("hook_id", type=int)
@click.pass_obj
def hooks_test(obj: Context, hook_id: int) -> None:
    """Send a signed ping now."""
    from redflags.monitor import ping_hook

    result = ping_hook(obj.store, hook_id)
    if not result["ok"]:
        raise click.ClickException(f"{result['url']}: {result['error']}")
    err.print(f"{result['url']}: HTTP {result['status']}", highlight=False)


@hooks_cmd.command("deliver")
@click.pass_obj
def hooks_deliver(obj: Context) -> None:
    """Send the events that are due now (what `redflags monitor` does after each step)."""
    from redflags.monitor import deliver_pending

    counts = deliver_pending(obj.store)
    err.print(", ".join(f"{n:,} {k}" for k, n in counts.items()), highlight=False)


@hooks_cmd.command("deliveries")
@click.option("--hook", "hook_id", type=int, default=None)
@click.option("--status", type=click.Choice(["pending", "delivered", "dead"]), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def hooks_deliveries(obj: Context, hook_id: int | None, status: str | None, limit: int, as_json: bool) -> None:
    """Deliveries, newest first: pending (with the next attempt), delivered, dead (with the last error)."""
    from redflags.monitor import deliveries

    rows = deliveries(obj.store, hook_id, status, limit)
    if as_json:
        print_json(rows)
        return
    table = Table("delivery", "hook", "event", "portfolio", "status", "attempts", "last", "when")
    for row in rows:
        when = row["delivered_at"] or row["next_attempt_at"] or ""
        table.add_row(str(row["id"]), str(row["hook"]), f"{row['kind']} {row['subject']}", row["portfolio"] or "-",
                      row["status"], str(row["attempts"]), row["last_error"] or str(row["last_status"] or ""), when)
    out.print(table)
