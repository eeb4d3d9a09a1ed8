"""Reminders: a task's remind_at and reminded_at, the index of the armed
ones, and a new remind_at arming the reminder again

Revision ID: 7e41b9c2a6d3
Revises: 3c9d0e5a7b21
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e41b9c2a6d3"
down_revision: str | None = "3c9d0e5a7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As 0005's, and a remind_at written anew clears reminded_at, whatever
# statement writes it.
TASKS_WRITTEN = """
CREATE OR REPLACE FUNCTION tasks_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.written_xid := pg_current_xact_id();
    IF NEW.remind_at IS DISTINCT FROM OLD.remind_at THEN
        NEW.reminded_at := NULL;
    END IF;
    RETURN NEW;
END
$$
"""

TASKS_WRITTEN_BEFORE = """
CREATE OR REPLACE FUNCTION tasks_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.written_xid := pg_current_xact_id();
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column(
        "tasks", sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "tasks", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_tasks_remind_at_armed",
        "tasks",
        ["remind_at"],
        postgresql_where=sa.text("reminded_at IS NULL AND remind_at IS NOT NULL"),
    )
    op.execute(TASKS_WRITTEN)


def downgrade() -> None:
    op.execute(TASKS_WRITTEN_BEFORE)
    op.drop_index("ix_tasks_remind_at_armed", table_name="tasks")
    op.drop_column("tasks", "reminded_at")
    op.drop_column("tasks", "remind_at")
