"""E-mail digests: the events due for a ``mailto:`` hook in one message, sent over SMTP (the
REDFLAGS_SMTP_* settings). Like webhook payloads, a digest names alerts, parties by their key and
listed parties; a screened party's own details only as far as the hook allows."""

import smtplib
from email.message import EmailMessage
from typing import Any

from redflags import settings

TITLES = {"alert.created": "New alert", "alert.review_required": "Needs review", "alert.decided": "Decided",
          "list.updated": "List updated"}

SUBJECTS = {"alert.created": ("new alert", "new alerts"), "alert.review_required": ("alert to review", "alerts to review"),
            "alert.decided": ("decision", "decisions"), "list.updated": ("list update", "list updates")}


def _line(event: dict[str, Any]) -> str:
    data = event["body"]["data"]
    kind = TITLES.get(event["kind"], event["kind"])
    if event["kind"] == "list.updated":
        return (f"{kind}: {data['dataset']} version {data['version']} (+{data.get('added') or 0} "
                f"-{data.get('removed') or 0} ~{data.get('modified') or 0})")
    party, listed = data["party"], data["listed"]
    names = f" ({'; '.join(party['names'])})" if party.get("names") else ""
    extra = ""
    if event["kind"] == "alert.decided":
        extra = f": {data['decision']['decision']} by {data['decision']['actor']}"
    elif event["kind"] == "alert.review_required":
        extra = f": changed {', '.join(data.get('changed') or [])}"
    return (f"{kind}: alert {data['alert']}, {party['key']}{names} ~ {listed['caption']} ({listed['id']}, "
            f"{', '.join(listed['lists'])}), score {data['score']:.2f}{extra}")


def compose(to: str, events: list[dict[str, Any]]) -> EmailMessage:
    counts: dict[str, int] = {}
    for event in events:
        counts[event["kind"]] = counts.get(event["kind"], 0) + 1
    message = EmailMessage()
    message["From"] = settings.SMTP_FROM
    message["To"] = to
    message["Subject"] = "redflags: " + ", ".join(f"{n} {SUBJECTS.get(k, (k, k))[n != 1]}" for k, n in counts.items())
    lines = [_line(e) for e in events]
    message.set_content("\n".join(["redflags monitoring digest", "", *lines, "",
                                   "Review: `redflags alerts show ID` or the alert queue."]) + "\n")
    return message


def send(message: EmailMessage) -> str | None:
    """None once the server accepted it; else why not."""
    try:
        with smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT, timeout=30) as smtp:
            if settings.SMTP_STARTTLS:
                smtp.starttls()
                if settings.SMTP_USER:
                    smtp.login(settings.SMTP_USER, settings.SMTP_PASSWORD)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return None
