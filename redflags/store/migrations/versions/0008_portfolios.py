"""Monitoring: watched portfolios, their parties, and the record of each (portfolio, list version)
re-screened.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
    )
    op.create_table(
        "watched",
        sa.Column("portfolio", sa.String(200), sa.ForeignKey("portfolios.name"), primary_key=True),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("parties.id"), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "monitor_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("portfolio", sa.String(200), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("matcher", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("counts", sa.JSON),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("portfolio", "version_id", name="ux_monitor_runs_portfolio_version"),
    )


def downgrade() -> None:
    op.drop_table("monitor_runs")
    op.drop_table("watched")
    op.drop_table("portfolios")
