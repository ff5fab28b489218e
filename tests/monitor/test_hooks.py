"""Webhooks against a real HTTP receiver on loopback: events written with what they announce,
signed with every active secret, retried while the receiver is down, in order per portfolio,
dead-lettered after the last attempt; on SQLite and PostgreSQL."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from click.testing import CliRunner

from redflags.cli import main
from redflags.monitor import add_hook, deliver_pending, deliveries
from redflags.monitor.hooks import rotate_secret
from redflags.review import decide, record_match


class Receiver:
    """A webhook receiver on loopback that checks signatures and can answer errors."""

    def __init__(self, port: int, secrets: list[str], fail: int = 0) -> None:
        self.port, self.secrets, self.fail = port, secrets, fail
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                parts = dict(p.split("=", 1) for p in self.headers["Redflags-Signature"].split(",") if p.startswith("t="))
                macs = [p[3:] for p in self.headers["Redflags-Signature"].split(",") if p.startswith("v1=")]
                good = any(hmac.compare_digest(m, hmac.new(s.encode(), f"{parts['t']}.".encode() + body,
                                                           hashlib.sha256).hexdigest()) for m in macs
                           for s in receiver.secrets)
                if not good:
                    receiver.bad_signatures += 1
                if receiver.fail > 0:
                    receiver.fail -= 1
                    self.send_response(503)
                else:
                    receiver.received.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hit(listed: str = "us_csl-34616", score: float = 0.9) -> dict[str, Any]:
    return {"id": listed, "referents": [listed], "caption": "ARIMERO HOLDING LIMITED", "schema": "Company",
            "datasets": ["us_csl"], "lists": ["Capta List"], "score": score, "match": True, "matched_name": "arimero",
            "explanation": {"summary": "test"}}


def screen_party(store: Any, portfolio: str, party: str, name: str = "Arimero Holdings") -> int:
    query = {"names": [name], "schema": "Company", "countries": ["cy"]}
    return int(record_match(store, query, [hit()], portfolio, party, "api", "us_csl:1", "t")[1][0]["review"]["alert"])


def test_signed_delivery_retried_while_the_receiver_is_down(any_store: Any) -> None:
    store, port = any_store, free_port()
    hook = add_hook(store, f"http://127.0.0.1:{port}/hook", ["alert.created", "alert.decided"], "admin",
                    party_fields=["names"])
    first = screen_party(store, "vendors", "V1")
    screen_party(store, "vendors", "V2")
    now = datetime.now(UTC)
    down = deliver_pending(store, now=now)
    assert down == {"delivered": 0, "failed": 1, "dead": 0, "waiting": 1}  # V2 waits behind V1, in order
    receiver = Receiver(port, [hook["secret"]])
    try:
        assert deliver_pending(store, now=now)["delivered"] == 0  # not due yet: the backoff holds
        later = now + timedelta(seconds=5)
        assert deliver_pending(store, now=later)["delivered"] == 2
        decide(store, first, "false_positive", "different_entity", None, "alice", None, 1)
        assert deliver_pending(store, now=later)["delivered"] == 1
    finally:
        receiver.close()
    assert receiver.bad_signatures == 0
    kinds = [(r["type"], r["data"]["party"]["key"]) for r in receiver.received]
    assert kinds == [("alert.created", "vendors/V1"), ("alert.created", "vendors/V2"), ("alert.decided", "vendors/V1")]
    assert receiver.received[0]["data"]["party"]["names"] == ["Arimero Holdings"]  # the hook asked for names
    assert receiver.received[2]["data"]["decision"]["decision"] == "false_positive"
    rows = deliveries(store)
    assert {r["status"] for r in rows} == {"delivered"} and max(r["attempts"] for r in rows) == 2


def test_portfolios_are_ordered_apart_and_dead_letters_let_the_next_go(loaded: Any) -> None:
    port = free_port()
    hook = add_hook(loaded, f"http://127.0.0.1:{port}/", ["alert.created"], "admin")
    screen_party(loaded, "a", "1")
    screen_party(loaded, "b", "1")
    receiver = Receiver(port, [hook["secret"]], fail=1)  # the first POST fails
    try:
        now = datetime.now(UTC)
        counts = deliver_pending(loaded, now=now, max_attempts=1)
        assert counts["dead"] == 1 and counts["delivered"] == 1  # b is not held up by a
        assert [r["data"]["party"]["key"] for r in receiver.received] == ["b/1"]
        assert "name" not in json.dumps(receiver.received[0]["data"]["party"])  # no party details by default
    finally:
        receiver.close()
    (dead,) = deliveries(loaded, status="dead")
    assert dead["last_error"] == "HTTP 503" and dead["portfolio"] == "a"


def test_rotated_secrets_both_sign(loaded: Any) -> None:
    port = free_port()
    hook = add_hook(loaded, f"http://127.0.0.1:{port}/", None, "admin")
    new = rotate_secret(loaded, hook["id"], "admin")
    screen_party(loaded, "a", "1")
    for secrets in ([hook["secret"]], [new]):  # a receiver with either secret accepts it
        receiver = Receiver(port, secrets)
        try:
            with loaded.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE deliveries SET status = 'pending', next_attempt_at = '2000-01-01'")
            assert deliver_pending(loaded)["delivered"] == 1
        finally:
            receiver.close()
        assert receiver.bad_signatures == 0


def test_hooks_on_the_command_line(loaded: Any) -> None:
    port = free_port()
    runner = CliRunner()
    added = runner.invoke(main, ["--db", loaded.url, "hooks", "add", f"http://127.0.0.1:{port}/x", "--events",
                                 "alert.created"])
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    failed = runner.invoke(main, ["--db", loaded.url, "hooks", "test", "1"])
    assert failed.exit_code == 1 and "ConnectError" in failed.output
    receiver = Receiver(port, [secret])
    try:
        assert runner.invoke(main, ["--db", loaded.url, "hooks", "test", "1"]).exit_code == 0
        screen_party(loaded, "a", "1")
        assert "1 delivered" in runner.invoke(main, ["--db", loaded.url, "hooks", "deliver"]).output
    finally:
        receiver.close()
    listed = runner.invoke(main, ["--db", loaded.url, "hooks", "deliveries", "--json"])
    assert json.loads(listed.stdout)[0]["status"] == "delivered"
