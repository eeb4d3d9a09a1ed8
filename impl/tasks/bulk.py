"""The statements over all of a user's tasks at once: clearing the completed
ones, and counting the tags."""

from sqlalchemy import delete, func, select, true, update

from impl.db.statements import Statement, compile_statement
from impl.db.tables import tasks, users
from impl.tasks.statements import OWNER, OwnerParams


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


def _tags() -> Statement[OwnerParams]:
    """Each tag on the user's tasks and how many carry it, by name in code
    point order."""
    tags = func.unnest(tasks.c.tags).table_valued("name").alias("tag")
    name = tags.c.name
    return compile_statement(
        select(name, func.count().label("count"))
        .select_from(tasks.join(tags, true()))
        .where(tasks.c.user_id == OWNER)
        .group_by(name)
        .order_by(name.collate("C")),
        OwnerParams,
        idempotent=True,
        operation="SELECT",
        target="tags",
    )


TAGS = _tags()
