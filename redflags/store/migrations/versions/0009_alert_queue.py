"""The analysts' queue: an alert's assignee, and the indexes that keep a filtered, sorted queue of
a million alerts paging in constant time (status, assignee, score, each with the id).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("assignee", sa.String(200)))
    op.create_index("ix_alerts_status_id", "alerts", ["status", "id"])
    op.create_index("ix_alerts_assignee_id", "alerts", ["assignee", "id"])
    op.create_index("ix_alerts_score_id", "alerts", ["score", "id"])
    op.create_index("ix_parties_source_id", "parties", ["source", "id"])


def downgrade() -> None:
    op.drop_index("ix_parties_source_id", "parties")
    op.drop_index("ix_alerts_score_id", "alerts")
    op.drop_index("ix_alerts_assignee_id", "alerts")
    op.drop_index("ix_alerts_status_id", "alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("assignee")
