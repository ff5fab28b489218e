"""E-mail digests against a real SMTP server on loopback (aiosmtpd): down first, then up."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest

from redflags import settings
from redflags.monitor import add_hook, deliver_pending, deliveries
from tests.monitor.test_hooks import free_port, screen_party


def test_digest_over_smtp(loaded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller

    port = free_port()
    monkeypatch.setattr(settings, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setattr(settings, "SMTP_PORT", port)
    add_hook(loaded, "mailto:compliance@example.org", ["alert.created"], "admin", party_fields=["names"])
    screen_party(loaded, "vendors", "V1")
    screen_party(loaded, "vendors", "V2", "Arimero Group")
    now = datetime.now(UTC)
    assert deliver_pending(loaded, now=now)["failed"] == 2  # no server yet

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver_pending(loaded, now=now + timedelta(seconds=5))["delivered"] == 2
    finally:
        controller.stop()
    (mail,) = received  # one digest for both events
    assert mail.rcpt_tos == ["compliance@example.org"]
    message = message_from_bytes(mail.content)
    assert message["Subject"] == "redflags: 2 new alerts"
    body = message.get_payload()
    assert "vendors/V1 (Arimero Holdings)" in body and "vendors/V2 (Arimero Group)" in body
    assert {d["status"] for d in deliveries(loaded)} == {"delivered"}
