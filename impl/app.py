"""The application, composed: the generated routes bound to the handlers
and made the first routes of FastAPI's router, the services and plugins
built once, and the service's own concerns around FastAPI's stack.

`create_app()` is the ASGI factory (`uvicorn impl.app:create_app --factory`).
"""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware

from generated import routes
from generated.facts import TITLE, VERSION
from generated.routes import OPERATIONS, build_routes
from impl import dependencies
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
from impl.drain import ClosingWhileDraining, Drain
from impl.events import Events, EventsConfig, Hub
from impl.http import contract, docs, errors
from impl.http.conformance import ContractCheck, UndocumentedStatuses
from impl.http.cors import CrossOrigin
from impl.http.edge import Service
from impl.http.logs import AccessLog, RequestIds
from impl.http.observation import Observed, Observer
from impl.metrics import Metrics, MetricsConfig
from impl.probes import Probes
from impl.rate_limit import RateLimitConfig, RateLimitFields, build_limiter
from impl.settings import Settings
from impl.tasks import due_dates, idempotency, recurrence, reminders
from impl.tasks.handlers import TaskHandlers
from impl.tasks.sync import feed, live
from impl.tracing import Tracing, TracingConfig
from runtime.routes import OperationRoute, OperationsFirst

SECURITY = {"bearerAuth": request_context}
"""Each security scheme of the contract, by name, and how it authenticates."""

GC_THRESHOLDS = (10_000, 10, 10)
"""The collector's (Python's default: 700, 10, 10). At 700 allocations a
young collection runs inside nearly every request and promotes what the
requests in flight hold, so full collections come every few seconds; each
walks every live object, and an open event stream holds about 150. With
1,000 idle streams, collecting took a tenth of a core under the mix (+100 µs
a request, and its p99 doubled); at 10,000 no full collection ran in 15 s
of it, and a young one walks only what requests left behind."""


class Handlers(TaskHandlers, Probes):
    """Every operation's handler: the tasks' (impl/tasks/handlers.py) and the
    probes' (impl/probes.py). Each of those subclasses the generated
    protocol, so mypy checks a handler's signature at the handler, and
    refuses to build this class while one is missing; build_routes checks
    the same at startup."""

    def __init__(self, settings: Settings, streams: live.Live | None = None) -> None:
        # Without `streams` (a check of the binding), no stream is ever woken.
        streams = streams or live.Live(Hub(), asyncio.Event(), settings.sync_retention)
        TaskHandlers.__init__(
            self,
            max_tasks_per_user=settings.max_tasks_per_user,
            sync_retention=settings.sync_retention,
            live=streams,
        )
        Probes.__init__(self, metrics_enabled=settings.metrics_enabled)


def bind_routes(
    settings: Settings, streams: live.Live | None = None
) -> list[OperationRoute]:
    """The contract bound to the handlers and contexts, as every worker binds
    it: whatever does not fit stops the service here, naming what."""
    check_callers(OPERATIONS)
    handlers: routes.Handlers[RequestContext, PublicContext] = Handlers(
        settings, streams
    )
    return build_routes(handlers, SECURITY, public_context)


def create_dev_app() -> "Service":
    """The ASGI factory of `make run` (see Settings.for_development): its
    workers use the embedded PostgreSQL that `python -m impl` started."""
    settings = Settings.for_development()
    if not settings.database_url:
        url = embedded.url_of(settings.data_dir)
        settings = settings.model_copy(update={"database_url": url})
    return create_app(settings)


def create_app(settings: Settings | None = None) -> Service:
    settings = settings or Settings.from_env()
    services = Services(
        verifier=build_verifier(settings),
        limiter=build_limiter(RateLimitConfig.of(settings)),
        drain=Drain(settings.shutdown_drain_seconds),
        events=Events(EventsConfig.of(settings)),
    )
    tracing = Tracing(TracingConfig.of(settings))
    metrics = Metrics(MetricsConfig(settings.metrics_enabled))
    access_log = AccessLog(
        settings.access_log, settings.log_json, traced=tracing.provider is not None
    )
    streams = live.Live(
        services.events.hub, services.drain.stopping, settings.sync_retention
    )
    operation_routes = bind_routes(settings, streams)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for route in operation_routes:
            route.depend_on(app.router.dependencies, app)
        url = settings.database_url or embedded.start(settings.data_dir)
        if settings.migrate_on_startup:
            await migrate.upgrade_url(settings, url)
        async with open_database(settings, url, tracing.tracer) as database:
            services.database = database
            # What is alive now (modules, schemas, compiled statements) lives
            # as long as the process. Frozen, it is out of the collector's
            # sight: a full collection then scans only what requests left
            # behind, instead of pausing every request in flight for tens of
            # milliseconds (it was most of the p99).
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            services.drain.install()
            background = [
                asyncio.create_task(idempotency.purge_forever(database)),
                asyncio.create_task(
                    feed.purge_forever(database, settings.sync_retention)
                ),
                asyncio.create_task(access_log.flush_forever()),
                asyncio.create_task(services.events.run(url)),
                asyncio.create_task(live.end_on_stop(streams)),
                asyncio.create_task(
                    reminders.fire_forever(settings, url, services.events)
                ),
                # A user's share of the pool and one more: one user's burst
                # finds them ready, and leaves one for everyone else.
                asyncio.create_task(
                    database.open_spare(settings.db_connections_per_user + 1)
                ),
                asyncio.create_task(metrics.serve(database.connections)),
            ]
            try:
                yield
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                metrics.stopped()
                tracing.stopped()
                services.database = None

    app = Service(
        # The service makes its own spans and metrics (impl/tracing.py,
        # impl/metrics.py) with providers of its own; FastAPI's, on the
        # global providers, would count every request twice.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        title=TITLE,
        version=VERSION,
        lifespan=lifespan,
        dependencies=dependencies.DEPENDENCIES,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    # The operations are the router's first routes: FastAPI's router finds
    # them, answers 405 for another method at their paths and redirects a
    # trailing slash, and its exception middleware answers what they raise.
    # They are Starlette routes that FastAPI keeps as they are
    # (include_router would rebuild them and add HEAD to every GET).
    app.router.routes.extend(operation_routes)
    # Starlette's own hook for a router's middleware (Router(middleware=...)).
    app.router.middleware_stack = OperationsFirst(
        app.router.app, app.router, operation_routes
    )
    app.include_router(contract.router)
    app.include_router(docs.router)
    app.router.routes.append(docs.assets)
    errors.install(
        app,
        {**due_dates.CONSTRAINT_PROBLEMS, **recurrence.CONSTRAINT_PROBLEMS},
        {**due_dates.EXPLAINERS, **recurrence.EXPLAINERS},
    )
    if settings.cors_origins:
        app.add_middleware(CrossOrigin, origins=tuple(settings.cors_origins))
    # What every request is observed by, in order: the span first, current
    # while the others end.
    observers: list[Observer] = [
        *tracing.observers,
        *([access_log] if access_log.enabled else []),
        *metrics.observers,
    ]
    strict = settings.strict_contract
    if not strict:
        observers.append(UndocumentedStatuses())
    # The service's own concerns, outermost first, around FastAPI's stack.
    app.concerns = [
        Middleware(RequestIds),
        Middleware(RateLimitFields),
        Middleware(ClosingWhileDraining, drain=services.drain),
        Middleware(Observed, observers=observers),
        *([Middleware(ContractCheck)] if strict else []),
    ]
    return app
