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
from collections.abc import Callable, Mapping
from contextvars import Token
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from starlette.types import Scope

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
Started = tuple[Span, Token[Context]]
"""A request's span, and the token that makes it current until it ends."""


class PresetTraceIds(RandomIdGenerator):
    """The SDK's random ids, except that the next root span's trace id can
    be set ahead (`preset`): the sampler is asked about a trace id before
    any span exists, and the span then made has that trace id."""

    def __init__(self) -> None:
        self._preset: int | None = None

    def preset(self, trace_id: int) -> None:
        self._preset = trace_id

    def generate_trace_id(self) -> int:
        preset, self._preset = self._preset, None
        return preset if preset is not None else super().generate_trace_id()


@dataclass(frozen=True, slots=True)
class TracingConfig:
    """OpenTelemetry's own variables (see Settings)."""

    endpoint: str
    sampler: str
    sampler_arg: float
    service_name: str

    @classmethod
    def of(cls, settings: Settings) -> "TracingConfig":
        return cls(
            settings.otel_exporter_otlp_endpoint.rstrip("/"),
            settings.otel_traces_sampler,
            settings.otel_traces_sampler_arg,
            settings.otel_service_name,
        )


def build_provider(config: TracingConfig) -> TracerProvider | None:
    """The SDK's provider exporting to the OTLP endpoint, or None without one."""
    endpoint = config.endpoint
    if not endpoint:
        return None
    sampler = SAMPLERS[config.sampler](config.sampler_arg)
    provider = TracerProvider(
        sampler=sampler,
        resource=Resource.create({SERVICE_NAME: config.service_name}),
        id_generator=PresetTraceIds(),
    )
    # The generic endpoint is a base: each signal has its own path under it.
    # The batch processor encodes and sends from a thread of its own, off
    # the event loop.
    exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    logger.info(
        "tracing: OTLP/HTTP to %s, sampler %s (%s), service %s",
        endpoint,
        config.sampler,
        config.sampler_arg,
        config.service_name,
    )
    return provider


def tracer_of(provider: TracerProvider | None) -> Tracer | None:
    return None if provider is None else provider.get_tracer("impl")


class ServerSpans:
    """A SERVER span per sampled request, the child of its `traceparent`.

    The sampler is asked first, with the trace id the span would get (its
    parent's, or a new one, preset for the span): a request it drops makes no span, no
    context and no attributes, and its statements no CLIENT spans
    (`recording`).
    """

    def __init__(self, provider: TracerProvider) -> None:
        self.tracer = provider.get_tracer("impl")
        self.sampler = provider.sampler
        ids = provider.id_generator
        assert isinstance(ids, PresetTraceIds), "build_provider sets the ids"
        self.ids = ids

    def start(self, headers: Mapping[bytes, bytes], method: str) -> Started | None:
        """The request's span, made current, if the sampler keeps it."""
        parent: Context | None = None
        if b"traceparent" in headers:
            parent = propagate.extract(
                {
                    name.decode("latin-1"): value.decode("latin-1")
                    for name, value in headers.items()
                    if name in _TRACE_HEADER_KEYS
                }
            )
        parent_span = trace.get_current_span(parent).get_span_context()
        is_root = not parent_span.is_valid
        trace_id = self.ids.generate_trace_id() if is_root else parent_span.trace_id
        decision = self.sampler.should_sample(
            parent, trace_id, method, SpanKind.SERVER
        ).decision
        if decision is Decision.DROP:
            return None
        if is_root:
            self.ids.preset(trace_id)
        span = self.tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        )
        return span, context_api.attach(trace.set_span_in_context(span))

    @staticmethod
    def end(
        started: Started, route: str, operation_id: str, method: str, status: int
    ) -> None:
        """Name the span after the route that served the request, and end it."""
        span, token = started
        attributes: dict[str, Any] = {"http.response.status_code": status}
        if route:
            span.update_name(f"{method} {route}")
            attributes["http.route"] = route
        if operation_id:
            attributes["openapi.operation_id"] = operation_id
        span.set_attributes(attributes)
        if status >= 500:
            span.set_status(StatusCode.ERROR)
        context_api.detach(token)
        span.end()


class RequestSpans:
    """The SERVER span of each sampled request, current while it runs: an
    observer of every request (impl/http/observation.py)."""

    def __init__(self, spans: ServerSpans) -> None:
        self.spans = spans

    def started(self, scope: Scope) -> Started | None:
        return self.spans.start(dict(scope["headers"]), scope["method"])

    def ended(
        self, scope: Scope, status: int, seconds: float, started: Started | None
    ) -> None:
        if started is None:
            return
        # The operation's route, or the one FastAPI's router chose.
        route = scope.get("route")
        operation = getattr(route, "operation", None)
        ServerSpans.end(
            started,
            str(getattr(route, "path", "")),
            getattr(operation, "operation_id", ""),
            scope["method"],
            status,
        )


class Tracing:
    """Tracing, as a plugin of the app: the request spans, an observer of
    every request, the tracer the database's statement spans use, and the
    exporter flushed when the app stops. Without an endpoint it adds
    nothing."""

    def __init__(self, config: TracingConfig) -> None:
        self.provider = build_provider(config)

    @property
    def tracer(self) -> Tracer | None:
        return tracer_of(self.provider)

    @property
    def observers(self) -> list[RequestSpans]:
        if self.provider is None:
            return []
        return [RequestSpans(ServerSpans(self.provider))]

    def stopped(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def recording() -> bool:
    """Whether the current request is traced (a statement then makes a span)."""
    return trace.get_current_span().is_recording()


def current_ids() -> tuple[str, str]:
    """The current span's trace and span ids in hex, or ("", "")."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
