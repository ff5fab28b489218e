"""``redflags entity``: one listed record, with its provenance."""

import click
from rich.table import Table

from redflags.cli.common import Context, out, print_json


@click.command("entity")
@click.argument("entity_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def entity(obj: Context, entity_id: str, as_json: bool) -> None:
    """One listed entity with all its properties and provenance."""
    data = obj.store.entity(entity_id)
    if as_json:
        print_json(data)
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
