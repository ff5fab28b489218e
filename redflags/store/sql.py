"""The store: every load is a version; the active version of a dataset changes only
when a new one has been written completely, in the same transaction that writes it.

Entity bodies are content-addressed (``entity_data`` keyed by the hash of what the
record says), so re-loading an unchanged list adds index rows, not copies.
"""

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from redflags import settings
from redflags.audit.chain import Entry, append_entries
from redflags.exc import NotFoundError, StoreError
from redflags.store import owner as owners
from redflags.store import tables as t
from redflags.store.db import insert_ignore, lock_dataset, make_engine
from redflags.store.judgements import JudgementsMixin

if TYPE_CHECKING:
    from redflags.model import Record

MIGRATIONS = Path(__file__).parent / "migrations"
BATCH = 2000


def _now() -> datetime:
    return datetime.now(UTC)


class EntityDates(NamedTuple):
    first_seen: str | None
    last_seen: str | None
    last_change: str | None


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


_REVISION = re.compile(r'^revision = "([^"]+)"', re.MULTILINE)
_DOWN = re.compile(r'^down_revision = (?:"([^"]+)"|None)', re.MULTILINE)


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration: the one no other migration revises."""
    revisions, revised = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found, down = _REVISION.search(text), _DOWN.search(text)
        if found:
            revisions.add(found.group(1))
        if down and down.group(1):
            revised.add(down.group(1))
    (head,) = revisions - revised
    return head


def open_store(url: str | None = None) -> "Store":
    return Store(url or settings.database_url())


class Store(JudgementsMixin):
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision (alembic itself is loaded only when
        the database is not at it: opening a store is on the path of every command)."""
        try:
            with self.engine.connect() as conn:
                if sa.inspect(conn).has_table("alembic_version"):
                    current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
                    if current == [head_revision()]:
                        return
        except sa.exc.OperationalError as exc:
            raise StoreError(f"database {self.engine.url!r} unavailable: {exc.orig}") from exc
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.OperationalError as exc:
            raise StoreError(f"database {self.engine.url!r} unavailable: {exc.orig}") from exc

    def close(self) -> None:
        self.engine.dispose()

    # --- writing -----------------------------------------------------------------------

    def begin_version(self, dataset: str, fmt: str, files: list[dict[str, Any]],
                      meta: dict[str, Any]) -> int:
        """Record that a load has started (committed at once, so failures are audited)."""
        self.reap_interrupted()
        with self.engine.begin() as conn:
            # two first loads of a dataset at once both insert its row: the second is a no-op
            conn.execute(insert_ignore(self.engine, t.datasets).values(
                name=dataset, title=meta.get("title"), publisher=meta.get("publisher"),
                url=meta.get("url"), created_at=_now()))
            result = conn.execute(t.versions.insert().values(
                dataset=dataset, status="loading", format=fmt, files=files, created_at=_now(),
                forced=False, owner=owners.current()))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def reap_interrupted(self) -> int:
        """Mark failed the loads whose process died (killed, or the machine went down): a
        version must not stay "loading" forever. Returns how many were marked."""
        with self.engine.connect() as conn:
            loading = conn.execute(sa.select(t.versions.c.id, t.versions.c.owner).where(
                t.versions.c.status == "loading")).all()
        dead = [(vid, who) for vid, who in loading if owners.is_dead(who)]
        for version_id, who in dead:
            pid = (who or "").rsplit(":", 2)[1] if who and who.count(":") >= 2 else "?"
            with self.engine.begin() as conn:
                conn.execute(t.versions.update().where(t.versions.c.id == version_id,
                                                       t.versions.c.status == "loading").values(
                    status="failed", finished_at=_now(),
                    error=f"interrupted: the loading process (pid {pid}) ended before it finished; "
                          "the previous version stayed active"))
        return len(dead)

    def fail_version(self, version_id: int, error: str, issues: Iterable[Any] = (), actor: str | None = None) -> None:
        issues = list(issues)
        with self.engine.begin() as conn:
            conn.execute(t.versions.update().where(t.versions.c.id == version_id).values(
                status="failed", error=error, finished_at=_now(), owner=None))
            self._write_issues(conn, version_id, issues)
            dataset = conn.execute(sa.select(t.versions.c.dataset).where(t.versions.c.id == version_id)).scalar()
            append_entries(conn, [Entry("list.load_failed", f"version:{version_id}", actor or settings.actor(),
                                        {"dataset": dataset, "version": version_id, "error": error[:2000],
                                         "issues": len(issues)})])

    def write_version(self, version_id: int, dataset: str, records: Iterable["Record"],
                      issues: list[Any], data_date: str | None, forced: bool = False,
                      actor: str | None = None) -> dict[str, Any]:
        """Write all entities, the diff and the issues; activate the version. Atomic, and
        serialised per dataset: loads running at once activate one after the other, each
        against the version the one before it activated."""
        from redflags.model.entity import content_hash

        with self.engine.begin() as conn:
            lock_dataset(conn, t.datasets, dataset)
            previous = self._active_id(conn, dataset)
            old = {} if previous is None else dict(conn.execute(
                sa.select(t.entities.c.entity_id, t.entities.c.hash).where(
                    t.entities.c.version_id == previous)).all())
            schemata: Counter[str] = Counter()
            lists: Counter[str] = Counter()
            new: dict[str, str] = {}
            captions: dict[str, str] = {}
            blob_rows: list[dict[str, Any]] = []
            entity_rows: list[dict[str, Any]] = []
            blob_insert = insert_ignore(self.engine, t.entity_data)
            for record in records:
                data = record.to_dict()
                digest = content_hash(data)
                new[record.id] = digest
                captions[record.id] = record.caption
                schemata[record.schema] += 1
                lists.update(record.lists)
                blob_rows.append({"hash": digest, "data": json.dumps(data, ensure_ascii=False)})
                entity_rows.append({"version_id": version_id, "entity_id": record.id,
                                    "schema": record.schema, "caption": record.caption[:2000],
                                    "hash": digest})
                if len(entity_rows) >= BATCH:
                    conn.execute(blob_insert, blob_rows)
                    conn.execute(t.entities.insert(), entity_rows)
                    blob_rows, entity_rows = [], []
            if entity_rows:
                conn.execute(blob_insert, blob_rows)
                conn.execute(t.entities.insert(), entity_rows)
            diff = self._write_changes(conn, version_id, previous, old, new, captions)
            self._write_issues(conn, version_id, issues)
            conn.execute(t.versions.update().where(t.versions.c.dataset == dataset, t.versions.c.status == "active")
                         .values(status="superseded"))
            summary = {
                "entity_count": len(new), "counts": {"schema": dict(schemata),
                                                     "lists": dict(lists)},
                "issue_counts": dict(Counter(getattr(i, "severity", "warning") for i in issues)),
                "previous_id": previous, "data_date": data_date, "forced": forced, **diff,
            }
            conn.execute(t.versions.update().where(t.versions.c.id == version_id).values(
                status="active", finished_at=_now(), owner=None, **summary))
            files = conn.execute(sa.select(t.versions.c.files).where(t.versions.c.id == version_id)).scalar()
            from redflags.monitor.events import emit

            emit(conn, [("list.updated", None, f"version:{version_id}",
                         {"dataset": dataset, "version": version_id, "previous": previous, "entities": len(new),
                          "added": diff.get("added"), "removed": diff.get("removed"),
                          "modified": diff.get("modified"), "data_date": data_date})])
            append_entries(conn, [Entry("list.loaded", f"version:{version_id}", actor or settings.actor(),
                                        {"dataset": dataset, "version": version_id, "previous": previous,
                                         "files": files, "entities": len(new), "added": diff.get("added"),
                                         "removed": diff.get("removed"), "modified": diff.get("modified"),
                                         "data_date": data_date, "forced": forced})])
        return {"version": version_id, "dataset": dataset, **summary}

    def _write_changes(self, conn: Connection, version_id: int, previous: int | None,
                       old: dict[str, str], new: dict[str, str], captions: dict[str, str],
                       ) -> dict[str, int]:
        added = [i for i in new if i not in old]
        removed = [i for i in old if i not in new]
        modified = [i for i in new if i in old and old[i] != new[i]]
        rows: list[dict[str, Any]] = []
        for entity_id in added:
            rows.append({"entity_id": entity_id, "kind": "added", "caption": captions[entity_id],
                         "detail": None})
        if removed and previous is not None:
            old_captions = dict(conn.execute(
                sa.select(t.entities.c.entity_id, t.entities.c.caption).where(
                    t.entities.c.version_id == previous,
                    t.entities.c.entity_id.in_(removed[:50000]))).all())
            for entity_id in removed:
                rows.append({"entity_id": entity_id, "kind": "removed",
                             "caption": old_captions.get(entity_id, entity_id), "detail": None})
        for start in range(0, len(modified), 500):
            chunk = modified[start:start + 500]
            hashes = {old[i] for i in chunk} | {new[i] for i in chunk}
            blobs = dict(conn.execute(sa.select(t.entity_data.c.hash, t.entity_data.c.data).where(
                t.entity_data.c.hash.in_(hashes))).all())
            for entity_id in chunk:
                before = json.loads(blobs[old[entity_id]])
                after = json.loads(blobs[new[entity_id]])
                rows.append({"entity_id": entity_id, "kind": "modified",
                             "caption": captions[entity_id], "detail": diff_records(before, after)})
        for row in rows:
            row["version_id"] = version_id
        for start in range(0, len(rows), BATCH):
            conn.execute(t.changes.insert(), rows[start:start + BATCH])
        return {"added": len(added), "removed": len(removed), "modified": len(modified)}

    def _write_issues(self, conn: Connection, version_id: int, issues: Iterable[Any]) -> None:
        rows = [{"version_id": version_id, "severity": i.severity, "code": i.code,
                 "file": i.file, "locator": i.locator, "field": i.field,
                 "value": None if i.value is None else i.value[:2000], "message": i.message}
                for i in issues]
        for start in range(0, len(rows), BATCH):
            conn.execute(t.issues.insert(), rows[start:start + BATCH])

    # --- reading -----------------------------------------------------------------------

    def _active_id(self, conn: Connection, dataset: str) -> int | None:
        row = conn.execute(sa.select(t.versions.c.id).where(
            t.versions.c.dataset == dataset, t.versions.c.status == "active")).first()
        return None if row is None else int(row[0])

    def active_version(self, dataset: str) -> int | None:
        with self.engine.connect() as conn:
            return self._active_id(conn, dataset)

    def status_of(self, dataset: str) -> dict[str, Any] | None:
        """The active version of one dataset, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.versions).where(
                t.versions.c.dataset == dataset, t.versions.c.status == "active")).mappings().first()
        return None if row is None else _version_dict(row)

    def iter_records(self, dataset: str | None = None) -> Iterator[dict[str, Any]]:
        """Every entity of the active versions (of one dataset, or of all)."""
        query = (sa.select(t.entity_data.c.data)
                 .select_from(t.entities.join(t.entity_data, t.entities.c.hash == t.entity_data.c.hash)
                              .join(t.versions, t.versions.c.id == t.entities.c.version_id))
                 .where(t.versions.c.status == "active"))
        if dataset is not None:
            query = query.where(t.versions.c.dataset == dataset)
        with self.engine.connect() as conn:
            for (data,) in conn.execution_options(yield_per=2000).execute(query):
                yield json.loads(data)

    def change_dates(self) -> dict[str, EntityDates]:
        """When each entity of the active versions was first loaded, last loaded (its active
        version) and last added or modified, as yente reports them."""
        changed = (sa.select(t.changes.c.entity_id,
                             sa.func.min(sa.case((t.changes.c.kind == "added", t.versions.c.finished_at))),
                             sa.func.max(t.versions.c.finished_at))
                   .join(t.versions, t.versions.c.id == t.changes.c.version_id)
                   .where(t.versions.c.status.in_(("active", "superseded")),
                          t.changes.c.kind.in_(("added", "modified")))
                   .group_by(t.changes.c.entity_id))
        seen = (sa.select(t.entities.c.entity_id, t.versions.c.finished_at)
                .join(t.versions, t.versions.c.id == t.entities.c.version_id)
                .where(t.versions.c.status == "active"))
        texts: dict[datetime | None, str | None] = {}  # one string per load time, shared

        def iso(value: datetime | None) -> str | None:
            if value not in texts:
                texts[value] = _iso(value)
            return texts[value]

        with self.engine.connect() as conn:
            changes = {entity_id: (iso(first), iso(last)) for entity_id, first, last in conn.execute(changed)}
            dates = {}
            for entity_id, at in conn.execute(seen):
                first, last = changes.get(entity_id, (None, None))
                dates[entity_id] = EntityDates(first, iso(at), last)
        return dates

    def status(self) -> list[dict[str, Any]]:
        self.reap_interrupted()
        with self.engine.connect() as conn:
            datasets = conn.execute(sa.select(t.datasets).order_by(t.datasets.c.name)).mappings().all()
            out = []
            for ds in datasets:
                versions = conn.execute(sa.select(t.versions).where(
                    t.versions.c.dataset == ds["name"]).order_by(t.versions.c.id.desc())
                ).mappings().all()
                active = next((v for v in versions if v["status"] == "active"), None)
                out.append({
                    "dataset": ds["name"], "title": ds["title"], "publisher": ds["publisher"],
                    "url": ds["url"],
                    "active": _version_dict(active) if active else None,
                    "versions": [_version_dict(v, brief=True) for v in versions],
                })
            return out

    def diff(self, dataset: str, version: int | None = None) -> dict[str, Any]:
        with self.engine.connect() as conn:
            if version is None:
                version = self._active_id(conn, dataset)
                if version is None:
                    raise NotFoundError(f"dataset {dataset!r} has no active version; load it first")
            row = conn.execute(sa.select(t.versions).where(
                t.versions.c.id == version, t.versions.c.dataset == dataset)).mappings().first()
            if row is None:
                raise NotFoundError(f"dataset {dataset!r} has no version {version}")
            changes = conn.execute(sa.select(t.changes).where(
                t.changes.c.version_id == version).order_by(t.changes.c.kind,
                                                             t.changes.c.entity_id)).mappings().all()
        grouped: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "modified": []}
        for change in changes:
            item = {"id": change["entity_id"], "caption": change["caption"]}
            if change["detail"]:
                item["changes"] = change["detail"]
            grouped[change["kind"]].append(item)
        return {"dataset": dataset, "version": version, "previous_version": row["previous_id"],
                **{k: len(v) for k, v in grouped.items()}, "changes": grouped}

    def issues(self, version: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.issues).where(t.issues.c.version_id == version)
                                .order_by(t.issues.c.id)).mappings().all()
        return [{k: v for k, v in r.items() if k not in ("id", "version_id")} for r in rows]

    def entity(self, entity_id: str, version: int | None = None) -> dict[str, Any]:
        """One entity with its provenance: dataset, version, files, load time."""
        query = (sa.select(t.entity_data.c.data, t.versions)
                 .select_from(t.entities.join(t.entity_data, t.entities.c.hash == t.entity_data.c.hash)
                              .join(t.versions, t.versions.c.id == t.entities.c.version_id))
                 .where(t.entities.c.entity_id == entity_id))
        if version is None:
            query = query.where(t.versions.c.status == "active")
        else:
            query = query.where(t.versions.c.id == version)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
            if row is None:
                raise NotFoundError(f"no entity {entity_id!r} in the active lists")
            history = conn.execute(
                sa.select(t.changes.c.version_id, t.changes.c.kind, t.versions.c.finished_at)
                .join(t.versions, t.versions.c.id == t.changes.c.version_id)
                .where(t.changes.c.entity_id == entity_id).order_by(t.changes.c.version_id)
            ).all()
        data = json.loads(row["data"])
        data["provenance"] = {
            "dataset": row["dataset"], "version": row["id"], "format": row["format"],
            "files": row["files"], "loaded_at": _iso(row["finished_at"]),
            "data_date": row["data_date"],
            "history": [{"version": v, "change": k, "at": _iso(a)} for v, k, a in history],
        }
        return data


    # --- screening runs ---------------------------------------------------------------

    def active_version_ids(self) -> dict[str, int]:
        """The active version of each dataset: one small query, cheap enough to poll."""
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.select(t.versions.c.dataset, t.versions.c.id)
                                     .where(t.versions.c.status == "active")).all())

    def active_versions(self) -> dict[str, dict[str, Any]]:
        """The version screened against, per dataset: id, entity count, data date, files."""
        return {d["dataset"]: {"version": d["active"]["version"], "entities": d["active"]["entities"],
                               "data_date": d["active"]["data_date"], "loaded_at": d["active"]["loaded_at"],
                               "files": [f.get("name") for f in d["active"].get("files") or []]}
                for d in self.status() if d["active"]}

    def start_run(self, run_id: str, input_name: str, input_info: dict[str, Any], output: str | None,
                  params: dict[str, Any], list_versions: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(t.screen_runs.c.id).where(t.screen_runs.c.id == run_id)).first()
            if exists:
                conn.execute(t.screen_runs.update().where(t.screen_runs.c.id == run_id)
                             .values(status="running", error=None))
                return
            conn.execute(t.screen_runs.insert().values(
                id=run_id, status="running", input=input_name, input_info=input_info, output=output,
                params=params, list_versions=list_versions, started_at=_now()))

    def note_progress(self, run_id: str, counts: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.screen_runs.update().where(t.screen_runs.c.id == run_id).values(counts=counts))

    def run_by_output(self, output: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.screen_runs).where(t.screen_runs.c.output == output)
                               .order_by(t.screen_runs.c.started_at.desc())).mappings().first()
        return None if row is None else _run_dict(row)

    def finish_run(self, run_id: str, counts: dict[str, Any] | None, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.screen_runs.update().where(t.screen_runs.c.id == run_id).values(
                status="failed" if error else "done", counts=counts, error=error, finished_at=_now()))

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.screen_runs).order_by(t.screen_runs.c.started_at.desc())
                                .limit(limit)).mappings().all()
        return [_run_dict(r) for r in rows]

    def run(self, run_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.screen_runs).where(t.screen_runs.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no screening run {run_id!r}")
        return _run_dict(row)

    # --- API keys -----------------------------------------------------------------------

    def create_key(self, key_id: str, name: str, role: str, secret_hash: str, actor: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.api_keys.insert().values(id=key_id, name=name, role=role, secret_hash=secret_hash,
                                                    created_at=_now()))
            append_entries(conn, [Entry("key.created", f"key:{key_id}", actor or settings.actor(),
                                        {"name": name, "role": role})])

    def key(self, key_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.api_keys).where(t.api_keys.c.id == key_id)).mappings().first()
        return None if row is None else _key_dict(row, secret=True)

    def keys(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.api_keys).order_by(t.api_keys.c.created_at)).mappings().all()
        return [_key_dict(r) for r in rows]

    def revoke_key(self, key_id: str, actor: str | None = None) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(t.api_keys.update().where(t.api_keys.c.id == key_id, t.api_keys.c.revoked_at.is_(None))
                                .values(revoked_at=_now()))
            if done.rowcount:
                append_entries(conn, [Entry("key.revoked", f"key:{key_id}", actor or settings.actor(), {})])
        if done.rowcount == 0:
            raise NotFoundError(f"no active API key {key_id!r}")


def _key_dict(row: Any, secret: bool = False) -> dict[str, Any]:
    out = {"id": row["id"], "name": row["name"], "role": row["role"], "created_at": _iso(row["created_at"]),
           "revoked_at": _iso(row["revoked_at"])}
    if secret:
        out["secret_hash"] = row["secret_hash"]
    return out


def _run_dict(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "status": row["status"], "input": row["input"], "input_info": row["input_info"],
            "output": row["output"], "params": row["params"], "list_versions": row["list_versions"],
            "counts": row["counts"], "started_at": _iso(row["started_at"]),
            "finished_at": _iso(row["finished_at"]), "error": row["error"]}


def _version_dict(row: Any, brief: bool = False) -> dict[str, Any]:
    out = {"version": row["id"], "status": row["status"], "format": row["format"],
           "loaded_at": _iso(row["finished_at"] or row["created_at"]),
           "data_date": row["data_date"], "entities": row["entity_count"],
           "added": row["added"], "removed": row["removed"], "modified": row["modified"]}
    if row["error"]:
        out["error"] = row["error"]
    if not brief:
        out.update({"counts": row["counts"], "issues": row["issue_counts"],
                    "files": row["files"], "forced": row["forced"]})
    return out


def diff_records(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Per-property values added and removed between two stored records."""
    out: dict[str, Any] = {}
    if before.get("schema") != after.get("schema"):
        out["schema"] = {"from": before.get("schema"), "to": after.get("schema")}
    props_a, props_b = before.get("properties", {}), after.get("properties", {})
    for prop in sorted(set(props_a) | set(props_b)):
        old, new = set(props_a.get(prop, [])), set(props_b.get(prop, []))
        if old != new:
            out[prop] = {"added": sorted(new - old), "removed": sorted(old - new)}
    for key in ("lists", "sanctions", "identifiers"):
        old_l = [json.dumps(x, sort_keys=True) for x in before.get(key, [])]
        new_l = [json.dumps(x, sort_keys=True) for x in after.get(key, [])]
        if sorted(old_l) != sorted(new_l):
            out[key] = {"added": [json.loads(x) for x in new_l if x not in old_l],
                        "removed": [json.loads(x) for x in old_l if x not in new_l]}
    return out
