"""The service's app, and its outer pass: what every HTTP request gets, in
one pass.

Once per request, around FastAPI's whole stack (its error middleware, the
middleware added with `app.add_middleware`, its exception handlers, and
innermost the operations, impl/http/operations.py): the request id, the
server span when the request is sampled, the access line, the request's
duration in the metrics, and, while the process drains before a stop,
`Connection: close`. It is outside FastAPI's error middleware so that an
unhandled error's 500 carries the request id and is logged and counted
like any other answer.
"""

import time
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from impl import metrics
from impl.drain import Drain
from impl.http.logs import REQUEST_ID_HEADER, AccessLog, request_id, request_id_of
from impl.tracing import ServerSpans, current_ids
from runtime.routes import OperationRoute

REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
CLOSE = (b"connection", b"close")
NO_TRACE = ("", "")


@dataclass(frozen=True, slots=True)
class Edge:
    """What the outer pass does its work with."""

    drain: Drain
    access_log: AccessLog
    durations: metrics.RequestDurations | None
    spans: ServerSpans | None


class Service(FastAPI):
    """FastAPI, with the outer pass in its own `__call__`, around its whole
    stack (no layer more per request), and the operations served by the
    innermost middleware (impl/http/operations.py): a middleware added with
    `app.add_middleware` and a handler registered with
    `app.exception_handler` apply to every operation as to any route."""

    edge: Edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        edge = self.edge
        started = time.perf_counter()
        raw_headers = scope["headers"]
        given = None
        for name, value in raw_headers:
            if name == REQUEST_ID_KEY:
                given = value
        current = request_id_of(given)
        token = request_id.set(current)
        extra = [(REQUEST_ID_KEY, current.encode())]
        if edge.drain.draining:
            # Clients and proxies stop reusing this connection: none is left
            # idle for the stop to close under a request.
            extra.append(CLOSE)
        method = scope["method"]
        spans = edge.spans
        span = None if spans is None else spans.start(dict(raw_headers), method)
        status = 500

        async def send_with_extra(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers")
                if type(headers) is list:
                    headers.extend(extra)
                else:
                    message["headers"] = [*(headers or ()), *extra]
            await send(message)

        try:
            await super().__call__(scope, receive, send_with_extra)
        finally:
            seconds = time.perf_counter() - started
            # The operation's, or the route FastAPI's router chose.
            route = scope.get("route")
            template = str(getattr(route, "path", ""))
            if edge.access_log.enabled:
                trace = current_ids() if span is not None else NO_TRACE
                edge.access_log.write(scope, status, seconds, trace)
            if edge.durations is not None:
                edge.durations.observe(
                    metrics.method_of(scope), template, status, seconds
                )
            if span is not None:
                operation_id = (
                    route.operation.operation_id
                    if isinstance(route, OperationRoute)
                    else ""
                )
                ServerSpans.end(span, template, operation_id, method, status)
            request_id.reset(token)
