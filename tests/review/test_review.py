"""Screenings recorded, alerts opened once, decisions that stick until something material changes,
four-eyes, conflicts: on SQLite and on a real PostgreSQL server."""

import json
import multiprocessing as mp
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from redflags import ingest
from redflags.audit import verify
from redflags.batch import Options, screen_file
from redflags.exc import ConflictError, ForbiddenError, QueryError
from redflags.review import alert_detail, approve, decide, list_alerts, record_match, set_config
from redflags.store import tables as t
from tests.review.conftest import changed_csl, vendor_file


def screen(store: Any, path: Path, out: Path, **options: Any) -> list[dict[str, Any]]:
    screen_file(store, path, out, Options(workers=1, **options))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def alert_of(rows: list[dict[str, Any]], row_id: str) -> int:
    (row,) = [r for r in rows if r["id"] == row_id]
    return next(h["review"]["alert"] for h in row["hits"] if h["match"])


def count(store: Any, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_screen_records_suppresses_and_reopens_on_a_list_change(any_store: Any, fixture_path: Any,
                                                                 tmp_path: Path) -> None:
    store = any_store
    vendors = vendor_file(tmp_path / "vendors.csv")
    first = screen(store, vendors, tmp_path / "1.jsonl")
    assert [r["status"] for r in first] == ["alert", "clear", "alert"]
    assert count(store, t.screenings) == 3 and count(store, t.parties) == 3
    arimero = alert_of(first, "V3")
    assert list_alerts(store, party="vendors.csv/V3")[0]["id"] == arimero
    # a second screening of the same parties opens no new alert
    again = screen(store, vendors, tmp_path / "2.jsonl")
    assert [r["status"] for r in again] == ["alert", "clear", "alert"]
    assert alert_of(again, "V3") == arimero
    assert count(store, t.alerts) == len(list_alerts(store)) and count(store, t.screenings) == 6

    version = alert_detail(store, arimero)["version"]
    decided = decide(store, arimero, "false_positive", "different_entity", "our Limassol landlord", "alice", None,
                     version)
    assert decided["status"] == "false_positive" and not decided["pending"]
    cleared = screen(store, vendors, tmp_path / "3.jsonl")
    row = cleared[2]
    assert row["status"] == "suppressed"
    review = next(h["review"] for h in row["hits"] if h["match"])
    assert review["suppressed"] and review["decision"]["id"] == decided["id"]
    assert review["decision"]["actor"] == "alice" and review["decision"]["reason"] == "different_entity"
    assert cleared[0]["status"] == "alert"  # Hikvision was not decided

    # the listed record gains an address: the cleared alert needs review, with what changed
    changed = changed_csl(fixture_path, tmp_path, "Agiou Andreou, 332, Limassol, 3035, CY",
                          "Agiou Andreou, 332, Limassol, 3035, CY; 1 Nevsky Prospekt, St Petersburg, RU")
    ingest.load(store, [changed], dataset="us_csl", force=True)
    reopened = screen(store, vendors, tmp_path / "4.jsonl")
    assert reopened[2]["status"] == "review_required"
    detail = alert_detail(store, arimero)
    assert detail["status"] == "review_required"
    fields = {(c["side"], c["field"]) for c in detail["changes"]}
    assert ("listed", "address") in fields or ("listed", "addressEntity") in fields, detail["changes"]
    assert any("Nevsky" in json.dumps(c) for c in detail["changes"])
    # decided again on the new facts, it is suppressed again
    decide(store, arimero, "false_positive", "different_entity", None, "alice", None, detail["version"])
    assert screen(store, vendors, tmp_path / "5.jsonl")[2]["status"] == "suppressed"
    history = alert_detail(store, arimero)["decisions"]
    assert [d["in_force"] for d in history] == [True, False]
    assert history[0]["supersedes"] == history[1]["id"]
    assert verify(store.engine).ok


def test_a_party_that_changes_needs_review(loaded: Any, tmp_path: Path) -> None:
    rows = screen(loaded, vendor_file(tmp_path / "v.csv"), tmp_path / "1.jsonl")
    arimero = alert_of(rows, "V3")
    decide(loaded, arimero, "false_positive", "different_country", None, "alice", None, 1)
    moved = vendor_file(tmp_path / "v.csv", [("V3", "Arimero Holding Ltd", "RU")])
    (row,) = screen(loaded, moved, tmp_path / "2.jsonl")
    assert row["status"] == "review_required"
    (change,) = alert_detail(loaded, arimero)["changes"]
    assert change == {"side": "party", "field": "countries", "added": ["RU"], "removed": ["CY"]}


def hit(score: float, listed: str = "us_csl-34616") -> dict[str, Any]:
    return {"id": listed, "referents": [listed], "caption": "ARIMERO HOLDING LIMITED", "schema": "Company",
            "datasets": ["us_csl"], "lists": ["Capta List"], "score": score, "match": score >= 0.7,
            "matched_name": "arimero", "explanation": {"summary": "test"}}


def record(store: Any, score: float, actor: str = "api") -> tuple[str, list[dict[str, Any]]]:
    query = {"names": ["Arimero Holdings"], "schema": "Company", "countries": ["cy"], "identifiers": [],
             "birth_dates": []}
    return record_match(store, query, [hit(score)], "crm", "C-7", actor, "us_csl:1", "test")


def test_a_score_that_rises_past_the_margin_needs_review(loaded: Any) -> None:
    status, hits = record(loaded, 0.80)
    assert status == "alert"
    alert_id = hits[0]["review"]["alert"]
    decide(loaded, alert_id, "false_positive", "name_common", None, "alice", None, 1)
    assert record(loaded, 0.84)[0] == "suppressed"  # within the default margin of 0.05
    status, hits = record(loaded, 0.90)
    assert status == "review_required"
    assert hits[0]["review"]["changes"][0]["side"] == "score"
    set_config(loaded, "review.rescore_margin", 0.5, "admin")
    decide(loaded, alert_id, "false_positive", "name_common", None, "alice", None,
           alert_detail(loaded, alert_id)["version"])
    assert record(loaded, 0.95)[0] == "suppressed"


def test_a_true_match_stays_an_alert(loaded: Any) -> None:
    alert_id = record(loaded, 0.9)[1][0]["review"]["alert"]
    decide(loaded, alert_id, "true_match", "confirmed_listed", None, "alice", None, 1)
    for _ in range(2):
        status, hits = record(loaded, 0.9)
        assert status == "alert" and hits[0]["review"]["status"] == "true_match"


def test_decisions_are_validated(loaded: Any) -> None:
    alert_id = record(loaded, 0.9)[1][0]["review"]["alert"]
    with pytest.raises(QueryError, match="unknown reason"):
        decide(loaded, alert_id, "false_positive", "because", None, "alice")
    with pytest.raises(QueryError, match="a decision is one of"):
        decide(loaded, alert_id, "cleared", "other", None, "alice")
    decide(loaded, alert_id, "escalated", "needs_information", None, "alice", None, 1)
    with pytest.raises(ConflictError, match="changed since you read it"):
        decide(loaded, alert_id, "false_positive", "other", None, "bob", None, 1)
    assert [d["decision"] for d in alert_detail(loaded, alert_id)["decisions"]] == ["escalated"]


def test_four_eyes(any_store: Any) -> None:
    store = any_store
    set_config(store, "review.four_eyes", {"decisions": ["false_positive"], "min_score": 0.85}, "admin")
    low = record_match(store, {"names": ["Other Co"], "schema": "Company"}, [hit(0.8, "us_csl-21944")], "crm",
                       "C-1", "api", "us_csl:1", "test")[1][0]["review"]["alert"]
    high = record(store, 0.9)[1][0]["review"]["alert"]
    assert not decide(store, low, "false_positive", "other", None, "alice", None, 1)["pending"]  # below 0.85
    pending = decide(store, high, "false_positive", "different_entity", None, "alice", None, 1)
    assert pending["pending"]
    detail = alert_detail(store, high)
    assert detail["status"] == "open" and detail["pending_id"] == pending["id"]
    assert record(store, 0.9)[0] == "alert"  # not suppressed before approval
    with pytest.raises(ForbiddenError, match="second, different person"):
        approve(store, high, "alice")
    with pytest.raises(ForbiddenError, match="admin role"):
        approve(store, high, "key:abc (analyst)", "analyst")
    approved = approve(store, high, "bob")
    assert approved["status"] == "false_positive"
    assert record(store, 0.9)[0] == "suppressed"
    with pytest.raises(ConflictError, match="no decision waiting"):
        approve(store, high, "carol")
    decisions = alert_detail(store, high)["decisions"]
    assert decisions[0]["approval"]["actor"] == "bob" and decisions[0]["in_force"]
    assert verify(store.engine).ok


def _decide_at_once(url: str, alert_id: int, actor: str, start: Any, results: Any) -> None:
    from redflags.store import Store

    store = Store(url)
    start.wait()
    try:
        decide(store, alert_id, "false_positive", "other", actor, actor, None, 1)
        results.put((actor, "won"))
    except ConflictError:
        results.put((actor, "conflict"))
    finally:
        store.close()


def test_two_analysts_deciding_at_once_one_wins(any_store: Any) -> None:
    store = any_store
    alert_id = record(store, 0.9)[1][0]["review"]["alert"]
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_decide_at_once, args=(store.url, alert_id, f"analyst{n}", start, results))
             for n in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    outcomes = sorted(results.get(timeout=5)[1] for _ in procs)
    assert outcomes == ["conflict", "conflict", "conflict", "won"]
    (decision,) = alert_detail(store, alert_id)["decisions"]
    assert decision["comment"] == decision["actor"]  # the winner's decision, whole
    assert verify(store.engine).ok


