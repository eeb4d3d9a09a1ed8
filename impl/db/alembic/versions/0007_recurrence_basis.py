"""Recurrence basis: where a recurring task's next occurrence counts from,
its due date (as before) or the moment it was completed

Revision ID: 5b8f2d4c9e17
Revises: 7e41b9c2a6d3
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5b8f2d4c9e17"
down_revision: str | None = "7e41b9c2a6d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASIS = postgresql.ENUM("due", "completion", name="recurrence_basis")


def upgrade() -> None:
    BASIS.create(op.get_bind())
    op.add_column(
        "tasks",
        sa.Column(
            "recurrence_basis",
            BASIS,
            nullable=False,
            server_default=sa.text("'due'"),
        ),
    )


def downgrade() -> None:
    op.drop_column("tasks", "recurrence_basis")
    BASIS.drop(op.get_bind())
