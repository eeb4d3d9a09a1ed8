"""The handlers, one per operationId of openapi.yaml.

Each handler costs one database round trip: one SQL statement, filtered by
the caller's user_id, with RETURNING instead of a read after the write, and
with the checks (does the task exist, does its version match) folded into
the same statement. Another user's task is indistinguishable from a missing
one: both are 404.
"""

import hashlib
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Delete,
    RowMapping,
    Update,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from generated.models import (
    Health,
    Status,
    Task,
    TaskCreate,
    TaskList,
    TaskSort,
    TaskUpdate,
)
from impl import pagination
from impl.database import execute
from impl.deps import PublicContext, RequestContext
from impl.errors import NotFound, Problem, sqlstate
from impl.housekeeping import IDEMPOTENCY_TTL_SECONDS
from impl.preconditions import IfMatch, PreconditionFailed, etag, parse_if_match
from impl.tables import tasks, users

SORT_COLUMNS = {
    "created_at": tasks.c.created_at,
    "updated_at": tasks.c.updated_at,
    "title": tasks.c.title,
}
TASK_FIELDS = tuple(Task.model_fields)


class IdempotencyKeyInProgress(Problem):
    def __init__(self) -> None:
        super().__init__(
            409,
            "A request with this Idempotency-Key is in progress; retry shortly.",
            {"Retry-After": "1"},
        )


class IdempotencyKeyReused(Problem):
    def __init__(self) -> None:
        super().__init__(
            409, "This Idempotency-Key was already used with another body."
        )


def _task(row: RowMapping | dict[str, Any]) -> Task:
    # The row comes from our own table, already valid; FastAPI serializes it.
    return Task.model_construct(**{field: row[field] for field in TASK_FIELDS})


def _versioned(ctx: RequestContext, row: RowMapping | dict[str, Any]) -> Task:
    ctx.response.headers["ETag"] = etag(row["version"])
    return _task(row)


def _created(ctx: RequestContext, row: RowMapping | dict[str, Any]) -> Task:
    ctx.response.headers["Location"] = f"/api/{row['user_id']}/tasks/{row['id']}"
    return _versioned(ctx, row)


async def list_tasks(
    ctx: RequestContext,
    *,
    user_id: str,
    limit: int,
    cursor: str | None,
    completed: bool | None,
    sort: TaskSort,
) -> TaskList:
    key_name = sort.value.removeprefix("-")
    key = SORT_COLUMNS[key_name]
    descending = sort.value.startswith("-")
    # A cursor is valid only for the list that issued it.
    scope = f"{user_id}\n{sort.value}\n{completed}"
    statement = select(*tasks.c).where(tasks.c.user_id == user_id)
    if completed is not None:
        statement = statement.where(tasks.c.completed == completed)
    if cursor is not None:
        value, after_id = pagination.decode(
            scope, cursor, datetime_key=key_name != "title"
        )
        position, bound = tuple_(key, tasks.c.id), tuple_(value, after_id)
        statement = statement.where(
            position < bound if descending else position > bound
        )
    order = (key.desc(), tasks.c.id.desc()) if descending else (key, tasks.c.id)
    # One row more than the page tells whether there is a next page.
    statement = statement.order_by(*order).limit(limit + 1)
    rows = (await execute(ctx.session, statement, idempotent=True)).mappings().all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = pagination.encode(scope, last[key_name], last["id"])
    return TaskList.model_construct(
        items=[_task(row) for row in rows[:limit]], next_cursor=next_cursor
    )


async def create_task(
    ctx: RequestContext,
    *,
    user_id: str,
    idempotency_key: str | None,
    body: TaskCreate,
) -> Task:
    if idempotency_key is not None:
        return await _create_idempotently(ctx, user_id, idempotency_key, body)
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
    # Not idempotent without a key: a retry could create the task twice.
    result = await execute(ctx.session, statement, idempotent=False)
    return _created(ctx, result.mappings().one())


# Either creates the task and records it under the key, or finds the key's
# first response: one statement. Two first requests racing with one key make
# the second fail on the key's primary key; it is then retried once.
CREATE_IDEMPOTENTLY = text("""
    WITH ensure_user AS (
        INSERT INTO users (id) VALUES (:user_id) ON CONFLICT DO NOTHING
    ), existing AS (
        SELECT request_hash, response FROM idempotency_keys
        WHERE user_id = :user_id AND key = :key
          AND created_at > now() - make_interval(secs => :ttl)
    ), created AS (
        INSERT INTO tasks (user_id, title, description, completed)
        SELECT :user_id, CAST(:title AS text), CAST(:description AS text),
               CAST(:completed AS boolean)
        WHERE NOT EXISTS (SELECT FROM existing)
        RETURNING *
    ), recorded AS (
        INSERT INTO idempotency_keys (user_id, key, task_id, request_hash, response)
        SELECT :user_id, :key, created.id, :request_hash, to_jsonb(created)
        FROM created
    )
    SELECT to_jsonb(created) AS created, existing.request_hash, existing.response
    FROM (SELECT) AS one
    LEFT JOIN created ON true
    LEFT JOIN existing ON true
""")

