"""What a FastAPI team reaches for first reaches every operation: a
middleware added with `app.add_middleware`, a handler registered with
`app.exception_handler`, a per-request dependency with `yield`, and a
transaction. Each test follows README's "Extending the service".
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ClassVar
from uuid import UUID

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generated.models import Task, TaskCreate
from generated.routes import OPERATIONS, GetTaskHeaders
from impl import app as composed
from impl.contexts import RequestContext
from impl.db.database import DatabaseAccess, open_database
from impl.probes import Probes
from impl.problems import NotFound
from impl.settings import Settings
from impl.tasks.handlers import TaskHandlers
from impl.tasks.statements import CREATE, new
from runtime.binding import HandlerBindingError
from runtime.dependencies import NONE
from runtime.operations import Operation
from runtime.replies import Reply
from tests.support import (
    Api,
    Database,
    Keys,
    LiveServer,
    Undone,
    write_twice,
)

TASK_BODY = {"title": "Buy milk"}


@contextmanager
def serving(
    settings: Settings, keys: Keys, extend: Callable[[FastAPI], None] | None = None
) -> Iterator[Api]:
    with (
        LiveServer.serve(settings, extend) as live,
        Api.for_user(live.base_url, "alice", keys) as alice,
    ):
        yield alice


def call_every_operation(alice: Api) -> dict[str, int]:
    """Each operation of the contract called once: its status, by operationId."""
    task_id = alice.new_task()["id"]
    statuses = {}
    for operation in OPERATIONS:
        url = operation.path.format(user_id="alice", task_id=task_id)
        content = None
        headers = {}
        if operation.body is not None:
            content = httpx.Request("POST", "/", json=TASK_BODY).content
            headers["Content-Type"] = operation.body_media_type or "application/json"
        # Streamed, and closed once the status is in: a stream of events
        # never ends by itself.
        with alice.client.stream(
            operation.method, url, content=content, headers=headers
        ) as response:
            statuses[operation.operation_id] = response.status_code
    return statuses


class Recorder:
    """A pure-ASGI middleware: the path and status of each request it wraps."""

    seen: ClassVar[list[tuple[str, int]]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, recording)


def test_a_pure_asgi_middleware_sees_every_operation(
    settings: Settings, keys: Keys, db: Database
) -> None:
    Recorder.seen = []
    with serving(settings, keys, lambda app: app.add_middleware(Recorder)) as alice:
        statuses = call_every_operation(alice)

    create_first = 1
    assert len(Recorder.seen) == len(OPERATIONS) + create_first
    assert [status for _, status in Recorder.seen[create_first:]] == list(
        statuses.values()
    )


def test_a_base_http_middleware_sees_every_operation(
    settings: Settings, keys: Keys, db: Database
) -> None:
    seen: list[tuple[str, str, int]] = []

    async def dispatch(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        seen.append((request.method, request.url.path, response.status_code))
        response.headers["X-Served-By"] = "todo-api"
        return response

    def extend(app: FastAPI) -> None:
        app.add_middleware(BaseHTTPMiddleware, dispatch=dispatch)

    with serving(settings, keys, extend) as alice:
        statuses = call_every_operation(alice)
        marked = alice.list()

    assert [status for _, _, status in seen[1:-1]] == list(statuses.values())
    assert {method for method, _, _ in seen} == {o.method for o in OPERATIONS}
    assert marked.headers["X-Served-By"] == "todo-api"


class Teapot(Exception):
    """A handler's own exception."""


async def raises_teapot(
    self: TaskHandlers,
    ctx: RequestContext,
    *,
    user_id: str,
    task_id: UUID,
    if_none_match: str | None,
) -> Reply[Task, GetTaskHeaders]:
    raise Teapot


def gone(request: Request) -> JSONResponse:
    """An answer of the app's own, in the contract's shape for a 404."""
    return JSONResponse(
        {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": f"nothing at {request.url.path}",
        },
        status_code=404,
        media_type="application/problem+json",
    )


def test_an_exception_handler_answers_a_handlers_own_exception(
    settings: Settings, keys: Keys, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TaskHandlers, "get_task", raises_teapot)

    def extend(app: FastAPI) -> None:
        @app.exception_handler(Teapot)
        async def teapot(request: Request, exc: Teapot) -> JSONResponse:
            return gone(request)

    with serving(settings, keys, extend) as alice:
        response = alice.get(alice.new_task()["id"])

    assert response.status_code == 404
    assert response.json()["detail"] == f"nothing at {response.request.url.path}"


def test_an_exception_handler_takes_over_a_problem_of_the_service(
    settings: Settings, keys: Keys, db: Database
) -> None:
    def extend(app: FastAPI) -> None:
        @app.exception_handler(NotFound)
        async def not_found(request: Request, exc: NotFound) -> JSONResponse:
            return gone(request)

    with serving(settings, keys, extend) as alice:
        response = alice.get(MISSING)

    assert response.status_code == 404
    assert response.json()["detail"] == f"nothing at /api/alice/tasks/{MISSING}"


