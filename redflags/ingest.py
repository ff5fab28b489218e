"""Loading list files into the store: detect, parse, merge, check, write one version.

Nothing is activated until a whole file has parsed, passed its sanity checks and been
written in one transaction; any failure leaves the previous version active and the
failed attempt recorded with its reason.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redflags.exc import SourceAssertionError, SourceFormatError
from redflags.model import Record, make_entity_id
from redflags.sources.base import ParseContext, ParseIssue
from redflags.sources.formats import COMPANION_FORMATS, FORMATS, detect
from redflags.sources.ftm_json import Delta
from redflags.sources.helpers import load_meta
from redflags.sources.ofac_csv import find_companions
from redflags.store import Store

log = logging.getLogger(__name__)

DROP_RATIO = 0.5
"""A new version with fewer than this share of the previous version's entities is
refused as a broken download unless forced."""


@dataclass
class LoadJob:
    path: Path
    format: str
    dataset: str
    companions: dict[str, Path] = field(default_factory=dict)


@dataclass
class LoadResult:
    job: LoadJob
    summary: dict[str, Any]
    issues: list[ParseIssue]


Progress = Callable[[str, int], None]


def default_dataset(fmt: str, path: Path) -> str:
    if FORMATS[fmt].meta == "us_ofac":
        name = path.name.casefold()
        return "us_ofac_cons" if ("cons" in name or "consolidated" in name) else "us_ofac_sdn"
    if fmt == "custom_csv":
        return "custom_" + "".join(c if c.isalnum() else "_" for c in path.stem.casefold())
    return str(load_meta(FORMATS[fmt].meta).get("dataset") or fmt)


def plan(paths: Sequence[Path], fmt: str | None = None, dataset: str | None = None,
         ) -> list[LoadJob]:
    """Turn command-line paths into load jobs; OFAC companions join their primary file."""
    detected = [(Path(p), fmt or detect(Path(p))) for p in paths]
    for _path, name in detected:
        if name not in FORMATS and name not in COMPANION_FORMATS:
            raise SourceFormatError(f"unknown format {name!r}; one of: {', '.join(FORMATS)}")
    jobs: list[LoadJob] = []
    companions = [(p, f) for p, f in detected if f in COMPANION_FORMATS]
    for path, name in detected:
        if name in COMPANION_FORMATS:
            continue
        job = LoadJob(path, name, dataset or default_dataset(name, path))
        if name == "ofac_csv":
            job.companions = find_companions(path)
            for comp, comp_fmt in companions:
                if comp.parent.resolve() == path.parent.resolve():
                    job.companions[comp_fmt.removeprefix("ofac_csv_")] = comp
        jobs.append(job)
    primaries = {j.path.parent.resolve() for j in jobs if j.format == "ofac_csv"}
    for comp, comp_fmt in companions:
        if comp.parent.resolve() not in primaries:
            raise SourceFormatError(
                f"{comp.name}: an OFAC {comp_fmt.removeprefix('ofac_csv_')} file cannot be "
                "loaded without its primary file (sdn.csv or cons_prim.csv) in the same folder")
    return jobs


def file_info(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return {"path": str(path), "name": path.name, "size": path.stat().st_size,
            "sha256": digest.hexdigest()}


def load(store: Store, paths: Sequence[Path], fmt: str | None = None,
         dataset: str | None = None, force: bool = False,
         progress: Progress | None = None) -> list[LoadResult]:
    return [load_job(store, job, force=force, progress=progress)
            for job in plan(paths, fmt, dataset)]


def load_job(store: Store, job: LoadJob, force: bool = False,
             progress: Progress | None = None, actor: str | None = None) -> LoadResult:
    spec = FORMATS[job.format]
    meta = load_meta(spec.meta)
    files = [file_info(job.path)] + [file_info(p) for p in job.companions.values()]
    files[0]["format"] = job.format
    version_id = store.begin_version(job.dataset, job.format, files, meta)
    ctx = ParseContext(job.path, job.dataset, job.format, meta=meta, companions=job.companions)
    try:
        records = _collect(store, ctx, spec.delta, progress)
        files[0]["encoding"] = ctx.encoding
        _check(store, ctx, records, meta, force)
        summary = store.write_version(version_id, job.dataset, records.values(), ctx.issues,
                                      ctx.data_date, forced=force, actor=actor)
    except BaseException as exc:
        # Every failure is recorded against the attempted version, then re-raised; an
        # interrupted load (Ctrl-C, SIGTERM) too.
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            detail = f"interrupted ({type(exc).__name__}) before the load finished"
        else:
            detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
        store.fail_version(version_id, detail, ctx.issues, actor=actor)
        raise
    summary["files"] = files
    return LoadResult(job, summary, ctx.issues)


def _collect(store: Store, ctx: ParseContext, delta: bool,
             progress: Progress | None) -> dict[str, Record]:
    records: dict[str, Record] = {}
    if delta:
        for data in store.iter_records(ctx.dataset):
            rec = Record.from_dict(data)
            records[rec.id] = rec
    count = 0
    items: Iterable[Any] = FORMATS[ctx.format].parse(ctx)
    for item in items:
        count += 1
        if progress is not None and count % 500 == 0:
            progress(ctx.name, count)
        if isinstance(item, Delta):
            _apply_delta(ctx, records, item)
            continue
        if item.id in records:
            first = records[item.id].locators[0] if records[item.id].locators else "?"
            where = item.locators[0].split(":", 1)[-1] if item.locators else "?"
            if records[item.id].merge(item):
                ctx.issue("duplicate-id", f"record id repeats {first}; the two were merged", where,
                          "id", item.source_id, severity="info")
            else:
                ctx.issue("duplicate-id-conflict",
                          f"record id repeats {first} for a different kind of party ({item.schema}, not "
                          f"{records[item.id].schema}); its names are kept only in the raw record", where,
                          "id", item.source_id, severity="error")
        else:
            records[item.id] = item
    if progress is not None:
        progress(ctx.name, count)
    return records


def _apply_delta(ctx: ParseContext, records: dict[str, Record], op: Delta) -> None:
    entity_id = make_entity_id(ctx.dataset, op.source_id)
    if op.op == "DEL":
        if records.pop(entity_id, None) is None:
            ctx.issue("unknown-entity", "DEL of an entity the active version does not hold",
                      op.locator, "entity.id", op.source_id, severity="info")
        return
    assert op.record is not None
    if op.op == "ADD" and entity_id in records:
        ctx.issue("add-existing", "ADD of an entity that exists; treated as MOD", op.locator,
                  "entity.id", op.source_id, severity="info")
    if op.op == "MOD" and entity_id not in records:
        ctx.issue("mod-missing", "MOD of an entity the active version lacks; added", op.locator,
                  "entity.id", op.source_id, severity="info")
    records[entity_id] = op.record


def _check(store: Store, ctx: ParseContext, records: dict[str, Record], meta: dict[str, Any],
           force: bool) -> None:
    count = len(records)
    if count == 0:
        raise SourceAssertionError(f"{ctx.name}: no entities could be read; nothing loaded")
    minimum = int(meta.get("assertions", {}).get("min_entities", 1))
    if count < minimum:
        message = (f"{ctx.name}: {count} entities, fewer than the {minimum} a complete "
                   f"{meta.get('title', ctx.format)} has; likely a truncated or broken download")
        if not force:
            raise SourceAssertionError(message + " (use --force to load it anyway)")
        ctx.issue("assertion-overridden", message, "file", severity="warning")
    previous = store.status_of(ctx.dataset)
    if previous and previous["entities"] and count < previous["entities"] * DROP_RATIO:
        message = (f"{ctx.name}: {count} entities where the active version has "
                   f"{previous['entities']}; refusing a drop of more than "
                   f"{int((1 - DROP_RATIO) * 100)}%")
        if not force:
            raise SourceAssertionError(message + " (use --force to load it anyway)")
        ctx.issue("assertion-overridden", message, "file", severity="warning")
