"""The tables, as SQLModel classes; `users`, `tasks`, `deleted_tasks` and
`idempotency_keys`.

The rules of a feature that the table holds (a computed column, a CHECK
constraint) come from the feature's room: due dates, recurrence, search."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ENUM, JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from generated.models import Priority, RecurrenceBasis, TaskSort
from impl.tasks import recurrence
from impl.tasks.due_dates import FALLS_DUE, one_due
from impl.tasks.search import WORDS
from impl.tasks.sync import CURRENT_XID, Xid8

SORT_KEYS = tuple(dict.fromkeys(sort.value.removeprefix("-") for sort in TaskSort))
"""The columns the contract's TaskSort orders by (a leading `-` is descending)."""


PRIORITY = ENUM(*(p.value for p in Priority), name="task_priority")
"""The contract's priorities as a PostgreSQL enum, in rank order: it sorts by
rank, not by name."""


RECURRENCE_BASIS = ENUM(*(b.value for b in RecurrenceBasis), name="recurrence_basis")
"""Where a next occurrence counts from (impl/tasks/recurrence/)."""


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class User(SQLModel, table=True):
    """A user, created by that user's first write."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("task_count >= 0", name="ck_users_task_count"),)

    id: str = Field(sa_column=Column(Text, primary_key=True))
    created_at: datetime = Field(sa_column=_timestamp())
    task_count: int = Field(
        sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    """The tasks the user holds, kept by the statements that create and
    delete them; MAX_TASKS_PER_USER bounds it."""


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        # (user_id, id): every lookup is by both, so a task that is missing
        # and another user's task cost the same index probe and look the
        # same; and the table can be distributed by user_id (Citus), which
        # needs the distribution column in every unique key.
        PrimaryKeyConstraint("user_id", "id", name="pk_tasks"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 255", name="ck_tasks_title"),
        CheckConstraint(
            "char_length(description) <= 10000", name="ck_tasks_description"
        ),
        one_due(),
        recurrence.needs_due(),
    )

    user_id: str = Field(
        sa_column=Column(
            Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        )
    )
    # Random (v4) ids, so that ids reveal nothing about order or volume.
    id: UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            primary_key=True,
            server_default=text("gen_random_uuid()"),
        )
    )
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(sa_column=Column(Text, nullable=True))
    completed: bool = Field(
        sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    due_date: date | None = Field(sa_column=Column(Date, nullable=True))
    due_at: datetime | None = Field(
        sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    time_zone: str = Field(
        sa_column=Column(Text, nullable=False, server_default=text("'UTC'"))
    )
    """An IANA name, which the contract's TimeZone enumerates."""
    due: datetime | None = Field(
        sa_column=Column(DateTime(timezone=True), Computed(FALLS_DUE, persisted=True))
    )
    """When the task falls due (FALLS_DUE): the sort key `due`."""
    priority: str = Field(
        sa_column=Column(PRIORITY, nullable=False, server_default=text("'none'"))
    )
    tags: list[str] = Field(
        sa_column=Column(
            postgresql.ARRAY(Text), nullable=False, server_default=text("'{}'")
        )
    )
    words: str | None = Field(
        sa_column=Column(postgresql.TSVECTOR, Computed(WORDS, persisted=True))
    )
    """The words `q` looks for (WORDS)."""
    recurrence: str | None = Field(sa_column=Column(Text, nullable=True))
    """An RFC 5545 rule (impl/tasks/recurrence/)."""
    recurrence_basis: str = Field(
        sa_column=Column(RECURRENCE_BASIS, nullable=False, server_default=text("'due'"))
    )
    next_occurrence: UUID | None = Field(
        sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    """The task that completing this one created, if it has."""
    remind_at: datetime | None = Field(
        sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    reminded_at: datetime | None = Field(
        sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    """When the reminder fired (impl/tasks/reminders.py); the trigger
    `tasks_written` clears it when remind_at changes, arming it again."""
    version: int = Field(
        sa_column=Column(Integer, nullable=False, server_default=text("1"))
    )
    """Incremented by every change; the ETag that If-Match compares."""
    created_at: datetime = Field(sa_column=_timestamp())
    updated_at: datetime = Field(sa_column=_timestamp())
    written_xid: int = Field(
        sa_column=Column(Xid8(), nullable=False, server_default=CURRENT_XID)
    )
    """The transaction of the last write: the task's place in the sync feed
    (impl/tasks/sync/)."""


class DeletedTask(SQLModel, table=True):
    """A deleted task's tombstone, for the sync feed: written by the trigger
    `tasks_deleted` for every deletion, purged after SYNC_RETENTION."""

    __tablename__ = "deleted_tasks"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "id", name="pk_deleted_tasks"),
        Index(
            "ix_deleted_tasks_user_id_deleted_xid_id", "user_id", "deleted_xid", "id"
        ),
        Index("ix_deleted_tasks_deleted_at", "deleted_at"),
    )

    user_id: str = Field(
        sa_column=Column(Text, ForeignKey("users.id", ondelete="CASCADE"))
    )
    id: UUID = Field(sa_column=Column(PG_UUID(as_uuid=True)))
    deleted_at: datetime = Field(sa_column=_timestamp())
    deleted_xid: int = Field(
        sa_column=Column(Xid8(), nullable=False, server_default=CURRENT_XID)
    )
    """The transaction that deleted the task: its place in the sync feed."""


class IdempotencyKey(SQLModel, table=True):
    """The first response to a POST that carried an Idempotency-Key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # Deleting the task forgets the key, so a replay never points at a
        # task that is gone.
        ForeignKeyConstraint(
            ["user_id", "task_id"],
            ["tasks.user_id", "tasks.id"],
            ondelete="CASCADE",
            name="fk_idempotency_keys_task",
        ),
        Index("ix_idempotency_keys_user_id_task_id", "user_id", "task_id"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    user_id: str = Field(
        sa_column=Column(
            Text, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        )
    )
    key: str = Field(sa_column=Column(Text, primary_key=True))
    task_id: UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    request_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    response: dict[str, object] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(sa_column=_timestamp())


users: Table = User.__table__  # type: ignore[attr-defined]
tasks: Table = Task.__table__  # type: ignore[attr-defined]
deleted_tasks: Table = DeletedTask.__table__  # type: ignore[attr-defined]
idempotency_keys: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]


def _add_list_indexes(table: Table) -> None:
    """An index for every sort key, with and without the completed filter.

    Each ends with id, the tie-breaker, so a page is one index range scan in
    either direction with no sort step, however many tasks the user has. A
    sort key without a column gets none here, and stops the app at startup
    (impl/tasks/columns.py).
    """
    for key in SORT_KEYS:
        if key in table.c:
            Index(
                f"ix_tasks_user_id_{key}_id", table.c.user_id, table.c[key], table.c.id
            )
            Index(
                f"ix_tasks_user_id_completed_{key}_id",
                table.c.user_id,
                table.c.completed,
                table.c[key],
                table.c.id,
            )


_add_list_indexes(tasks)
# The reminders not yet fired, by when: what the reminders' claim reads,
# across users, one index range scan (impl/tasks/reminders.py).
Index(
    "ix_tasks_remind_at_armed",
    tasks.c.remind_at,
    postgresql_where=tasks.c.reminded_at.is_(None) & tasks.c.remind_at.is_not(None),
)
# The sync feed's order: a page, or the answer that nothing changed, is one
# index range scan.
Index(
    "ix_tasks_user_id_written_xid_id", tasks.c.user_id, tasks.c.written_xid, tasks.c.id
)
