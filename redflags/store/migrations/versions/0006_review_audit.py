"""Review and proof: screened parties, their screenings, alerts, decisions and approvals,
run-time settings, and the hash-chained audit log with its head.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        # "<portfolio or file>/<input id>", else "sha256:<hash of the screened properties>"
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("input_id", sa.Text),
        sa.Column("fingerprint", sa.String(64), nullable=False),  # of the screened properties
        sa.Column("properties", sa.JSON),  # personal data: emptied by retention, the fingerprint stays
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        # what a party's screened properties were, by fingerprint: what a later change is shown against
        "party_snapshots",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("properties", sa.JSON),  # personal data: emptied by retention
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("parties.id"), nullable=False, index=True),
        sa.Column("run_id", sa.String(32), index=True),  # a screen run, or none (a recorded /match)
        sa.Column("row", sa.Integer),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("versions", sa.Text, nullable=False),  # dataset:version,... in force
        sa.Column("matcher", sa.String(64), nullable=False),
        sa.Column("party_fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),  # alert | review_required | suppressed | clear | error
        sa.Column("hits", sa.JSON, nullable=False),  # [{id, score, match, alert, review}]
        sa.Column("hash", sa.String(64), nullable=False),  # of all the above: the audit trail commits to it
        sa.UniqueConstraint("run_id", "row", name="ux_screenings_run_row"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("listed_id", sa.String(255), nullable=False),  # the listed party (its canonical record id)
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("lists", sa.JSON, nullable=False),
        # open | true_match | false_positive | escalated | review_required
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("score", sa.Float, nullable=False),  # the best seen
        sa.Column("last_score", sa.Float, nullable=False),
        sa.Column("hit", sa.JSON, nullable=False),  # the latest hit, with its explanation
        sa.Column("party_fingerprint", sa.String(64), nullable=False),  # as last screened
        sa.Column("listed_fingerprint", sa.String(64), nullable=False),
        sa.Column("listed_records", sa.JSON, nullable=False),  # {record id: content hash}, as last screened
        sa.Column("decision_id", sa.Integer),  # the decision in force
        sa.Column("pending_id", sa.Integer),  # a decision awaiting a second actor
        sa.Column("changes", sa.JSON),  # what changed since the decision, when review is required
        sa.Column("run_id", sa.String(32), index=True),  # the run that last saw it
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency: a decision names it
        sa.UniqueConstraint("party_id", "listed_id", name="ux_alerts_party_listed"),
    )
    op.create_table(
        # append-only: a new decision supersedes the one before, never overwrites it
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False, index=True),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("role", sa.String(20)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("party_fingerprint", sa.String(64), nullable=False),
        sa.Column("listed_fingerprint", sa.String(64), nullable=False),
        sa.Column("listed_records", sa.JSON, nullable=False),
        sa.Column("supersedes", sa.Integer),
        sa.Column("needs_approval", sa.Boolean, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=False, unique=True),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("role", sa.String(20)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        # settings an admin changes at run time (review reasons, four-eyes, retention); each change audited
        "config",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),  # ISO 8601 UTC, hashed as written
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(60), nullable=False, index=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("record_hash", sa.String(64)),  # of the row it records (decision, screenings, ...)
        sa.Column("payload", sa.Text),  # canonical JSON; may hold personal data, so retention may empty it
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        # one row: the newest entry. Every audited write locks it first, so entries are serial.
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_alerts_listed", "alerts", ["listed_id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_listed", "alerts")
    op.drop_table("audit_head")
    op.drop_table("audit_log")
    op.drop_table("config")
    op.drop_table("approvals")
    op.drop_table("decisions")
    op.drop_table("alerts")
    op.drop_table("screenings")
    op.drop_table("party_snapshots")
    op.drop_table("parties")
