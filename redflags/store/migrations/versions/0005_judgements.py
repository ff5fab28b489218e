"""Analysts' judgements on whether two listed records are the same party (``lists link`` /
``lists unlink``): kept apart from the list versions, so that they survive every reload.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "judgements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("left_id", sa.String(255), nullable=False),
        sa.Column("right_id", sa.String(255), nullable=False),
        sa.Column("judgement", sa.String(10), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_judgements_pair", "judgements", ["left_id", "right_id"])


def downgrade() -> None:
    op.drop_index("ix_judgements_pair", "judgements")
    op.drop_table("judgements")
