"""The application, composed: the generated routes bound to the handlers,
the services built once, the edge in front.

`create_app()` is the ASGI factory (`uvicorn impl.app:create_app --factory`).
"""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from generated import routes
from generated.facts import (
    CORS_METHODS,
    CORS_REQUEST_HEADERS,
    CORS_RESPONSE_HEADERS,
    TITLE,
    VERSION,
)
from generated.routes import OPERATIONS, build_routes
from impl import metrics, tracing
from impl.auth.verifier import build_verifier, check_callers
from impl.contexts import (
    PublicContext,
    RequestContext,
    Services,
    public_context,
    request_context,
)
from impl.db import embedded, migrate
from impl.db.database import open_database
from impl.drain import Drain
from impl.http import contract, docs, errors
from impl.http.edge import Edge
from impl.http.logs import REQUEST_ID_HEADER, AccessLog
from impl.probes import Probes
from impl.rate_limit import build_limiter
from impl.settings import Settings
from impl.tasks import idempotency
from impl.tasks.handlers import TaskHandlers
from impl.tracing import TRACE_CONTEXT_HEADERS, ServerSpans
from runtime.routes import OperationRoute

SECURITY = {"bearerAuth": request_context}
"""Each security scheme of the contract, by name, and how it authenticates."""


class Handlers(TaskHandlers, Probes):
    """Every operation's handler: the tasks' (impl/tasks/handlers.py) and the
    probes' (impl/probes.py). Each of those subclasses the generated
    protocol, so mypy checks a handler's signature at the handler, and
    refuses to build this class while one is missing; build_routes checks
    the same at startup."""

    def __init__(self, settings: Settings) -> None:
        TaskHandlers.__init__(self, max_tasks_per_user=settings.max_tasks_per_user)
        Probes.__init__(self, metrics_enabled=settings.metrics_enabled)


def bind_routes(settings: Settings) -> list[OperationRoute]:
    """The contract bound to the handlers and contexts, as every worker binds
    it: whatever does not fit stops the service here, naming what."""
    check_callers(OPERATIONS)
    handlers: routes.Handlers[RequestContext, PublicContext] = Handlers(settings)
    return build_routes(handlers, SECURITY, public_context)


def create_dev_app() -> "Service":
    """The ASGI factory of `make run` (see Settings.for_development): its
    workers use the embedded PostgreSQL that `python -m impl` started."""
    settings = Settings.for_development()
    if not settings.database_url:
        url = embedded.url_of(settings.data_dir)
        settings = settings.model_copy(update={"database_url": url})
    return create_app(settings)


class Service(FastAPI):
    """FastAPI, with the edge in front: every HTTP request passes the edge
    (impl/http/edge.py), which serves the operations itself and hands
    everything else to FastAPI as it is."""

    edge: Edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.edge(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def serve_otherwise(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own handling: the docs, the contract, 404 and 405."""
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Service:
    settings = settings or Settings.from_env()
    services = Services(
        verifier=build_verifier(settings),
        limiter=build_limiter(settings),
        drain=Drain(settings.shutdown_drain_seconds),
    )
    tracer_provider = tracing.build_provider(settings)
    access_log = AccessLog(settings.access_log, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.database_url or embedded.start(settings.data_dir)
        if settings.migrate_on_startup:
            await migrate.upgrade_url(settings, url)
        tracer = tracing.tracer_of(tracer_provider)
        async with open_database(settings, url, tracer) as database:
            services.database = database
            # What is alive now (modules, schemas, compiled statements) lives
            # as long as the process. Frozen, it is out of the collector's
            # sight: a full collection then scans only what requests left
            # behind, instead of pausing every request in flight for tens of
            # milliseconds (it was most of the p99).
            gc.collect()
            gc.freeze()
            services.drain.install()
            background = [
                asyncio.create_task(idempotency.purge_forever(database)),
                asyncio.create_task(access_log.flush_forever()),
            ]
            if settings.metrics_enabled:
                background.append(
                    asyncio.create_task(
                        metrics.sample_connections_forever(database.connections)
                    )
                )
            try:
                yield
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                metrics.worker_stopped()
                if tracer_provider is not None:
                    tracer_provider.shutdown()
                services.database = None

    app = Service(
        title=TITLE,
        version=VERSION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    operation_routes = bind_routes(settings)
    # Served by the edge; FastAPI's router knows them too, so that another
    # method at their paths gets 405 and a trailing slash a redirect. They
    # are Starlette routes that FastAPI keeps as they are (include_router
    # would rebuild them and add HEAD to every GET).
    app.router.routes.extend(operation_routes)
    app.include_router(contract.router)
    app.include_router(docs.router)
    app.router.routes.append(docs.assets)
    errors.install(app)
    app.edge = Edge(
        routes=operation_routes,
        fallback=app.serve_otherwise,
        state=app.state,
        drain=services.drain,
        access_log=access_log,
        durations=metrics.RequestDurations() if settings.metrics_enabled else None,
        spans=None if tracer_provider is None else ServerSpans(tracer_provider),
        cors=_cors(settings),
        undocumented=errors.UndocumentedStatuses(settings.strict_contract),
    )
    return app


def _cors(settings: Settings) -> Callable[[ASGIApp], ASGIApp] | None:
    """Starlette's CORS, for the requests that carry an Origin."""
    if not settings.cors_origins:
        return None
    return partial(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=CORS_METHODS,
        # The contract documents the id a response carries; a caller may send
        # its own (impl.http.logs), and a traced frontend its trace context
        # (impl.tracing).
        allow_headers=[
            *CORS_REQUEST_HEADERS,
            REQUEST_ID_HEADER,
            *TRACE_CONTEXT_HEADERS,
        ],
        expose_headers=CORS_RESPONSE_HEADERS,
    )
