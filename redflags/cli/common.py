"""What every command shares: the consoles, the store of the run, errors as ``Error: …``."""

import json
import logging
import sys
from typing import Any

import click
from rich.console import Console

from redflags.exc import RedflagsError

err = Console(stderr=True)
out = Console()


class Context:
    def __init__(self, db: str | None, actor: str | None = None) -> None:
        self.db = db
        self._actor = actor
        self._store: Any = None

    @property
    def actor(self) -> str:
        """Who is recorded as doing what this command does: --actor, REDFLAGS_ACTOR, the OS user."""
        from redflags import settings

        return self._actor or settings.actor()

    @property
    def store(self) -> Any:
        if self._store is None:
            from redflags.store import open_store

            self._store = open_store(self.db)
        return self._store


def stop_on_sigterm() -> None:
    """SIGTERM ends a load the way Ctrl-C does, so that the attempt is recorded as failed; and
    SIGINT does so even when the process was started with it ignored (a child inherits an
    ignored SIGINT from its parent: a load sent SIGINT would then finish and activate)."""
    import signal

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class Group(click.Group):
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



def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s %(message)s")
    # building the index takes seconds: say so, once, whatever the verbosity
    logging.getLogger("redflags.index").setLevel(logging.INFO)


def run() -> None:
    from redflags.cli import main

    try:
        main()
    except BrokenPipeError:
        sys.stderr.close()
