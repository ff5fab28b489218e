"""The audit trail: every load, screening, decision, approval, key and setting is an entry; raw SQL
edits, deletions, insertions and reorderings are caught by ``verify`` on SQLite and PostgreSQL;
signed checkpoints; retention purges details while the chain still verifies."""

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from redflags.api.keys import create_key
from redflags.audit import make_checkpoint, new_signing_key, verify, verify_checkpoint
from redflags.audit.export import entries
from redflags.exc import InputError
from redflags.review import decide, record_match, set_config
from redflags.review.retention import purge
from redflags.store import tables as t


def busy_log(store: Any) -> int:
    """Entries of each kind; returns the alert decided."""
    query = {"names": ["Arimero Holdings"], "schema": "Company", "countries": ["cy"]}
    hit = {"id": "us_csl-34616", "referents": ["us_csl-34616"], "caption": "ARIMERO", "schema": "Company",
           "datasets": ["us_csl"], "lists": ["Capta List"], "score": 0.9, "match": True, "matched_name": "arimero",
           "explanation": {"summary": "test"}}
    alert_id = record_match(store, query, [hit], "crm", "C-7", "api", "us_csl:1", "test")[1][0]["review"]["alert"]
    decide(store, alert_id, "false_positive", "different_entity", "landlord", "alice", None, 1)
    create_key(store, "viewer", "examiner")
    set_config(store, "review.rescore_margin", 0.1, "admin")
    record_match(store, query, [hit], "crm", "C-7", "api", "us_csl:1", "test")
    return int(alert_id)


def actions(store: Any) -> list[str]:
    return [e["action"] for e in entries(store.engine)]


def test_everything_is_an_entry_and_the_chain_verifies(any_store: Any) -> None:
    busy_log(any_store)
    assert actions(any_store) == ["list.loaded", "screening.recorded", "alert.decided", "key.created",
                                  "config.changed", "screening.recorded"]
    report = verify(any_store.engine)
    assert report.ok, report.problems
    assert report.entries == 6 and report.checked == {"decisions": 1, "approvals": 0, "screenings": 2}


def raw(store: Any, sql: str) -> None:
    with store.engine.begin() as conn:
        for statement in sql.split("; "):
            conn.exec_driver_sql(statement)


TAMPERING = {
    "edited": ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3", 3, "altered"),
    "payload edited": ("UPDATE audit_log SET payload = replace(payload, 'landlord', 'tenant') WHERE seq = 3", 3,
                       "altered"),
    "deleted": ("DELETE FROM audit_log WHERE seq = 2", 2, "deleted"),
    "deleted at the end": ("DELETE FROM audit_log WHERE seq = 6", 6, "deleted"),
    "reordered": ("UPDATE audit_log SET seq = -seq WHERE seq IN (4, 5); "
                  "UPDATE audit_log SET seq = CASE seq WHEN -4 THEN 5 ELSE 4 END WHERE seq < 0", 4, "altered"),
    "inserted": ("UPDATE audit_log SET seq = -seq - 1 WHERE seq >= 4; UPDATE audit_log SET seq = -seq WHERE seq < 0; "
                 "INSERT INTO audit_log (seq, at, actor, action, subject, payload_hash, prev_hash, entry_hash) "
                 "SELECT 4, at, 'mallory', 'alert.decided', 'decision:9', payload_hash, entry_hash, entry_hash "
                 "FROM audit_log WHERE seq = 3", 4, "altered"),
    "decision edited": ("UPDATE decisions SET decision = 'true_match'", 3, "record_altered"),
    "decision deleted": ("DELETE FROM decisions", 3, "record_altered"),
    "screening edited": ("UPDATE screenings SET status = 'clear' WHERE id = 1", 2, "record_altered"),
    "screening deleted": ("DELETE FROM screenings WHERE id = 2", 6, "record_altered"),
    "screening inserted": ("INSERT INTO screenings (party_id, at, actor, versions, matcher, party_fingerprint, status,"
                           " hits, hash) SELECT party_id, at, actor, versions, matcher, party_fingerprint, 'clear', "
                           "hits, hash FROM screenings WHERE id = 1", None, "unrecorded"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_verify_names_the_first_entry_tampered_with(any_store: Any, case: str) -> None:
    busy_log(any_store)
    sql, seq, kind = TAMPERING[case]
    raw(any_store, sql)
    report = verify(any_store.engine)
    assert not report.ok
    problem = report.problems[0]
    assert (problem.seq, problem.kind) == (seq, kind), problem


def test_signed_checkpoints(any_store: Any, tmp_path: Path) -> None:
    busy_log(any_store)
    key = tmp_path / "audit.key"
    public = new_signing_key(key)
    checkpoint = make_checkpoint(any_store.engine, key)
    assert checkpoint["seq"] == 6 and checkpoint["signature"]
    set_config(any_store, "retention.years", 12, "admin")  # the log goes on
    report = verify_checkpoint(any_store.engine, checkpoint, public)
    assert report.ok and report.checkpoint["extended_by"] == 1 and report.checkpoint["signature"] == "signed"
    forged = {**checkpoint, "seq": 5}
    with pytest.raises(InputError, match="signature is not valid"):
        verify_checkpoint(any_store.engine, forged, public)
    other = new_signing_key(tmp_path / "other.key")
    with pytest.raises(InputError, match="signature is not valid"):
        verify_checkpoint(any_store.engine, checkpoint, other)
    # history rewritten consistently (every hash recomputed) still breaks the checkpoint
    raw(any_store, f"UPDATE audit_log SET entry_hash = '{'f' * 64}' WHERE seq = 6")
    rewritten = verify_checkpoint(any_store.engine, checkpoint, public)
    assert not rewritten.ok and rewritten.problems[0].seq == 6
    with pytest.raises(InputError):
        new_signing_key(key)  # never overwritten


def test_retention_purges_details_and_the_chain_still_verifies(loaded: Any) -> None:
    from datetime import UTC, datetime, timedelta

    busy_log(loaded)
    counts = purge(loaded, "admin", before=datetime.now(UTC) + timedelta(seconds=1))
    assert counts["parties"] == 1 and counts["audit_payloads"] >= 3
    with loaded.engine.connect() as conn:
        assert conn.execute(sa.select(t.parties.c.properties)).scalar() is None
        kept = {r.action: r.payload for r in conn.execute(sa.select(t.audit_log.c.action, t.audit_log.c.payload))}
    assert kept["alert.decided"] is None and kept["list.loaded"] is not None
    assert "Arimero" not in json.dumps([e for e in entries(loaded.engine)])
    report = verify(loaded.engine)
    assert report.ok, report.problems
    assert actions(loaded)[-1] == "retention.purged"
