"""The words of each task's title and description, for listTasks' q

Revision ID: 8f3a61c2d0b7
Revises: 636d6874e7d5
Create Date: 2026-12-07 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8f3a61c2d0b7"
down_revision: str | None = "636d6874e7d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tasks",
        sa.Column(
            "words",
            postgresql.TSVECTOR(),
            sa.Computed(
                "strip(to_tsvector('simple'::regconfig,"
                " title || ' ' || coalesce(description, '')))",
                persisted=True,
            ),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("tasks", "words")
