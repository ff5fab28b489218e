"""``verify``: recompute the chain from the first entry, then the rows it records.

It names the first entry that does not hold: altered (its content no longer gives its hash),
deleted (a gap in the sequence, or the head ahead of the last entry), inserted or reordered (an
entry that does not follow the one before it). Then decisions, approvals and screenings are
rehashed from their tables and compared with the entries that recorded them.
"""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from redflags.audit.chain import GENESIS, entry_hash, sha256_hex
from redflags.audit.records import approval_hash, batch_hash, decision_hash, screening_hash
from redflags.store import tables as t

PAGE = 5000


@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str  # altered | deleted | inserted_or_reordered | record_altered | unrecorded
    message: str


@dataclass
class Report:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    checkpoint: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": {"seq": self.head_seq, "entry_hash": self.head_hash},
                "checked": self.checked, "checkpoint": self.checkpoint,
                "problems": [{"seq": p.seq, "kind": p.kind, "message": p.message} for p in self.problems]}


def verify(engine: Engine, limit: int = 20, rows: bool = True) -> Report:
    """Check the whole log and (with ``rows``) the rows it records; at most ``limit`` problems
    are listed. The chain alone is quick; the rows take seconds per million screenings."""
    report = Report()
    with engine.connect() as conn:
        refs = _check_chain(conn, report)
        if report.problems or not rows:
            return report  # the rows are judged against a chain that holds
        _check_rows(conn, report, refs, limit)
    return report


@dataclass
class _Refs:
    decisions: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    approvals: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    batches: list[tuple[int, int, int, str | None]] = field(default_factory=list)


def _check_chain(conn: Connection, report: Report) -> _Refs:
    refs = _Refs()
    expected, prev = 1, GENESIS
    log = t.audit_log
    last = 0
    while True:
        rows = conn.execute(sa.select(log).where(log.c.seq > last).order_by(log.c.seq).limit(PAGE)).mappings().all()
        if not rows:
            break
        for row in rows:
            seq = int(row["seq"])
            last = seq
            if seq != expected:
                gone = f"entry {expected}" if seq == expected + 1 else f"entries {expected}–{seq - 1}"
                report.problems.append(Problem(expected, "deleted", f"{gone} deleted: the log jumps to entry {seq}"))
                return refs
            computed = entry_hash(seq, row["at"], row["actor"], row["action"], row["subject"], row["record_hash"],
                                  row["payload_hash"], row["prev_hash"])
            if computed != row["entry_hash"]:
                report.problems.append(Problem(seq, "altered", f"entry {seq} ({row['action']} {row['subject']}) was "
                                               "altered: its content no longer gives its hash"))
                return refs
            if row["prev_hash"] != prev:
                report.problems.append(Problem(seq, "inserted_or_reordered",
                                               f"entry {seq} ({row['action']} {row['subject']}) does not follow entry "
                                               f"{seq - 1}: an entry was inserted, replaced or reordered here"))
                return refs
            if row["payload"] is not None and sha256_hex(row["payload"].encode("utf-8")) != row["payload_hash"]:
                report.problems.append(Problem(seq, "altered", f"entry {seq} ({row['action']} {row['subject']}): its "
                                               "payload was altered"))
                return refs
            _note_ref(refs, seq, row["subject"], row["record_hash"])
            prev = row["entry_hash"]
            expected += 1
            report.entries += 1
    report.head_seq, report.head_hash = expected - 1, prev
    head = conn.execute(sa.select(t.audit_head.c.seq, t.audit_head.c.entry_hash)).first()
    if head is not None and (int(head[0]), head[1]) != (report.head_seq, prev):
        if int(head[0]) > report.head_seq:
            report.problems.append(Problem(report.head_seq + 1, "deleted",
                                           f"entries {report.head_seq + 1}–{head[0]} deleted from the end of the log"))
        else:
            report.problems.append(Problem(int(head[0]), "altered", "the log's head does not match its last entry"))
    return refs


def _note_ref(refs: _Refs, seq: int, subject: str, record_hash: str | None) -> None:
    kind, _, ident = subject.partition(":")
    try:
        if kind == "decision":
            refs.decisions[int(ident)] = (seq, record_hash)
        elif kind == "approval":
            refs.approvals[int(ident)] = (seq, record_hash)
        elif kind == "screenings":
            first, _, last = ident.partition("-")
            refs.batches.append((int(first), int(last), seq, record_hash))
    except ValueError:
        pass


def _check_rows(conn: Connection, report: Report, refs: _Refs, limit: int) -> None:
    for table, seen, hasher, name in ((t.decisions, refs.decisions, decision_hash, "decision"),
                                      (t.approvals, refs.approvals, approval_hash, "approval")):
        count = 0
        for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings():
            count += 1
            ref = seen.pop(int(row["id"]), None)
            if ref is None:
                report.problems.append(Problem(None, "unrecorded", f"{name} {row['id']} has no entry in the log: "
                                               "it was written outside redflags"))
            elif hasher(row) != ref[1] or row["hash"] != ref[1]:
                report.problems.append(Problem(ref[0], "record_altered", f"{name} {row['id']} was altered after "
                                               f"entry {ref[0]} recorded it"))
            if len(report.problems) >= limit:
                return
        for ident, (seq, _) in sorted(seen.items()):
            report.problems.append(Problem(seq, "record_altered", f"{name} {ident}, recorded by entry {seq}, was "
                                           "deleted"))
        report.checked[f"{name}s"] = count
    _check_screenings(conn, report, refs.batches, limit)


def _check_screenings(conn: Connection, report: Report, batches: list[tuple[int, int, int, str | None]],
                      limit: int) -> None:
    s = t.screenings
    batches.sort()
    covered = 0
    count = 0
    rows = conn.execution_options(yield_per=PAGE).execute(sa.select(s).order_by(s.c.id)).mappings()
    pending = iter(batches)
    batch = next(pending, None)
    hashes: list[str] = []

    def close(b: tuple[int, int, int, str | None]) -> None:
        if batch_hash(hashes) != b[3]:
            report.problems.append(Problem(b[2], "record_altered", f"screenings {b[0]}–{b[1]}, recorded by entry "
                                           f"{b[2]}, were altered, added to or deleted from"))

    for row in rows:
        count += 1
        ident = int(row["id"])
        while batch is not None and ident > batch[1]:
            close(batch)
            hashes = []
            batch = next(pending, None)
        if batch is None or ident < batch[0]:
            report.problems.append(Problem(None, "unrecorded", f"screening {ident} has no entry in the log: it was "
                                           "written outside redflags"))
        else:
            own = screening_hash(row)
            hashes.append(own if own == row["hash"] else "altered:" + own)
            covered += 1
        if len(report.problems) >= limit:
            return
    while batch is not None:
        close(batch)
        hashes = []
        batch = next(pending, None)
    report.checked["screenings"] = count
