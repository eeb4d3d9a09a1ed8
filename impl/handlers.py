"""The handlers, one per operationId of openapi.yaml.

Each handler costs one database round trip: one SQL statement, filtered by
the caller's user_id, with RETURNING instead of a read after the write, and
with the checks (does the task exist, does its version match) folded into
the same statement. Another user's task is indistinguishable from a missing
one: both are 404.

The statements are built once, with bind parameters, and reused: building
and caching a statement per request would cost more than running it.
"""

import hashlib
from functools import cache
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Delete,
    Row,
    Select,
    Update,
    bindparam,
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

TASK_FIELDS = tuple(Task.model_fields)
TASK_COLUMNS = [tasks.c[field] for field in TASK_FIELDS]
# Bind parameters named unlike columns: SQLAlchemy reserves column names
# for the VALUES and SET clauses.
OWNED = (tasks.c.user_id == bindparam("owner"), tasks.c.id == bindparam("task"))


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


TaskRow = Row[Any] | SimpleNamespace


def _versioned(ctx: RequestContext, row: TaskRow) -> Task:
    ctx.response.headers["ETag"] = etag(row.version)
    # Reading the row's attributes is the cheapest way out of SQLAlchemy.
    return Task.model_validate(row, from_attributes=True)


def _created(ctx: RequestContext, row: TaskRow) -> Task:
    ctx.response.headers["Location"] = f"/api/{row.user_id}/tasks/{row.id}"
    return _versioned(ctx, row)


@cache
def _list_statement(sort: TaskSort, filtered: bool, after: bool) -> Select[Any]:
    """The list query of one shape (sort, filter, cursor), built once."""
    key = tasks.c[sort.value.removeprefix("-")]
    descending = sort.value.startswith("-")
    statement = select(*TASK_COLUMNS).where(tasks.c.user_id == bindparam("owner"))
    if filtered:
        statement = statement.where(tasks.c.completed == bindparam("completed"))
    if after:
        position = tuple_(key, tasks.c.id)
        bound = tuple_(
            bindparam("after_value", type_=key.type),
            bindparam("after_id", type_=tasks.c.id.type),
        )
        statement = statement.where(
            position < bound if descending else position > bound
        )
    order = (key.desc(), tasks.c.id.desc()) if descending else (key, tasks.c.id)
    return statement.order_by(*order).limit(bindparam("limit"))


async def list_tasks(
    ctx: RequestContext,
    *,
    user_id: str,
    limit: int,
    cursor: str | None,
    completed: bool | None,
    sort: TaskSort,
) -> TaskList:
    key = sort.value.removeprefix("-")
    # A cursor is valid only for the list that issued it.
    scope = f"{user_id}\n{sort.value}\n{completed}"
    # One row more than the page tells whether there is a next page.
    params: dict[str, Any] = {"owner": user_id, "limit": limit + 1}
    if completed is not None:
        params["completed"] = completed
    if cursor is not None:
        params["after_value"], params["after_id"] = pagination.decode(
            scope, cursor, datetime_key=key != "title"
        )
    statement = _list_statement(sort, completed is not None, cursor is not None)
    rows = await execute(ctx.session, statement, params, idempotent=True)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = pagination.encode(scope, getattr(last, key), last.id)
    return TaskList.model_validate(
        {"items": rows[:limit], "next_cursor": next_cursor}, from_attributes=True
    )


# The user's row rides along in the same statement: created on the first
# write, a no-op afterwards, never an extra round trip.
CREATE = (
    insert(tasks)
    .add_cte(
        pg_insert(users)
        .values(id=bindparam("owner"))
        .on_conflict_do_nothing()
        .cte("ensure_user")
    )
    .values(
        user_id=bindparam("owner"),
        title=bindparam("new_title"),
        description=bindparam("new_description"),
        completed=bindparam("new_completed"),
    )
    .returning(*tasks.c)
)


def _new_values(body: TaskCreate | TaskUpdate) -> dict[str, Any]:
    return {
        "new_title": body.title,
        "new_description": body.description,
        "new_completed": body.completed,
    }


