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
