"""``redflags serve``: the HTTP API and the web UI."""

from pathlib import Path

import click

from redflags.cli.common import Context


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="Server processes, forked from one that loaded the index (they share its memory).")
@click.pass_obj
def serve(obj: Context, host: str, port: int, workers: int) -> None:
    """The HTTP API (OpenAPI at /openapi.json, docs at /docs) and the web UI (/ui/)."""
    import uvicorn

    from redflags.api.protocol import HeaderDeadlineProtocol

    if workers <= 1:
        from redflags.api.app import configure_access_log, create_app

        configure_access_log()
        uvicorn.run(create_app(obj.store), host=host, port=port, log_level="info", access_log=False,
                    http=HeaderDeadlineProtocol)
        return
    import tempfile

    from redflags.api.app import configure_access_log, create_app
    from redflags.api.limits import FileBuckets
    from redflags.api.prefork import serve as serve_forked

    configure_access_log()
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="redflags-serve-", dir=shm if shm.is_dir() else None) as folder:
        rate_file = str(FileBuckets.create(Path(folder) / "rate-limits"))
        store = obj.store
        app = create_app(store, rate_file=rate_file)

        def warm() -> None:
            """Open the index and answer one query of each kind before the workers are forked."""
            from redflags.api.matching import warm_up

            warm_up(app.state.holder)
            store.engine.dispose()  # no database connection crosses a fork

        config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False,
                                http=HeaderDeadlineProtocol)
        serve_forked(config, workers, warm)
