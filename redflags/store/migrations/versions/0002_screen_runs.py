"""Screening runs: parameters, list versions screened against, counts.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "screen_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
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
    op.create_index("ix_screen_runs_status", "screen_runs", ["status"])


def downgrade() -> None:
    op.drop_table("screen_runs")