def _decide_forever(url: str, prefix: str) -> None:
    """Screens and decides in a loop until killed."""
    from redflags.store import Store

    store = Store(url)
    n = 0
    while True:
        n += 1
        query = {"names": [f"Arimero Holdings {n}"], "schema": "Company", "countries": ["cy"]}
        _status, hits = record_match(store, query, [hit(0.9)], "crm", f"{prefix}-{n}", "api", "us_csl:1", "test")
        alert_id = hits[0]["review"]["alert"]
        decide(store, alert_id, "false_positive", "other", f"comment {n}", "alice", None, 1)


def test_kill_9_while_screening_and_deciding_leaves_everything_consistent(any_store: Any) -> None:
    import os
    import signal
    import time

    store = any_store
    for attempt in range(3):
        proc = mp.get_context("spawn").Process(target=_decide_forever, args=(store.url, f"K{attempt}"))
        proc.start()
        deadline = time.monotonic() + 60
        while count(store, t.decisions) < 5 * (attempt + 1) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.037 * (attempt + 1))
        assert proc.is_alive(), "the loop stopped by itself"
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        report = verify(store.engine)
        assert report.ok, report.problems
        with store.engine.connect() as conn:
            decided = conn.execute(sa.select(sa.func.count()).select_from(t.alerts)
                                   .where(t.alerts.c.decision_id.is_not(None))).scalar_one()
            entries = conn.execute(sa.select(sa.func.count()).select_from(t.audit_log)
                                   .where(t.audit_log.c.action == "alert.decided")).scalar_one()
        assert decided == count(store, t.decisions) == entries
        assert count(store, t.screenings) == count(store, t.alerts)


def test_a_party_without_an_id_is_the_hash_of_what_was_screened(loaded: Any) -> None:
    query = {"names": ["Arimero Holdings", "Arimero"], "schema": "Company", "countries": ["cy"]}
    reordered = {**query, "names": ["Arimero", "Arimero Holdings"]}
    first = record_match(loaded, query, [hit(0.9)], "a.csv", None, "api", "us_csl:1", "t")[1][0]["review"]["alert"]
    again = record_match(loaded, reordered, [hit(0.9)], "b.csv", "", "api", "us_csl:1", "t")[1][0]["review"]["alert"]
    assert again == first  # the same properties, in another file and order: the same party
    other = {**query, "countries": ["ru"]}
    assert record_match(loaded, other, [hit(0.9)], "a.csv", None, "api", "us_csl:1", "t")[1][0]["review"]["alert"] \
        != first
    (key,) = {a["party"]["key"] for a in list_alerts(loaded) if a["id"] == first}
    assert key.startswith("sha256:") and len(key) == 7 + 64
