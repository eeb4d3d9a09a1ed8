"""OpenTelemetry traces: a SERVER span per request, a CLIENT span per
statement, exported over OTLP/HTTP by the OpenTelemetry SDK.

OpenTelemetry's own variables configure it (OTEL_EXPORTER_OTLP_ENDPOINT,
OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER and its _ARG; see Settings). With no
endpoint, no provider is built and no span is ever made: tracing then costs
nothing. A W3C `traceparent` makes the request's span its child; an
unsampled parent makes it record nothing (the parent-based samplers).

The spans are made here rather than by opentelemetry-instrumentation-asgi and
-asyncpg, since those put the request's path (`url.path`, which holds the
user's id) and the database user in their attributes: these carry the route
template, the operationId, and each statement's SQL with its placeholders,
never a value. For the same reason the provider is never made the global
one: FastAPI's own telemetry would then add a span per request with its
`url.path`.
"""

import logging
from collections.abc import Callable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl.metrics import method_of, route_of
from impl.settings import Settings

logger = logging.getLogger(__name__)

SAMPLERS: dict[str, Callable[[float], Sampler]] = {
    "always_on": lambda _: ALWAYS_ON,
    "always_off": lambda _: ALWAYS_OFF,
    "traceidratio": TraceIdRatioBased,
    "parentbased_always_on": lambda _: ParentBased(ALWAYS_ON),
    "parentbased_always_off": lambda _: ParentBased(ALWAYS_OFF),
    "parentbased_traceidratio": lambda ratio: ParentBased(TraceIdRatioBased(ratio)),
}
"""OTEL_TRACES_SAMPLER's values, as the SDK's specification names them."""

TRACE_CONTEXT_HEADERS = ("traceparent", "tracestate", "baggage")
"""What W3C Trace Context and Baggage send, a traced browser's fetch too."""
_TRACE_HEADER_KEYS = frozenset(name.encode() for name in TRACE_CONTEXT_HEADERS)


def build_provider(settings: Settings) -> TracerProvider | None:
    """The SDK's provider exporting to the OTLP endpoint, or None without one."""
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
    if not endpoint:
        return None
    sampler = SAMPLERS[settings.otel_traces_sampler](settings.otel_traces_sampler_arg)
    provider = TracerProvider(
        sampler=sampler,
        resource=Resource.create({SERVICE_NAME: settings.otel_service_name}),
    )
    # The generic endpoint is a base: each signal has its own path under it.
    exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    logger.info(
        "tracing: OTLP/HTTP to %s, sampler %s (%s), service %s",
        endpoint,
        settings.otel_traces_sampler,
        settings.otel_traces_sampler_arg,
        settings.otel_service_name,
    )
    return provider


def tracer_of(provider: TracerProvider | None) -> Tracer | None:
    return None if provider is None else provider.get_tracer("impl")


class TracingMiddleware:
    """A SERVER span around each request, the child of its `traceparent`."""

    def __init__(self, app: ASGIApp, *, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _TRACE_HEADER_KEYS
        }
        method = method_of(scope)
        status = 500

        async def send_and_see(message: Message) -> None:
            if message["type"] == "http.response.start":
                nonlocal status
                status = message["status"]
            await send(message)

        with self.tracer.start_as_current_span(
            method,
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        ) as span:
            try:
                await self.app(scope, receive, send_and_see)
            finally:
                if span.is_recording():
                    _describe(span, scope, method, status)


def _describe(span: trace.Span, scope: Scope, method: str, status: int) -> None:
    """Name the span after the route the router chose, once it has."""
    route = route_of(scope)
    attributes: dict[str, Any] = {"http.response.status_code": status}
    if route:
        span.update_name(f"{method} {route}")
        attributes["http.route"] = route
    operation_id = getattr(scope.get("route"), "operation_id", None)
    if operation_id:
        attributes["openapi.operation_id"] = operation_id
    span.set_attributes(attributes)
    if status >= 500:
        span.set_status(StatusCode.ERROR)


def current_ids() -> tuple[str, str]:
    """The current span's trace and span ids in hex, or ("", "")."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