MISSING = "00000000-0000-4000-8000-000000000000"


class Events:
    """What happened in each request, by path, in order. Read once the server
    has stopped: a teardown after the response may come after the client
    has it (FastAPI's order), never after the server's last request ends."""

    log: ClassVar[dict[str, list[str]]] = {}

    @classmethod
    def of(cls, path: str) -> list[str]:
        return cls.log.setdefault(path, [])

    @classmethod
    def every(cls) -> list[str]:
        return [event for events in cls.log.values() for event in events]


async def audit_trail(request: Request) -> AsyncIterator[list[str]]:
    """A dependency, as README's "Extending the service" writes one."""
    trail = Events.of(request.url.path)
    trail.append(f"enter {request.method}")
    try:
        yield trail
    except HTTPException as error:
        trail.append(f"saw {error.status_code}")
        raise
    finally:
        trail.append("teardown")


async def another_trail(request: Request) -> AsyncIterator[list[str]]:
    Events.of(request.url.path).append("enter the override")
    yield ["the override's"]


class Sent:
    """A pure-ASGI middleware that logs when the response has been sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def logged(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body":
                Events.of(scope["path"]).append("sent")

        await self.app(scope, receive, logged)


async def passes(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    return await call_next(request)


async def reads_the_trail(
    self: TaskHandlers,
    ctx: RequestContext,
    *,
    user_id: str,
    task_id: UUID,
    if_none_match: str | None,
) -> Reply[Task, GetTaskHeaders]:
    ctx.deps[audit_trail].append("handler")
    return await TaskHandlers.get_task(
        self, ctx, user_id=user_id, task_id=task_id, if_none_match=if_none_match
    )


def with_both_middlewares(app: FastAPI) -> None:
    """The audit trail on the app, `Sent` innermost, a BaseHTTPMiddleware
    around it, and a plain FastAPI route beside the operations to compare
    with."""
    app.router.dependencies.append(Depends(audit_trail))
    app.add_middleware(Sent)
    app.add_middleware(BaseHTTPMiddleware, dispatch=passes)

    @app.get("/reports/{task_id}")
    async def report(
        task_id: str, trail: Annotated[list[str], Depends(audit_trail)]
    ) -> dict[str, str]:
        trail.append("handler")
        if task_id == MISSING:
            raise HTTPException(404)
        return {"task_id": task_id}


@pytest.fixture(autouse=True)
def no_events() -> None:
    Events.log = {}


@pytest.fixture
def with_audit_trail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(composed.Handlers, "get_task", reads_the_trail)


@pytest.mark.usefixtures("with_audit_trail")
def test_a_dependency_is_torn_down_where_fastapi_tears_it_down(
    settings: Settings, keys: Keys, db: Database
) -> None:
    """After the response is sent, or, when the request raised, after
    seeing the error and before its answer: FastAPI's order (0.163, the
    lock's), the same for an operation as for a route of FastAPI's own,
    under a BaseHTTPMiddleware and a pure-ASGI middleware."""
    with serving(settings, keys, with_both_middlewares) as alice:
        task_id = alice.new_task()["id"]
        paths = [f"{base}/{id}" for id in (task_id, MISSING)
                 for base in ("/api/alice/tasks", "/reports")]  # fmt: skip
        for path in paths:
            alice.client.get(path)

    found, reported, missing, missing_report = map(Events.of, paths)
    assert found == ["enter GET", "handler", "sent", "teardown"]
    assert found == reported
    assert missing == ["enter GET", "handler", "saw 404", "teardown", "sent"]
    assert missing == missing_report


def test_a_dependency_sees_the_status_of_every_refusal(
    settings: Settings, keys: Keys, db: Database
) -> None:
    """It is entered before authentication, as the app's dependencies are
    before a route's own: the 401, the 403 and the 429 pass through it."""
    limited = settings.model_copy(update={"rate_limit": "2/minute"})
    with serving(limited, keys, with_both_middlewares) as alice:
        anonymous = alice.client.get(
            "/api/alice/tasks", headers={"Authorization": ""}
        ).status_code
        others = alice.client.get("/api/bob/tasks").status_code
        statuses = [alice.list().status_code for _ in range(3)]

    assert (anonymous, others, statuses) == (401, 403, [200, 200, 429])
    events = Events.every()
    seen = sorted(event for event in events if event.startswith("saw"))
    assert seen == ["saw 401", "saw 403", "saw 429"]
    assert events.count("enter GET") == events.count("teardown") == 5


