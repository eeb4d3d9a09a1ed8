"""users.task_count: the tasks each user holds, for MAX_TASKS_PER_USER

Revision ID: 5c1f2b7d9e41
Revises: abd0cd0fc08b
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1f2b7d9e41"
down_revision: str | None = "abd0cd0fc08b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("task_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_check_constraint("ck_users_task_count", "users", "task_count >= 0")
    # The tasks written before the count existed.
    op.execute(
        "UPDATE users SET task_count ="
        " (SELECT count(*) FROM tasks WHERE tasks.user_id = users.id)"
    )


def downgrade() -> None:
    op.drop_constraint("ck_users_task_count", "users")
    op.drop_column("users", "task_count")