# An expired key that the periodic purge has not removed yet.
PURGE_EXPIRED_KEY = text("""
    DELETE FROM idempotency_keys
    WHERE user_id = :user_id AND key = :key
      AND created_at <= now() - make_interval(secs => :ttl)
""")


async def _create_idempotently(
    ctx: RequestContext, user_id: str, key: str, body: TaskCreate
) -> Task:
    request_hash = hashlib.sha256(body.model_dump_json().encode()).digest()
    params = {
        "user_id": user_id,
        "key": key,
        "ttl": IDEMPOTENCY_TTL_SECONDS,
        "request_hash": request_hash,
        "title": body.title,
        "description": body.description,
        "completed": body.completed,
    }
    try:
        result = await execute(
            ctx.session, CREATE_IDEMPOTENTLY, params, idempotent=True
        )
    except IntegrityError as error:
        if sqlstate(error) != "23505":
            raise
        # The key is taken: by a twin request that has just committed, or by
        # an expired key the purge has not reached yet. Clear the latter and
        # run once more; the twin's answer is then found under `existing`.
        await ctx.session.rollback()
        await execute(ctx.session, PURGE_EXPIRED_KEY, params, idempotent=True)
        try:
            result = await execute(
                ctx.session, CREATE_IDEMPOTENTLY, params, idempotent=True
            )
        except IntegrityError:
            raise IdempotencyKeyInProgress from None
    row = result.mappings().one()
    if row["created"] is not None:
        return _created(ctx, _from_json(row["created"]))
    if row["request_hash"] != request_hash:
        raise IdempotencyKeyReused
    return _created(ctx, _from_json(row["response"]))


def _from_json(stored: dict[str, Any]) -> dict[str, Any]:
    task = Task.model_validate({field: stored[field] for field in TASK_FIELDS})
    return {**task.model_dump(), "version": stored["version"]}


async def get_task(ctx: RequestContext, *, user_id: str, task_id: UUID) -> Task:
    statement = select(*tasks.c).where(
        tasks.c.id == task_id, tasks.c.user_id == user_id
    )
    result = await execute(ctx.session, statement, idempotent=True)
    row = result.mappings().one_or_none()
    if row is None:
        raise NotFound()
    return _versioned(ctx, row)


async def update_task(
    ctx: RequestContext,
    *,
    user_id: str,
    task_id: UUID,
    if_match: str | None,
    body: TaskUpdate,
) -> Task:
    owned = and_(tasks.c.id == task_id, tasks.c.user_id == user_id)
    statement = (
        update(tasks)
        .where(owned)
        .values(
            title=body.title,
            description=body.description,
            completed=body.completed,
            version=tasks.c.version + 1,
            updated_at=func.now(),
        )
        .returning(*tasks.c)
    )
    row = await _write(ctx, statement, owned, parse_if_match(if_match))
    return _versioned(ctx, row)


async def delete_task(
    ctx: RequestContext, *, user_id: str, task_id: UUID, if_match: str | None
) -> None:
    owned = and_(tasks.c.id == task_id, tasks.c.user_id == user_id)
    statement = delete(tasks).where(owned).returning(tasks.c.id)
    await _write(ctx, statement, owned, parse_if_match(if_match))


async def _write(
    ctx: RequestContext,
    statement: Update | Delete,
    owned: ColumnElement[bool],
    condition: IfMatch | None,
) -> RowMapping:
    """Run an UPDATE or DELETE ... RETURNING of one task: 404, 412 or its row."""
    if condition is None:
        result = await execute(ctx.session, statement, idempotent=True)
        row = result.mappings().one_or_none()
        if row is None:
            raise NotFound()
        return row
    if not condition.any_version:
        statement = statement.where(tasks.c.version.in_(condition.versions))
    # The write and the lookup that tells 404 from 412 share one statement.
    target = select(tasks.c.id.label("found")).where(owned).cte("target")
    written = statement.cte("written")
    query = select(target.c.found, *written.c).select_from(
        target.outerjoin(written, true())
    )
    # Replaying a conditional write that did commit answers 412: safe.
    row = (await execute(ctx.session, query, idempotent=True)).mappings().one_or_none()
    if row is None:
        raise NotFound()
    if row["id"] is None:
        raise PreconditionFailed()
    return row


async def get_health(ctx: PublicContext) -> Health:
    return Health(status=Status.OK)


async def get_readiness(ctx: PublicContext) -> Health:
    await execute(ctx.session, text("SELECT 1"), idempotent=True)
    return Health(status=Status.OK)
