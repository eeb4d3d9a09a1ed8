"""The tables, as SQLModel classes; `tasks` and `users` give the SQL names."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Table,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class User(SQLModel, table=True):
    """A user, created by that user's first write."""

    __tablename__ = "users"

    id: str = Field(sa_column=Column(Text, primary_key=True))
    created_at: datetime = Field(sa_column=_timestamp())


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        # Serves the list query: a user's tasks by created_at, ties by id,
        # read forwards or backwards.
        Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 255", name="ck_tasks_title"),
        CheckConstraint(
            "char_length(description) <= 10000", name="ck_tasks_description"
        ),
    )

    # Random (v4) ids, so that ids reveal nothing about order or volume.
    id: UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            primary_key=True,
            server_default=text("gen_random_uuid()"),
        )
    )
    user_id: str = Field(
        sa_column=Column(
            Text, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        )
    )
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(sa_column=Column(Text, nullable=True))
    completed: bool = Field(
        sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())


users: Table = User.__table__  # type: ignore[attr-defined]
tasks: Table = Task.__table__  # type: ignore[attr-defined]