@pytest.mark.usefixtures("with_audit_trail")
def test_dependency_overrides_replace_a_dependency_of_every_operation(
    settings: Settings, keys: Keys, db: Database
) -> None:
    def extend(app: FastAPI) -> None:
        with_both_middlewares(app)
        app.dependency_overrides[audit_trail] = another_trail

    with serving(settings, keys, extend) as alice:
        task_id = alice.new_task()["id"]
        assert alice.get(task_id).status_code == 200

    assert Events.of(f"/api/alice/tasks/{task_id}") == ["enter the override", "sent"]


async def swallows_errors(request: Request) -> AsyncIterator[None]:
    try:
        yield
    except HTTPException:
        Events.of(request.url.path).append("swallowed")


def test_a_dependency_that_swallows_the_error_still_gets_it_answered(
    settings: Settings, keys: Keys, db: Database
) -> None:
    def extend(app: FastAPI) -> None:
        app.router.dependencies.append(Depends(swallows_errors))

    with serving(settings, keys, extend) as alice:
        response = alice.get(MISSING)

    assert Events.every() == ["swallowed"]
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unregistered_dependency_is_named() -> None:
    with pytest.raises(LookupError, match=r"audit_trail .* impl/dependencies\.py"):
        NONE[audit_trail]


async def count_tasks(db: Database) -> Any:
    [row] = await db.fetch("SELECT count(*) AS n FROM tasks")
    return row["n"]


def test_a_transaction_commits_both_writes_or_neither(
    settings: Settings, db: Database
) -> None:
    with pytest.raises(Undone):
        asyncio.run(write_twice(settings, "alice", then_raise=True))
    assert asyncio.run(count_tasks(db)) == 0

    asyncio.run(write_twice(settings, "alice", then_raise=False))
    assert asyncio.run(count_tasks(db)) == 2


async def nested(settings: Settings, *, inner_raises: bool, outer_raises: bool) -> None:
    """A create in a transaction, and one in a transaction inside it (a
    handler's block within a dependency's), either block raising."""
    async with open_database(settings, settings.database_url) as database:
        access = DatabaseAccess(database)
        create = CREATE(
            {"owner": "alice", "new": new(TaskCreate(title="x")), "max_tasks": 100}
        )
        with contextlib.suppress(Undone):
            async with access.transaction():
                await access.fetch(create)
                with contextlib.suppress(Undone):
                    async with access.transaction():
                        await access.fetch(create)
                        if inner_raises:
                            raise Undone
                if outer_raises:
                    raise Undone


@pytest.mark.parametrize(
    ("inner_raises", "outer_raises", "kept"),
    [(False, False, 2), (True, False, 1), (False, True, 0)],
)
def test_a_transaction_inside_another_is_a_savepoint_of_it(
    settings: Settings, db: Database, inner_raises: bool, outer_raises: bool, kept: int
) -> None:
    asyncio.run(nested(settings, inner_raises=inner_raises, outer_raises=outer_raises))

    assert asyncio.run(count_tasks(db)) == kept


def test_a_handler_class_missing_a_method_stops_startup_naming_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It inherits the protocol's stub, which mypy accepts at the class."""
    without = {k: v for k, v in vars(TaskHandlers).items() if k != "get_task"}
    incomplete = type("TaskHandlers", TaskHandlers.__bases__, without)
    handlers = type("Handlers", (incomplete, Probes), {})
    handlers.__init__ = composed.Handlers.__init__  # type: ignore[misc]
    monkeypatch.setattr(composed, "Handlers", handlers)

    with pytest.raises(HandlerBindingError, match=r"getTask: .* no handler get_task"):
        composed.create_app(settings)


def test_every_operation_is_a_route_of_fastapis_router(settings: Settings) -> None:
    """What FastAPI's router tells about a path (405, the docs' routes)
    it tells about the operations too."""
    app = composed.create_app(settings)
    named = {getattr(route, "name", None) for route in app.router.routes}
    assert {o.operation_id for o in OPERATIONS} <= named
    assert all(isinstance(o, Operation) for o in OPERATIONS)


def add_routes_of_our_own(app: FastAPI) -> None:
    @app.get("/api/{user_id}/tasks/stats")
    async def stats_under_an_operation() -> dict[str, str]:
        return {"served": "by our route"}

    @app.get("/reports/stats")
    async def stats_of_our_own() -> dict[str, str]:
        return {"served": "by our route"}


def test_a_route_of_our_own_under_an_operations_path_is_that_operation(
    settings: Settings, keys: Keys, db: Database
) -> None:
    """The contract's operations answer before FastAPI's router, so a path
    one of them matches is that operation's (getTask's, with `stats` for
    task_id), whatever order the routes were declared in; a route outside
    the contract's paths is FastAPI's, as usual."""
    with serving(settings, keys, add_routes_of_our_own) as alice:
        under = alice.client.get("/api/alice/tasks/stats")
        outside = alice.client.get("/reports/stats")

    assert under.status_code == 422, under.text
    assert under.json()["errors"][0]["pointer"] == "/task_id"
    assert outside.json() == {"served": "by our route"}
