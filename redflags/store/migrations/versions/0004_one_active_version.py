"""One active version per dataset, enforced by the database; who is loading a version.

A partial unique index allows one ``active`` row per dataset. Databases that concurrent
loads left with several active versions keep the newest active and mark the others
superseded. ``owner`` names the process loading a version (``host:pid:start``), so that a
load whose process died is marked failed instead of staying ``loading`` forever.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    conn = op.get_bind()
    versions = sa.table("versions", sa.column("id", sa.Integer), sa.column("dataset", sa.String),
                        sa.column("status", sa.String))
    newest = dict(conn.execute(sa.select(versions.c.dataset, sa.func.max(versions.c.id))
                               .where(versions.c.status == "active").group_by(versions.c.dataset)).all())
    for dataset, keep in newest.items():
        conn.execute(versions.update().where(versions.c.dataset == dataset, versions.c.status == "active",
                                             versions.c.id != keep).values(status="superseded"))
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("owner", sa.String(200)))
    op.create_index("ux_versions_one_active", "versions", ["dataset"], unique=True,
                    sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index("ux_versions_one_active", "versions")
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("owner")