async def create_task(
    ctx: RequestContext,
    *,
    user_id: str,
    idempotency_key: str | None,
    body: TaskCreate,
) -> Task:
    if idempotency_key is not None:
        return await _create_idempotently(ctx, user_id, idempotency_key, body)
    params = {"owner": user_id, **_new_values(body)}
    # Not idempotent without a key: a retry could create the task twice.
    [row] = await execute(ctx.session, CREATE, params, idempotent=False)
    return _created(ctx, row)


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
    RETURNING key
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
        [row] = await execute(ctx.session, CREATE_IDEMPOTENTLY, params, idempotent=True)
    except IntegrityError as error:
        if sqlstate(error) != "23505":
            raise
        # The key is taken: by a twin request that has just committed, or by
        # an expired key the purge has not reached yet. Clear the latter and
        # run once more; the twin's answer is then found under `existing`.
        await ctx.session.rollback()
        await execute(ctx.session, PURGE_EXPIRED_KEY, params, idempotent=True)
        try:
            [row] = await execute(
                ctx.session, CREATE_IDEMPOTENTLY, params, idempotent=True
            )
        except IntegrityError:
            raise IdempotencyKeyInProgress from None
    if row.created is not None:
        return _created(ctx, _from_json(row.created))
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused
    return _created(ctx, _from_json(row.response))


def _from_json(stored: dict[str, Any]) -> SimpleNamespace:
    """A task row stored as JSON (to_jsonb), with a row's attributes."""
    task = Task.model_validate({field: stored[field] for field in TASK_FIELDS})
    return SimpleNamespace(**task.model_dump(), version=stored["version"])


GET = select(*tasks.c).where(*OWNED)


async def get_task(ctx: RequestContext, *, user_id: str, task_id: UUID) -> Task:
    params = {"owner": user_id, "task": task_id}
    rows = await execute(ctx.session, GET, params, idempotent=True)
    if not rows:
        raise NotFound()
    return _versioned(ctx, rows[0])


UPDATE = (
    update(tasks)
    .where(*OWNED)
    .values(
        title=bindparam("new_title"),
        description=bindparam("new_description"),
        completed=bindparam("new_completed"),
        version=tasks.c.version + 1,
        updated_at=func.now(),
    )
    .returning(*tasks.c)
)


async def update_task(
    ctx: RequestContext,
    *,
    user_id: str,
    task_id: UUID,
    if_match: str | None,
    body: TaskUpdate,
) -> Task:
    params = {"owner": user_id, "task": task_id, **_new_values(body)}
    row = await _write(ctx, UPDATE, params, parse_if_match(if_match))
    return _versioned(ctx, row)


DELETE = delete(tasks).where(*OWNED).returning(tasks.c.id)


async def delete_task(
    ctx: RequestContext, *, user_id: str, task_id: UUID, if_match: str | None
) -> None:
    params = {"owner": user_id, "task": task_id}
    await _write(ctx, DELETE, params, parse_if_match(if_match))


@cache
def _conditional(statement: Update | Delete, any_version: bool) -> Select[Any]:
    """The write under If-Match, and the lookup that tells 404 from 412."""
    if not any_version:
        versions = bindparam("versions", type_=tasks.c.version.type, expanding=True)
        statement = statement.where(tasks.c.version.in_(versions))
    target = select(tasks.c.id.label("found")).where(*OWNED).cte("target")
    written = statement.cte("written")
    return select(target.c.found, *written.c).select_from(
        target.outerjoin(written, true())
    )


async def _write(
    ctx: RequestContext,
    statement: Update | Delete,
    params: dict[str, Any],
    condition: IfMatch | None,
) -> Row[Any]:
    """Run an UPDATE or DELETE ... RETURNING of one task: 404, 412 or its row."""
    if condition is None:
        rows = await execute(ctx.session, statement, params, idempotent=True)
        if not rows:
            raise NotFound()
        return rows[0]
    query = _conditional(statement, condition.any_version)
    if not condition.any_version:
        params = {**params, "versions": sorted(condition.versions)}
    # Replaying a conditional write that did commit answers 412: safe.
    rows = await execute(ctx.session, query, params, idempotent=True)
    if not rows:
        raise NotFound()
    if rows[0].id is None:
        raise PreconditionFailed()
    return rows[0]


async def get_health(ctx: PublicContext) -> Health:
    return Health(status=Status.OK)


async def get_readiness(ctx: PublicContext) -> Health:
    await execute(ctx.session, text("SELECT 1"), idempotent=True)
    return Health(status=Status.OK)
