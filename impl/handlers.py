"""The handlers, one per operationId of openapi.yaml.

Each handler issues exactly one SQL statement, filtered by the caller's
user_id, with RETURNING instead of a read after the write. Another user's
task is indistinguishable from a missing one: both are 404.
"""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from generated.models import Task, TaskCreate, TaskList, TaskUpdate
from impl import pagination
from impl.deps import RequestContext
from impl.errors import NotFound
from impl.tables import tasks, users


def _task(row: Mapping[str, Any]) -> Task:
    # The row comes from our own table, already valid; FastAPI serializes it.
    return Task.model_construct(**row)


async def list_tasks(
    ctx: RequestContext,
    *,
    user_id: str,
    limit: int,
    cursor: str | None,
    completed: bool | None,
) -> TaskList:
    statement = select(*tasks.c).where(tasks.c.user_id == user_id)
    if completed is not None:
        statement = statement.where(tasks.c.completed == completed)
    if cursor is not None:
        after = pagination.decode(cursor)
        statement = statement.where(
            tuple_(tasks.c.created_at, tasks.c.id) < tuple_(after.created_at, after.id)
        )
    statement = statement.order_by(tasks.c.created_at.desc(), tasks.c.id.desc())
    # One row more than the page tells whether there is a next page.
    rows = (await ctx.session.execute(statement.limit(limit + 1))).mappings().all()
    items = [_task(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = pagination.encode(pagination.Position(last.created_at, last.id))
    return TaskList.model_construct(items=items, next_cursor=next_cursor)


async def create_task(ctx: RequestContext, *, user_id: str, body: TaskCreate) -> Task:
    # The user's row rides along in the same statement: created on the first
    # write, a no-op afterwards, never an extra round trip.
    ensure_user = (
        pg_insert(users).values(id=user_id).on_conflict_do_nothing().cte("ensure_user")
    )
    statement = (
        insert(tasks)
        .add_cte(ensure_user)
        .values(
            user_id=user_id,
            title=body.title,
            description=body.description,
            completed=body.completed,
        )
        .returning(*tasks.c)
    )
    row = (await ctx.session.execute(statement)).mappings().one()
    task = _task(row)
    ctx.response.headers["Location"] = f"/api/{user_id}/tasks/{task.id}"
    return task


async def get_task(ctx: RequestContext, *, user_id: str, task_id: UUID) -> Task:
    statement = select(*tasks.c).where(
        tasks.c.id == task_id, tasks.c.user_id == user_id
    )
    row = (await ctx.session.execute(statement)).mappings().one_or_none()
    if row is None:
        raise NotFound()
    return _task(row)


async def update_task(
    ctx: RequestContext, *, user_id: str, task_id: UUID, body: TaskUpdate
) -> Task:
    statement = (
        update(tasks)
        .where(tasks.c.id == task_id, tasks.c.user_id == user_id)
        .values(
            title=body.title,
            description=body.description,
            completed=body.completed,
            updated_at=func.now(),
        )
        .returning(*tasks.c)
    )
    row = (await ctx.session.execute(statement)).mappings().one_or_none()
    if row is None:
        raise NotFound()
    return _task(row)


async def delete_task(ctx: RequestContext, *, user_id: str, task_id: UUID) -> None:
    statement = (
        delete(tasks)
        .where(tasks.c.id == task_id, tasks.c.user_id == user_id)
        .returning(tasks.c.id)
    )
    if (await ctx.session.execute(statement)).one_or_none() is None:
        raise NotFound()
