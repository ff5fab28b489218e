"""``redflags audit``: verify, checkpoint, export and purge the audit trail."""

import json
import sys
from pathlib import Path

import click

from redflags.cli.common import Context, err, print_json


@click.group("audit")
def audit() -> None:
    """The hash-chained audit trail of loads, screenings, decisions, approvals, keys and settings."""


@audit.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint file: also prove the log still extends it.")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The Ed25519 public key (PEM) the checkpoint must be signed with.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def audit_verify(obj: Context, checkpoint_file: Path | None, public_key: Path | None, as_json: bool) -> None:
    """Recompute the chain and the rows it records; name the first entry that does not hold (exit 1)."""
    from redflags.audit import verify, verify_checkpoint
    from redflags.exc import InputError

    if checkpoint_file is not None:
        try:
            checkpoint = json.loads(checkpoint_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"{checkpoint_file}: not JSON ({exc})") from exc
        report = verify_checkpoint(obj.store.engine, checkpoint, public_key)
    else:
        report = verify(obj.store.engine)
    if as_json:
        print_json(report.to_dict())
    else:
        checked = ", ".join(f"{n:,} {k}" for k, n in report.checked.items())
        if report.ok:
            err.print(f"[green]ok[/]: {report.entries:,} entries, head {report.head_seq} {report.head_hash[:16]}…"
                      + (f"; rows checked: {checked}" if checked else ""), highlight=False)
        for problem in report.problems:
            err.print(f"[bold red]FAILED[/]: {problem.message}", highlight=False)
        if report.checkpoint:
            c = report.checkpoint
            if c["extended_by"] is not None:
                err.print(f"checkpoint {c['seq']} of {c['at']} ({c['signature']}): the log extends it by "
                          f"{c['extended_by']:,} entries", highlight=False)
    if not report.ok:
        sys.exit(1)


@audit.command("checkpoint")
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ed25519 private key (PEM) to sign the checkpoint with.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the checkpoint here too (keep it outside the database).")
@click.pass_obj
def audit_checkpoint(obj: Context, sign_key: Path | None, output: Path | None) -> None:
    """Print the current head of the log (signed with --sign-key), to keep outside the database."""
    from redflags.audit import make_checkpoint

    checkpoint = make_checkpoint(obj.store.engine, sign_key)
    text = json.dumps(checkpoint, indent=2)
    click.echo(text)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")


@audit.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def audit_keygen(path: Path) -> None:
    """Write a new Ed25519 signing key to PATH (and its public key to PATH.pub)."""
    from redflags.audit import new_signing_key

    public = new_signing_key(path)
    err.print(f"{path}: private key (keep it safe); {public}: public key (give it to whoever checks)",
              highlight=False)


@audit.command("export")
@click.option("--since", default=None, help="From this time (ISO 8601 UTC, e.g. 2026-01-01).")
@click.option("--until", default=None, help="Before this time.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", default="-", show_default=True)
@click.pass_obj
def audit_export(obj: Context, since: str | None, until: str | None, fmt: str, output: str) -> None:
    """The log's entries for an examiner."""
    from redflags.audit import export_entries

    if output == "-":
        count = export_entries(obj.store.engine, sys.stdout, fmt, since, until)
    else:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            count = export_entries(obj.store.engine, fh, fmt, since, until)
    err.print(f"{count:,} entries", highlight=False)


@audit.command("purge")
@click.option("--years", type=int, default=None, help="Older than this (default: the retention.years setting).")
@click.pass_obj
def audit_purge(obj: Context, years: int | None) -> None:
    """Apply retention: purge screened parties' details older than the retention period."""
    from redflags.review.retention import purge

    print_json(purge(obj.store, obj.actor, years))
