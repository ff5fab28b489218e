"""The ``redflags`` command line: this module only wires the command modules together.

Each command module imports what its command needs when it runs, so that ``redflags
--version`` or ``redflags match`` do not pay for the loaders, the API or the batch engine.
"""

import click

from redflags import settings
from redflags.cli.audit import audit
from redflags.cli.common import Context, Group, run, setup_logging
from redflags.cli.entity import entity
from redflags.cli.hooks import hooks_cmd
from redflags.cli.keys import keys
from redflags.cli.links import links
from redflags.cli.lists import lists
from redflags.cli.match import compare_cmd, match_cmd
from redflags.cli.review import alerts, certificate_cmd, config_cmd
from redflags.cli.scan import scan_cmd
from redflags.cli.screen import runs_cmd, screen_cmd
from redflags.cli.serve import serve
from redflags.cli.watch import monitor_cmd, watch_cmd


@click.group(cls=Group)
@click.option("--db", envvar="REDFLAGS_DB", default=None,
              help="Database URL (default: SQLite in $REDFLAGS_HOME/redflags.db).")
@click.option("--actor", default=None, help="Who is recorded as doing this (default: $REDFLAGS_ACTOR, else the OS user).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.version_option(package_name="redflags")
@click.pass_context
def main(ctx: click.Context, db: str | None, actor: str | None, verbose: bool) -> None:
    """redflags: screen parties against official restricted-party and sanctions lists."""
    setup_logging(verbose)
    if actor:
        settings.ACTOR = actor  # what the store records as the actor of loads and key changes
    ctx.obj = Context(db, actor)


for command in (lists, entity, match_cmd, compare_cmd, screen_cmd, runs_cmd, alerts, certificate_cmd, audit,
                config_cmd, watch_cmd, monitor_cmd, hooks_cmd, scan_cmd, links, keys, serve):
    main.add_command(command)

__all__ = ["main", "run", "settings"]
