"""Prometheus metrics, named as OpenTelemetry's semantic conventions name them
once Prometheus has them (`http.server.request.duration` becomes
`http_server_request_duration_seconds`).

Each worker of `make serve` is a process of its own. `python -m impl` gives
them one directory, PROMETHEUS_MULTIPROC_DIR, where prometheus_client keeps
every worker's values in memory-mapped files; a scrape, whichever worker
answers it, sums them all. prometheus_client reads the variable when it is
imported, so `python -m impl` sets it before anything imports this module.
Without it (one process: `make run`, the tests' in-process apps), values
live in the process.
"""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.types import Scope

MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
MULTIPROCESS: Final = bool(os.environ.get(MULTIPROCESS_DIR_VARIABLE))
"""Read when prometheus_client is, as it reads it itself."""

REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests.",
    ["http_request_method", "http_route", "http_response_status_code"],
    # OpenTelemetry's advice for http.server.request.duration.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10),
)
DB_OPERATION_DURATION = Histogram(
    "db_client_operation_duration_seconds",
    "Duration of database client operations, by statement.",
    ["db_system_name", "db_operation_name", "db_query_summary"],
    # OpenTelemetry's advice for db.client.operation.duration.
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10),
)
DB_CONNECTIONS = Gauge(
    "db_client_connection_count",
    "Connections of the pool, by state, sampled every second.",
    ["db_client_connection_state"],
    # The sum over the workers alive: a stopped worker's pool is gone.
    multiprocess_mode="livesum",
)
EVENT_LOOP_LAG = Histogram(
    "event_loop_lag_seconds",
    "How late the event loop woke a timer, sampled every second: the longest"
    " a request waited for another's callback to let go of the loop.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
RATE_LIMIT_REFUSALS = Counter(
    "rate_limit_refusals", "Requests refused with 429 by the per-user rate limit."
)
QUOTA_REFUSALS = Counter(
    "task_quota_refusals",
    "Creates refused with 409 at MAX_TASKS_PER_USER.",
)
JWKS_FETCHES = Counter("jwks_fetches", "Fetches of the remote JWKS.")
JWKS_FETCH_FAILURES = Counter(
    "jwks_fetch_failures",
    "Fetches of the remote JWKS that failed (the known keys were kept).",
)

DB_SYSTEM = "postgresql"
_used = DB_CONNECTIONS.labels("used")
_idle = DB_CONNECTIONS.labels("idle")


_statements: dict[tuple[str, str], Histogram] = {}


def observe_statement(operation: str, summary: str, seconds: float) -> None:
    child = _statements.get((operation, summary))
    if child is None:
        child = DB_OPERATION_DURATION.labels(DB_SYSTEM, operation, summary)
        _statements[operation, summary] = child
    child.observe(seconds)


def observe_connections(used: int, idle: int) -> None:
    _used.set(used)
    _idle.set(idle)


SAMPLE_SECONDS = 1.0


async def sample_forever(connections: Callable[[], tuple[int, int]]) -> None:
    """The pool's connections, sampled every second rather than counted at
    every statement (which costs a walk over the pool's every connection);
    and how late each second's wake-up came, the event loop's lag, which
    a callback that holds the loop (a stall) shows as a spike."""
    loop = asyncio.get_running_loop()
    while True:
        observe_connections(*connections())
        woken = loop.time() + SAMPLE_SECONDS
        await asyncio.sleep(SAMPLE_SECONDS)
        EVENT_LOOP_LAG.observe(max(0.0, loop.time() - woken))


def exposition() -> bytes:
    """Every metric, in Prometheus' text format: every worker's, summed."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def worker_stopped() -> None:
    """Drop this worker's `livesum` gauges from the sums."""
    if MULTIPROCESS:
        prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
)


def method_of(scope: Scope) -> str:
    """The request's method, or `_OTHER` (as OpenTelemetry has it), so that
    no caller can invent labels."""
    method: str = scope["method"]
    return method if method in KNOWN_METHODS else "_OTHER"


class RequestDurations:
    """http_server_request_duration_seconds, by method, route template
    (never the path, so no user id becomes a label; empty when no route
    matched) and status: an observer of every request
    (impl/http/observation.py)."""

    def __init__(self) -> None:
        # A labelled child per method, route and status: labels() costs a
        # lock and a lookup that a request need not pay each time.
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def started(self, scope: Scope) -> None:
        return None

    def ended(self, scope: Scope, status: int, seconds: float, started: None) -> None:
        route = str(getattr(scope.get("route"), "path", ""))
        key = (method_of(scope), route, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = REQUEST_DURATION.labels(*key)
        child.observe(seconds)


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    enabled: bool
    """GET /metrics, and the recording behind it (METRICS_ENABLED)."""


class Metrics:
    """The metrics, as a plugin of the app: the request durations, an
    observer of every request, and the pool's and the event loop's sampling
    while the app serves. The counters of what other rooms do
    (JWKS fetches, refusals, statements) are module-level, as
    prometheus_client has them."""

    def __init__(self, config: MetricsConfig) -> None:
        self.config = config

    @property
    def observers(self) -> list[RequestDurations]:
        return [RequestDurations()] if self.config.enabled else []

    async def serve(self, connections: Callable[[], tuple[int, int]]) -> None:
        """What runs while the app serves: the sampling."""
        if self.config.enabled:
            await sample_forever(connections)

    def stopped(self) -> None:
        worker_stopped()
