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
    if op.get_bind().dialect.name == "postgresql":
        # not for lookups: with it, ANALYZE keeps statistics on the lists as text, so a filter on a
        # list is estimated right and the queue is still read newest first (estimated at 6 rows
        # of a million, it was read whole and sorted: 280 ms at 1,000,000 alerts)
        op.execute("CREATE INDEX ix_alerts_lists_text ON alerts ((CAST(lists AS TEXT)))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_alerts_lists_text")
    op.drop_index("ix_parties_source_id", "parties")
    op.drop_index("ix_alerts_score_id", "alerts")
    op.drop_index("ix_alerts_assignee_id", "alerts")
    op.drop_index("ix_alerts_status_id", "alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("assignee")
