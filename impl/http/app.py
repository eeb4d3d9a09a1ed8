"""The application: the generated routes bound to the handlers in impl/.

`create_app()` is the ASGI factory (`uvicorn impl.http.app:create_app --factory`).
"""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from generated.routes import Handlers, build_routes
from impl import facts, metrics, tracing
from impl.auth.verifier import build_verifier
from impl.db import embedded, migrate
from impl.db.database import open_database
from impl.http import contract, docs, errors
from impl.http.contexts import (
    PublicContext,
    RequestContext,
    public_context,
    request_context,
)
from impl.http.drain import Drain
from impl.http.edge import Edge
from impl.http.logs import REQUEST_ID_HEADER, AccessLog
from impl.rate_limit import build_limiter
from impl.settings import Settings
from impl.tasks import handlers, housekeeping
from impl.tracing import TRACE_CONTEXT_HEADERS, ServerSpans

SECURITY = {"bearerAuth": request_context}
"""Each security scheme of the contract, by name, and how it authenticates."""


def handlers_of(settings: Settings) -> Handlers[RequestContext, PublicContext]:
    """The handlers, typed as the contract's protocol: mypy checks each
    handler's signature at the handler (impl/tasks/handlers.py), and here
    that none is missing; build_routes checks the same at startup."""
    return handlers.Handlers(
        max_tasks_per_user=settings.max_tasks_per_user,
        metrics_enabled=settings.metrics_enabled,
    )


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
    verifier = build_verifier(settings)
    tracer_provider = tracing.build_provider(settings)
    access_log = AccessLog(settings.access_log, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.database_url or embedded.start(settings.data_dir)
        if settings.migrate_on_startup:
            await migrate.upgrade_url(settings, url)
        tracer = tracing.tracer_of(tracer_provider)
        async with open_database(settings, url, tracer) as database:
            app.state.database = database
            # What is alive now (modules, schemas, compiled statements) lives
            # as long as the process. Frozen, it is out of the collector's
            # sight: a full collection then scans only what requests left
            # behind, instead of pausing every request in flight for tens of
            # milliseconds (it was most of the p99).
            gc.collect()
            gc.freeze()
            drain.install()
            background = [
                asyncio.create_task(housekeeping.purge_forever(database)),
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

    info = contract.contract()["info"]
    app = Service(
        title=info["title"],
        version=info["version"],
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.verifier = verifier
    app.state.limiter = build_limiter(settings)
    app.state.drain = drain = Drain(settings.shutdown_drain_seconds)
    routes = build_routes(
        handlers_of(settings), SECURITY, public_context, facts.max_body_bytes()
    )
    # Served by the edge; FastAPI's router knows them too, so that another
    # method at their paths gets 405 and a trailing slash a redirect. They
    # are Starlette routes that FastAPI keeps as they are (include_router
    # would rebuild them and add HEAD to every GET).
    app.router.routes.extend(routes)
    app.include_router(contract.router)
    app.include_router(docs.router)
    app.router.routes.append(docs.assets)
    errors.install(app)
    app.edge = Edge(
        routes=routes,
        fallback=app.serve_otherwise,
        state=app.state,
        drain=drain,
        access_log=access_log,
        durations=metrics.RequestDurations() if settings.metrics_enabled else None,
        spans=None if tracer_provider is None else ServerSpans(tracer_provider),
        cors=_cors(settings),
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
        allow_methods=facts.cors_methods(),
        # The contract documents the id a response carries; a caller may send
        # its own (impl.http.logs), and a traced frontend its trace context
        # (impl.tracing).
        allow_headers=[
            *facts.cors_request_headers(),
            REQUEST_ID_HEADER,
            *TRACE_CONTEXT_HEADERS,
        ],
        expose_headers=facts.cors_response_headers(),
    )
