"""``redflags scan``: which listed parties do these documents mention?"""

import sys
from pathlib import Path

import click

from redflags.cli.common import Context, err


@click.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv", "html"]), default=None,
              help="Output format (default: from the -o suffix, else jsonl).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (default: stdout).")
@click.option("--threshold", type=float, default=None, help="Score from which a mention is reported (default 0.73).")
@click.option("--lang", default=None, help="The documents' language (zh, en, de, ...), instead of a guess.")
@click.option("--exit-code", is_flag=True, help="Exit with status 3 when a listed party is mentioned (1 is an error).")
@click.pass_obj
def scan_cmd(obj: Context, paths: tuple[str, ...], fmt: str | None, output: Path | None, threshold: float | None,
             lang: str | None, exit_code: bool) -> None:
    """Scan documents (text, Markdown, HTML, PDF, DOCX, e-mail; folders; - for stdin) for the
    listed parties they mention."""
    from redflags.match import THRESHOLD
    from redflags.scan import expand, scan_document, scanner
    from redflags.scan.report import write
    from redflags.screen.api import current_screener

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        fmt = suffix if suffix in ("jsonl", "json", "csv", "html") else "jsonl"
    finder = scanner(current_screener(obj.db), THRESHOLD if threshold is None else threshold)
    results = []
    for path in paths:
        if path == "-":
            results.extend(scan_document(finder, "-", "<stdin>", sys.stdin.buffer.read(), lang, fmt == "html"))
            continue
        for item in expand([path]):
            results.extend(scan_document(finder, item, lang=lang, keep_text=fmt == "html"))
    versions = _versions(obj)
    if output is None:
        write(results, fmt, sys.stdout.buffer, versions)
        sys.stdout.flush()
    else:
        with output.open("wb") as fh:
            write(results, fmt, fh, versions)
    parties = {p["id"] for r in results for p in r["parties"]}
    failed = [r for r in results if r["error"]]
    err.print(f"{len(results):,} document(s) scanned: {len(parties):,} listed part{'y' if len(parties) == 1 else 'ies'} "
              f"mentioned{f', {len(failed)} could not be read' if failed else ''}", highlight=False)
    for r in failed:
        err.print(f"  {r['error']}", highlight=False, markup=False)
    if parties and exit_code:
        raise SystemExit(3)


def _versions(obj: Context) -> dict[str, dict[str, object]]:
    """The active list versions the report names (read without opening the store when it can be)."""
    from redflags import settings
    from redflags.store import quick

    state = quick.index_state(obj.db or settings.database_url())
    if state is not None:
        return {name: {"version": version, "source": f"loaded {at}" if at else None}
                for name, version, at in state["versions"]}
    return {name: {"version": info["version"], "source": ", ".join(f for f in info["files"] if f) or None}
            for name, info in obj.store.active_versions().items()}
