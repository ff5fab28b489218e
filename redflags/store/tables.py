"""Table definitions. Schema changes go through an alembic migration in migrations/versions."""

import sqlalchemy as sa

metadata = sa.MetaData()

datasets = sa.Table(
    "datasets", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("title", sa.Text),
    sa.Column("publisher", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

versions = sa.Table(
    "versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.String(100), sa.ForeignKey("datasets.name"), nullable=False,
              index=True),
    # loading -> active -> superseded, or loading -> failed
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("format", sa.String(40), nullable=False),
    sa.Column("files", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("data_date", sa.String(32)),
    sa.Column("entity_count", sa.Integer),
    sa.Column("counts", sa.JSON),
    sa.Column("issue_counts", sa.JSON),
    sa.Column("previous_id", sa.Integer),
    sa.Column("added", sa.Integer),
    sa.Column("removed", sa.Integer),
    sa.Column("modified", sa.Integer),
    sa.Column("forced", sa.Boolean, nullable=False, default=False),
    sa.Column("error", sa.Text),
    sa.Column("owner", sa.String(200)),  # host:pid:start of the loading process, while it loads
    # one active version per dataset, whatever loads run at once
    sa.Index("ux_versions_one_active", "dataset", unique=True, sqlite_where=sa.text("status = 'active'"),
             postgresql_where=sa.text("status = 'active'")),
)

entity_data = sa.Table(
    "entity_data", metadata,
    sa.Column("hash", sa.String(40), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
)

entities = sa.Table(
    "entities", metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("entity_id", sa.String(255), primary_key=True),
    sa.Column("schema", sa.String(40), nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("hash", sa.String(40), sa.ForeignKey("entity_data.hash"), nullable=False),
    sa.Index("ix_entities_entity_id", "entity_id"),
)

changes = sa.Table(
    "changes", metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("entity_id", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # added | removed | modified
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("detail", sa.JSON),
)

issues = sa.Table(
    "issues", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False,
              index=True),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("code", sa.String(60), nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("locator", sa.Text, nullable=False),
    sa.Column("field", sa.Text),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
)

screen_runs = sa.Table(
    "screen_runs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # running -> done | failed; a killed run stays "running" until it is resumed
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("input", sa.Text, nullable=False),
    sa.Column("input_info", sa.JSON, nullable=False),
    sa.Column("output", sa.Text),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("list_versions", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # viewer | analyst | admin
    sa.Column("secret_hash", sa.String(64), nullable=False),  # sha256 of the secret; the key itself is never stored
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

judgements = sa.Table(
    "judgements", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # a pair of record ids, the smaller first; the newest row of a pair is the judgement in force
    sa.Column("left_id", sa.String(255), nullable=False),
    sa.Column("right_id", sa.String(255), nullable=False),
    sa.Column("judgement", sa.String(10), nullable=False),  # positive | negative
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_judgements_pair", "left_id", "right_id"),
)

# --- review: screened parties, their screenings, alerts and decisions -------------------

parties = sa.Table(
    "parties", metadata,
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
    sa.Index("ix_parties_source_id", "source", "id"),
)

snapshots = sa.Table(
    # what a party's screened properties were, by fingerprint: what a later change is shown against
    "party_snapshots", metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("properties", sa.JSON),  # personal data: emptied by retention
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

screenings = sa.Table(
    "screenings", metadata,
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

alerts = sa.Table(
    "alerts", metadata,
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
    sa.Column("assignee", sa.String(200)),  # the analyst the alert is assigned to
    sa.UniqueConstraint("party_id", "listed_id", name="ux_alerts_party_listed"),
    sa.Index("ix_alerts_listed", "listed_id"),
    sa.Index("ix_alerts_status_id", "status", "id"),
    sa.Index("ix_alerts_assignee_id", "assignee", "id"),
    sa.Index("ix_alerts_score_id", "score", "id"),
)

decisions = sa.Table(
    # append-only: a new decision supersedes the one before, never overwrites it
    "decisions", metadata,
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

approvals = sa.Table(
    "approvals", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=False, unique=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("role", sa.String(20)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

config = sa.Table(
    # settings an admin changes at run time (review reasons, four-eyes, retention); each change audited
    "config", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# --- the audit trail: append-only, hash-chained ---------------------------------------

audit_log = sa.Table(
    "audit_log", metadata,
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

audit_head = sa.Table(
    # one row: the newest entry. Every audited write locks it first, so entries are serial.
    "audit_head", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)

# --- monitoring: events (an outbox written with what they announce), webhooks, deliveries ---

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),  # alert.created | alert.review_required | alert.decided | list.updated
    sa.Column("portfolio", sa.Text),  # whose party it concerns (deliveries are in order per portfolio)
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

hooks = sa.Table(
    "hooks", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("secrets", sa.JSON, nullable=False),  # active signing secrets, newest first (rotation)
    sa.Column("party_fields", sa.JSON, nullable=False),  # what of a screened party a payload may carry
    sa.Column("cursor", sa.BigInteger, nullable=False),  # the last event queued for it
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled_at", sa.DateTime(timezone=True)),
)

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("hook_id", sa.Integer, sa.ForeignKey("hooks.id"), nullable=False),
    sa.Column("event_id", sa.BigInteger, sa.ForeignKey("events.id"), nullable=False),
    sa.Column("portfolio", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("hook_id", "event_id", name="ux_deliveries_hook_event"),
    sa.Index("ix_deliveries_pending", "status", "hook_id"),
)

portfolios = sa.Table(
    # a named, watched set of parties (their key: "<portfolio>/<id>"): re-screened on every list change
    "portfolios", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),  # the column mapping of its file
)

watched = sa.Table(
    "watched", metadata,
    sa.Column("portfolio", sa.String(200), sa.ForeignKey("portfolios.name"), primary_key=True),
    sa.Column("party_id", sa.Integer, sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True)),  # no longer in the portfolio's file
)

monitor_runs = sa.Table(
    # one per (portfolio, list version) processed: exactly once, resumed after a crash
    "monitor_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("portfolio", sa.String(200), nullable=False),
    sa.Column("dataset", sa.String(100), nullable=False),
    sa.Column("version_id", sa.Integer, nullable=False),
    sa.Column("matcher", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # baseline | changes | full
    sa.Column("status", sa.String(20), nullable=False),  # running | done
    sa.Column("owner", sa.String(200)),  # host:pid:start of the process running it
    sa.Column("counts", sa.JSON),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("portfolio", "version_id", name="ux_monitor_runs_portfolio_version"),
)
