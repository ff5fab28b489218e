"""Initial schema: datasets, versions, content-addressed entities, changes, issues.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("publisher", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.String(100), sa.ForeignKey("datasets.name"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
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
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_versions_dataset", "versions", ["dataset"])
    op.create_index("ix_versions_status", "versions", ["status"])
    op.create_table(
        "entity_data",
        sa.Column("hash", sa.String(40), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "entities",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
        sa.Column("entity_id", sa.String(255), primary_key=True),
        sa.Column("schema", sa.String(40), nullable=False),
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("hash", sa.String(40), sa.ForeignKey("entity_data.hash"), nullable=False),
    )
    op.create_index("ix_entities_entity_id", "entities", ["entity_id"])
    op.create_table(
        "changes",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
        sa.Column("entity_id", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON),
    )
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("locator", sa.Text, nullable=False),
        sa.Column("field", sa.Text),
        sa.Column("value", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_issues_version_id", "issues", ["version_id"])


def downgrade() -> None:
    for table in ("issues", "changes", "entities", "entity_data", "versions", "datasets"):
        op.drop_table(table)
