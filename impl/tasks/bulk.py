"""The statement over all of a user's tasks at once: clearing the completed
ones (clearCompletedTasks)."""

from sqlalchemy import delete, func, select, update

from impl.db.statements import Statement, compile_statement
from impl.tasks.statements import OWNER, OwnerParams
from impl.tasks.tables import tasks, users


def _clear_completed() -> Statement[OwnerParams]:
    """The user's completed tasks deleted, and the user's task count lowered
    by as many, in one statement: how many."""
    deleted = (
        delete(tasks)
        .where(tasks.c.user_id == OWNER, tasks.c.completed)
        .returning(tasks.c.id)
        .cte("deleted")
    )
    count = select(func.count()).select_from(deleted).scalar_subquery()
    uncounted = (
        update(users)
        .where(users.c.id == OWNER)
        .values(task_count=users.c.task_count - count)
        .returning(users.c.id)
        .cte("uncounted")
    )
    return compile_statement(
        select(count.label("deleted")).add_cte(uncounted),
        OwnerParams,
        idempotent=True,
        operation="DELETE",
        target="completed tasks",
    )


CLEAR_COMPLETED = _clear_completed()
