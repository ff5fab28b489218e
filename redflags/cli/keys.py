"""``redflags keys``: the API keys of ``redflags serve``."""

import click
from rich.table import Table

from redflags.cli.common import Context, err, out, print_json


@click.group()
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
        print_json(rows)
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
    obj.store.revoke_key(key_id)
    err.print(f"key {key_id} revoked")
