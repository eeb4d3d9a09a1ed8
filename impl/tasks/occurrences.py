"""The statement that gives a completed recurring task its next occurrence.

impl/tasks/recurrence.py computes when the next occurrence is due;
this statement writes it, in the completing write's transaction
(impl/tasks/handlers.py).
"""

from typing import Any

from sqlalchemy import bindparam, insert, select, update

from impl.db.statements import Statement, compile_statement
from impl.db.tables import tasks
from impl.tasks.statements import (
    OWNED,
    OWNER,
    OwnedParams,
    answered,
    counted_user,
    new_values,
)


class SpawnParams(OwnedParams):
    max_tasks: int
    new: dict[str, Any]
    """The next occurrence's due_date, due_at and recurrence."""


SPAWNED = ("due_date", "due_at", "recurrence")
COPIED = ("title", "description", "priority", "tags", "time_zone")
"""What a recurring task's next occurrence takes from it; the rest is new."""


def _spawn() -> Statement[SpawnParams]:
    """A completed recurring task's next occurrence, created where the quota
    has room, and the task linked to it (`next_occurrence`, no new version:
    it is the same change): the task, its next_occurrence NULL when the
    quota had none. Runs in the completing write's transaction, which holds
    the task's row lock, so racing completions create one."""
    counted = counted_user()
    source = tasks.alias("source")
    new = new_values(SPAWNED)
    created = (
        insert(tasks)
        .from_select(
            ["user_id", *COPIED, *new],
            select(counted.c.id, *(source.c[c] for c in COPIED), *new.values()).where(
                source.c.user_id == OWNER, source.c.id == bindparam("task")
            ),
        )
        .returning(tasks.c.id)
        .cte("created")
    )
    return compile_statement(
        update(tasks)
        .where(*OWNED)
        .values(next_occurrence=select(created.c.id).scalar_subquery())
        .returning(*answered(tasks.c)),
        SpawnParams,
        idempotent=False,
        operation="INSERT",
        target="next occurrence",
    )


SPAWN = _spawn()
