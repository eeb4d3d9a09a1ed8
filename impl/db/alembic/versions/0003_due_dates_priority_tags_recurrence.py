"""Due dates in a time zone, priority, tags and recurrence on tasks

Revision ID: 636d6874e7d5
Revises: 5c1f2b7d9e41
Create Date: 2026-12-05 14:26:16.607831
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

PRIORITY = postgresql.ENUM("none", "low", "medium", "high", name="task_priority")

revision: str = "636d6874e7d5"
down_revision: str | None = "5c1f2b7d9e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    PRIORITY.create(op.get_bind())
    op.add_column("tasks", sa.Column("due_date", sa.Date(), nullable=True))
    op.add_column(
        "tasks", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "tasks",
        sa.Column(
            "time_zone", sa.Text(), server_default=sa.text("'UTC'"), nullable=False
        ),
    )
    op.add_column(
        "tasks",
        sa.Column(
            "due",
            sa.DateTime(timezone=True),
            sa.Computed(
                "COALESCE(due_at, CASE WHEN due_date IS NOT NULL THEN"
                " LEAST(timezone(time_zone, (due_date + 1)::timestamp),"
                " '9999-12-31 23:59:59.999999+00'::timestamptz) END)",
                persisted=True,
            ),
            nullable=True,
        ),
    )
    op.add_column(
        "tasks",
        sa.Column(
            "priority",
            postgresql.ENUM(name="task_priority", create_type=False),
            server_default=sa.text("'none'"),
            nullable=False,
        ),
    )
    op.add_column(
        "tasks",
        sa.Column(
            "tags", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
    )
    op.add_column("tasks", sa.Column("recurrence", sa.Text(), nullable=True))
    op.add_column("tasks", sa.Column("next_occurrence", sa.UUID(), nullable=True))
    op.create_index(
        "ix_tasks_user_id_completed_due_id",
        "tasks",
        ["user_id", "completed", "due", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_user_id_completed_priority_id",
        "tasks",
        ["user_id", "completed", "priority", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_user_id_due_id", "tasks", ["user_id", "due", "id"], unique=False
    )
    op.create_index(
        "ix_tasks_user_id_priority_id",
        "tasks",
        ["user_id", "priority", "id"],
        unique=False,
    )
    op.create_check_constraint(
        "ck_tasks_one_due", "tasks", "due_date IS NULL OR due_at IS NULL"
    )
    op.create_check_constraint(
        "ck_tasks_recurrence_needs_due",
        "tasks",
        "recurrence IS NULL OR due_date IS NOT NULL OR due_at IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_constraint("ck_tasks_recurrence_needs_due", "tasks")
    op.drop_constraint("ck_tasks_one_due", "tasks")
    op.drop_index("ix_tasks_user_id_priority_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_due_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_completed_priority_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_completed_due_id", table_name="tasks")
    op.drop_column("tasks", "next_occurrence")
    op.drop_column("tasks", "recurrence")
    op.drop_column("tasks", "tags")
    op.drop_column("tasks", "priority")
    op.drop_column("tasks", "due")
    op.drop_column("tasks", "time_zone")
    op.drop_column("tasks", "due_at")
    op.drop_column("tasks", "due_date")
    PRIORITY.drop(op.get_bind())
