"""Traces: OpenTelemetry's own variables point the service at an OTLP/HTTP
receiver; each request's SERVER span continues the caller's `traceparent`,
each statement is a CLIENT span under it, and no value a user sent, nor any
user id, is in an attribute.

The receiver is the test's own: an HTTP server that decodes what arrives at
/v1/traces with opentelemetry-proto, as a Collector would.
"""

import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from impl.settings import PROJECT_ROOT, Settings
from tests.support import Keys, logged_lines, service_process

# Every test here traces a service started as a process of its own.
pytestmark = pytest.mark.process

USER = "tracer-user-7"


@dataclass
class Receiver:
    """Every span exported to it, with its resource's attributes."""

    endpoint: str
    spans: list[Span] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @classmethod
    @contextmanager
    def serve(cls) -> Iterator["Receiver"]:
        state: Receiver

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                state.paths.append(self.path)
                for resource_spans in request.resource_spans:
                    state.resources.append(attributes(resource_spans.resource))
                    for scope_spans in resource_spans.scope_spans:
                        state.spans.extend(scope_spans.spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        state = cls(f"http://127.0.0.1:{httpd.server_port}")
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            yield state
        finally:
            httpd.shutdown()
            httpd.server_close()

    def trace(self, trace_id: str, count: int) -> list[Span]:
        """The trace's spans, once `count` of them arrived (or after 15 s)."""
        deadline = time.monotonic() + 15
        while True:
            found = [s for s in self.spans if s.trace_id.hex() == trace_id]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def attributes(holder: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in holder.attributes:
        kind = attribute.value.WhichOneof("value")
        values[attribute.key] = getattr(attribute.value, kind)
    return values


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver.serve() as receiver:
        yield receiver


@pytest.fixture
def traced(
    settings: Settings, keys: Keys, receiver: Receiver
) -> Iterator[tuple[str, Path]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "DATABASE_URL": settings.database_url,
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": keys.issuer,
        "JWT_AUDIENCE": keys.audience,
        "LOG_FORMAT": "json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_SERVICE_NAME": "todo-api-under-test",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        # Export within a tenth of a second, not the SDK's five.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    with service_process(PROJECT_ROOT, env) as (_, base, log):
        yield base, log


def traceparent(sampled: bool) -> tuple[str, str, str]:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{parent_id}-{'01' if sampled else '00'}", trace_id, parent_id


def test_a_request_continues_its_callers_trace_down_to_its_statement(
    traced: tuple[str, Path], receiver: Receiver, keys: Keys
) -> None:
    base, log = traced
    header, trace_id, parent_id = traceparent(sampled=True)
    task_id = "0b6e8e9c-3a51-4c4b-9d43-1c4f3c1b9f11"
    response = httpx.get(
        f"{base}/api/{USER}/tasks/{task_id}",
        headers={
            "Authorization": f"Bearer {keys.token(USER)}",
            "traceparent": header,
            "X-Request-ID": "traced-request-1",
        },
    )
    assert response.status_code == 404

    spans = receiver.trace(trace_id, 2)
    [server] = [s for s in spans if s.kind == Span.SPAN_KIND_SERVER]
    [client] = [s for s in spans if s.kind == Span.SPAN_KIND_CLIENT]
    assert server.parent_span_id.hex() == parent_id
    assert server.name == "GET /api/{user_id}/tasks/{task_id}"
    assert attributes(server) == {
        "http.request.method": "GET",
        "http.route": "/api/{user_id}/tasks/{task_id}",
        "http.response.status_code": 404,
        "openapi.operation_id": "getTask",
    }
    assert client.parent_span_id == server.span_id
    assert client.name == "SELECT task"
    statement = attributes(client)
    assert statement["db.system.name"] == "postgresql"
    assert statement["db.operation.name"] == "SELECT"
    assert statement["db.query.summary"] == "SELECT task"
    assert "$1" in statement["db.query.text"]
    assert receiver.resources[0]["service.name"] == "todo-api-under-test"
    assert receiver.paths[0] == "/v1/traces"

    everything = json.dumps([attributes(s) for s in spans])
    assert USER not in everything
    assert task_id not in everything

    [access] = [
        json.loads(line)
        for line in logged_lines(log, '"traced-request-1"', "impl.access")
    ]
    assert access["trace_id"] == trace_id
    assert access["span_id"] == server.span_id.hex()


def test_an_unsampled_parent_records_nothing(
    traced: tuple[str, Path], receiver: Receiver, keys: Keys
) -> None:
    base, _ = traced
    header, unsampled, _ = traceparent(sampled=False)
    sampled_header, sampled, _ = traceparent(sampled=True)
    for value in (header, sampled_header):
        httpx.get(
            f"{base}/api/{USER}/tasks",
            headers={
                "Authorization": f"Bearer {keys.token(USER)}",
                "traceparent": value,
            },
        )
    # The sampled request's spans arrive; the unsampled one's, made first,
    # would have been exported with them or before.
    assert len(receiver.trace(sampled, 2)) == 2
    assert [s for s in receiver.spans if s.trace_id.hex() == unsampled] == []


def test_a_request_without_a_parent_starts_a_trace(
    traced: tuple[str, Path], receiver: Receiver
) -> None:
    base, _ = traced
    assert httpx.get(f"{base}/health").status_code == 200
    deadline = time.monotonic() + 15
    while not any(s.name == "GET /health" for s in receiver.spans):
        assert time.monotonic() < deadline, "no span for /health"
        time.sleep(0.05)
    [health] = [s for s in receiver.spans if s.name == "GET /health"]
    assert health.parent_span_id == b""
