"""The application: the generated routes bound to the handlers in impl/.

`create_app()` is the ASGI factory (`uvicorn impl.http.app:create_app --factory`).
"""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from generated.routes import Handlers, build_routes
from impl import facts, metrics, tracing
from impl.auth.verifier import build_verifier
from impl.db import embedded, migrate
from impl.db.database import open_database
from impl.http import contract, docs, errors
from impl.http.body_limit import BodyLimitMiddleware
from impl.http.contexts import (
    PublicContext,
    RequestContext,
    public_context,
    request_context,
)
from impl.http.drain import Drain
from impl.http.logs import REQUEST_ID_HEADER, RequestIdMiddleware
from impl.metrics import MetricsMiddleware
from impl.rate_limit import build_limiter
from impl.settings import Settings
from impl.tasks import handlers, housekeeping
from impl.tracing import TRACE_CONTEXT_HEADERS, TracingMiddleware

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


def create_dev_app() -> FastAPI:
    """The ASGI factory of `make run` (see Settings.for_development): its
    workers use the embedded PostgreSQL that `python -m impl` started."""
    settings = Settings.for_development()
    if not settings.database_url:
        url = embedded.url_of(settings.data_dir)
        settings = settings.model_copy(update={"database_url": url})
    return create_app(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    verifier = build_verifier(settings)
    tracer_provider = tracing.build_provider(settings)
    tracer = tracing.tracer_of(tracer_provider)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.database_url or embedded.start(settings.data_dir)
        if settings.migrate_on_startup:
            await migrate.upgrade_url(settings, url)
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
            purge = asyncio.create_task(housekeeping.purge_forever(database))
            try:
                yield
            finally:
                purge.cancel()
                metrics.worker_stopped()
                if tracer_provider is not None:
                    tracer_provider.shutdown()

    info = contract.contract()["info"]
    app = FastAPI(
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
    # The operations' routes are Starlette routes that FastAPI serves as they
    # are (include_router would rebuild them and add HEAD to every GET).
    app.router.routes.extend(
        build_routes(handlers_of(settings), SECURITY, public_context)
    )
    app.include_router(contract.router)
    app.include_router(docs.router)
    app.router.routes.append(docs.assets)
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=facts.max_body_bytes())
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_methods=facts.cors_methods(),
            # The contract documents the id a response carries; a caller may
            # send its own (impl.http.logs), and a traced frontend its trace
            # context (impl.tracing).
            allow_headers=[
                *facts.cors_request_headers(),
                REQUEST_ID_HEADER,
                *TRACE_CONTEXT_HEADERS,
            ],
            expose_headers=facts.cors_response_headers(),
        )
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware)
    # Outside CORS, so that a preflight, which CORS answers itself, is logged
    # and carries its id too.
    app.add_middleware(RequestIdMiddleware, access_log=settings.access_log)
    if tracer is not None:
        # Outermost, so that every log line of a request, the access line
        # included, is written inside its span and carries its ids.
        app.add_middleware(TracingMiddleware, tracer=tracer)
    return app
