"""The ceiling: the same five operations on raw Starlette and asyncpg.

The fastest server a careful engineer would hand-write for the same work:
the same SQL as the service (one statement each), the same JSON bodies,
written by orjson (the fastest well-kept JSON library); uuids read from
PostgreSQL as text, never decoded into objects; the contract's body rules
checked by hand; a real `next_cursor` (the last task's position, with a
digest binding it to the list, as the service's); a token verified with
PyJWT once, then remembered until it expires, as the service does; pooled
connections released without a reset query, as the service's are; no
dependency injection, no ORM, no response model. It imports nothing from
impl/, generated/ or tests/, so a change to the product never moves it.
"""

import base64
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.yardstick_auth import TokenChecker, database_url

POOL_SIZE = 20
MAX_LIMIT = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

LIST = """
    SELECT id, user_id, title, description, completed, due_date, due_at, time_zone,
           priority, tags, recurrence, next_occurrence, created_at, updated_at, version
    FROM tasks WHERE user_id = $1
    ORDER BY created_at DESC, id DESC LIMIT $2
"""
CREATE = """
    WITH ensure_user AS (INSERT INTO users (id) VALUES ($1) ON CONFLICT DO NOTHING)
    INSERT INTO tasks (user_id, title, description, completed)
    VALUES ($1, $2, $3, $4)
    RETURNING id, user_id, title, description, completed, due_date, due_at, time_zone,
           priority, tags, recurrence, next_occurrence, created_at, updated_at, version
"""
GET = """
    SELECT id, user_id, title, description, completed, due_date, due_at, time_zone,
           priority, tags, recurrence, next_occurrence, created_at, updated_at, version
    FROM tasks WHERE user_id = $1 AND id = $2
"""
# A replacement writes every mutable field: those the body leaves out take
# their defaults, as the contract's PUT says.
UPDATE = """
    UPDATE tasks SET title = $3, description = $4, completed = $5,
                     due_date = NULL, due_at = NULL, time_zone = 'UTC',
                     priority = 'none', tags = '{}', recurrence = NULL,
                     version = version + 1, updated_at = now()
    WHERE user_id = $1 AND id = $2
    RETURNING id, user_id, title, description, completed, due_date, due_at, time_zone,
           priority, tags, recurrence, next_occurrence, created_at, updated_at, version
"""
DELETE = "DELETE FROM tasks WHERE user_id = $1 AND id = $2 RETURNING id"


BLANK = frozenset("\t\n\v\f\r ")
FIELDS = frozenset({"title", "description", "completed"})


def task_fields(body: bytes) -> tuple[str, str | None, bool] | None:
    """The body's title, description and completed, under the contract's
    rules as a careful engineer would check them by hand; None if invalid."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not data.keys() <= FIELDS:
        return None
    title = data.get("title")
    description = data.get("description")
    completed = data.get("completed", False)
    if not (
        isinstance(title, str)
        and 1 <= len(title) <= 255
        and not set(title) <= BLANK
        and "\x00" not in title
        and (
            description is None
            or (
                isinstance(description, str)
                and len(description) <= 10000
                and "\x00" not in description
            )
        )
        and isinstance(completed, bool)
    ):
        return None
    return title, description, completed


def cursor(user: str, last: asyncpg.Record) -> str:
    """Where the next page starts, as the service's cursors say it: the last
    task's sort key (microseconds since the epoch) and id, with a digest
    that binds it to the user's list."""
    micros = (last["created_at"] - EPOCH) // timedelta(microseconds=1)
    payload = orjson.dumps([micros, UUID(last["id"]).hex])
    digest = hashlib.blake2b(
        f'["{user}","-created_at",{{}}]'.encode() + b"\0" + payload, digest_size=12
    ).digest()
    return base64.urlsafe_b64encode(digest + payload).rstrip(b"=").decode()


def problem(status: int, detail: str) -> Response:
    body = {"type": "about:blank", "status": status, "detail": detail}
    return Response(orjson.dumps(body), status, media_type="application/problem+json")


def task_json(row: asyncpg.Record, status: int = 200) -> Response:
    return Response(
        orjson.dumps(dict(row)),
        status,
        {"ETag": f'"{row["version"]}"'},
        media_type="application/json",
    )


async def authorize(request: Request) -> str | Response:
    checker: TokenChecker = request.app.state.tokens
    subject = checker.subject(request.headers.get("authorization"))
    if subject is None:
        return problem(401, "The token is missing or invalid.")
    if subject != request.path_params["user_id"]:
        return problem(403, "Forbidden")
    return subject


async def tasks(request: Request) -> Response:
    user = await authorize(request)
    if isinstance(user, Response):
        return user
    pool: asyncpg.Pool = request.app.state.pool
    if request.method == "GET":
        raw_limit = request.query_params.get("limit", "50")
        if not (raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT):
            return problem(422, "Invalid limit.")
        limit = int(raw_limit)
        rows = await pool.fetch(LIST, user, limit + 1)
        next_cursor = cursor(user, rows[limit - 1]) if len(rows) > limit else None
        body = {
            "items": [dict(row) for row in rows[:limit]],
            "next_cursor": next_cursor,
        }
        return Response(orjson.dumps(body), media_type="application/json")
    new = task_fields(await request.body())
    if new is None:
        return problem(422, "Invalid body.")
    row = await pool.fetchrow(CREATE, user, *new)
    response = task_json(row, 201)
    response.headers["Location"] = f"/api/{user}/tasks/{row['id']}"
    return response


async def task(request: Request) -> Response:
    user = await authorize(request)
    if isinstance(user, Response):
        return user
    pool: asyncpg.Pool = request.app.state.pool
    task_id = request.path_params["task_id"]
    try:
        UUID(task_id)
    except ValueError:
        return problem(422, "Invalid task id.")
    row: Any
    if request.method == "GET":
        row = await pool.fetchrow(GET, user, task_id)
    elif request.method == "PUT":
        new = task_fields(await request.body())
        if new is None:
            return problem(422, "Invalid body.")
        row = await pool.fetchrow(UPDATE, user, task_id, *new)
    else:
        row = await pool.fetchrow(DELETE, user, task_id)
        if row is not None:
            return Response(status_code=204)
    if row is None:
        return problem(404, "Task not found.")
    return task_json(row)


async def no_reset(connection: asyncpg.Connection) -> None:
    """Nothing here changes session state, so a released connection needs no
    reset query (asyncpg's default costs a round trip per release)."""


async def uuids_as_text(connection: asyncpg.Connection) -> None:
    """A uuid goes out and comes back as its text: JSON needs nothing else."""
    await connection.set_type_codec(
        "uuid", encoder=str, decoder=str, schema="pg_catalog", format="text"
    )


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            database_url(),
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
            init=uuids_as_text,
            reset=no_reset,
        )
        yield
        await app.state.pool.close()

    app = Starlette(
        routes=[
            Route("/api/{user_id}/tasks", tasks, methods=["GET", "POST"]),
            Route(
                "/api/{user_id}/tasks/{task_id}", task, methods=["GET", "PUT", "DELETE"]
            ),
        ],
        lifespan=lifespan,
    )
    app.state.tokens = TokenChecker(remember=True)
    return app
