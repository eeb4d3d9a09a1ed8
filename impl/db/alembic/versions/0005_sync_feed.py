"""The sync feed: each task's last writing transaction, and deleted tasks'
tombstones, both set by triggers so that every write path feeds the feed

Revision ID: 3c9d0e5a7b21
Revises: 8f3a61c2d0b7
Create Date: 2026-12-07 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "3c9d0e5a7b21"
down_revision: str | None = "8f3a61c2d0b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class Xid8(UserDefinedType[int]):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "xid8"


# The row's last writer, on every UPDATE whatever its statement sets; an
# INSERT takes the column's default.
TASKS_WRITTEN = (
    """
CREATE FUNCTION tasks_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.written_xid := pg_current_xact_id();
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER tasks_written BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_written()
""",
)

# One INSERT per deleting statement (clear-completed deletes many). A user's
# own deletion, cascading to the tasks, leaves no tombstones: the user's row
# is already gone, and the feed with it.
TASKS_DELETED = (
    """
CREATE FUNCTION tasks_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deleted_tasks (user_id, id)
    SELECT gone.user_id, gone.id FROM gone
    WHERE EXISTS (SELECT FROM users WHERE users.id = gone.user_id);
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER tasks_deleted AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_deleted()
""",
)


def upgrade() -> None:
    op.add_column(
        "tasks",
        sa.Column(
            "written_xid",
            Xid8(),
            server_default=sa.text("pg_current_xact_id()"),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_tasks_user_id_written_xid_id",
        "tasks",
        ["user_id", "written_xid", "id"],
    )
    op.create_table(
        "deleted_tasks",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "deleted_xid",
            Xid8(),
            server_default=sa.text("pg_current_xact_id()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "id", name="pk_deleted_tasks"),
    )
    op.create_index(
        "ix_deleted_tasks_user_id_deleted_xid_id",
        "deleted_tasks",
        ["user_id", "deleted_xid", "id"],
    )
    op.create_index("ix_deleted_tasks_deleted_at", "deleted_tasks", ["deleted_at"])
    for statement in (*TASKS_WRITTEN, *TASKS_DELETED):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER tasks_deleted ON tasks")
    op.execute("DROP FUNCTION tasks_deleted()")
    op.execute("DROP TRIGGER tasks_written ON tasks")
    op.execute("DROP FUNCTION tasks_written()")
    op.drop_table("deleted_tasks")
    op.drop_index("ix_tasks_user_id_written_xid_id", table_name="tasks")
    op.drop_column("tasks", "written_xid")
