"""tasks, users and idempotency keys

Revision ID: abd0cd0fc08b
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "abd0cd0fc08b"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tasks",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column(
            "id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "completed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "char_length(description) <= 10000", name="ck_tasks_description"
        ),
        sa.CheckConstraint(
            "char_length(title) BETWEEN 1 AND 255", name="ck_tasks_title"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "id", name="pk_tasks"),
    )
    op.create_index(
        "ix_tasks_user_id_completed_created_at_id",
        "tasks",
        ["user_id", "completed", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_user_id_completed_title_id",
        "tasks",
        ["user_id", "completed", "title", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_user_id_completed_updated_at_id",
        "tasks",
        ["user_id", "completed", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_user_id_created_at_id",
        "tasks",
        ["user_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tasks_user_id_title_id", "tasks", ["user_id", "title", "id"], unique=False
    )
    op.create_index(
        "ix_tasks_user_id_updated_at_id",
        "tasks",
        ["user_id", "updated_at", "id"],
        unique=False,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("task_id", sa.UUID(), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id", "task_id"],
            ["tasks.user_id", "tasks.id"],
            name="fk_idempotency_keys_task",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )
    op.create_index(
        "ix_idempotency_keys_created_at",
        "idempotency_keys",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        "ix_idempotency_keys_user_id_task_id",
        "idempotency_keys",
        ["user_id", "task_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index("ix_idempotency_keys_user_id_task_id", table_name="idempotency_keys")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_tasks_user_id_updated_at_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_title_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_created_at_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_completed_updated_at_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_completed_title_id", table_name="tasks")
    op.drop_index("ix_tasks_user_id_completed_created_at_id", table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("users")
