"""The statement that gives a completed recurring task its next occurrence.

impl/tasks/recurrence/ computes when the next occurrence is due;
this statement writes it, in the completing write's transaction
(completion.py).
"""

from typing import Any

from sqlalchemy import bindparam, insert, select, update

from generated.models import TaskCreate
from impl.db.statements import Statement, compile_statement
from impl.tasks.statements import (
    OWNED,
    OWNER,
    OwnedParams,
    answered,
    counted_user,
    new_values,
)
from impl.tasks.tables import tasks


class SpawnParams(OwnedParams):
    max_tasks: int
    new: dict[str, Any]
    """The next occurrence's due_date, due_at, recurrence and remind_at."""


SPAWNED = ("due_date", "due_at", "recurrence", "remind_at")
"""What the completion computes for the next occurrence."""
STARTS_AFRESH = ("completed",)
"""What the next occurrence takes from the table's defaults: it is not done."""
COPIED = tuple(
    name for name in TaskCreate.model_fields if name not in (*SPAWNED, *STARTS_AFRESH)
)
"""What a recurring task's next occurrence takes from it: every field a
client sets when it creates a task (the contract's TaskCreate), but those
above. A field added to the contract is copied without a word here."""


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
