"""The service's outer pass: what every HTTP request gets, in one pass.

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

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl import metrics
from impl.drain import Drain
from impl.http.logs import REQUEST_ID_HEADER, AccessLog, request_id, request_id_of
from impl.tracing import ServerSpans, current_ids
from runtime.routes import OperationRoute

REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
CLOSE = (b"connection", b"close")
NO_TRACE = ("", "")


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        drain: Drain,
        access_log: AccessLog,
        durations: metrics.RequestDurations | None,
        spans: ServerSpans | None,
    ) -> None:
        self.app = app
        self.drain = drain
        self.access_log = access_log
        self.durations = durations
        self.spans = spans

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw_headers = scope["headers"]
        given = None
        for name, value in raw_headers:
            if name == REQUEST_ID_KEY:
                given = value
        current = request_id_of(given)
        token = request_id.set(current)
        extra = [(REQUEST_ID_KEY, current.encode())]
        if self.drain.draining:
            # Clients and proxies stop reusing this connection: none is left
            # idle for the stop to close under a request.
            extra.append(CLOSE)
        method = scope["method"]
        spans = self.spans
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
            await self.app(scope, receive, send_with_extra)
        finally:
            seconds = time.perf_counter() - started
            # The operation's, or the route FastAPI's router chose.
            route = scope.get("route")
            template = str(getattr(route, "path", ""))
            if self.access_log.enabled:
                trace = current_ids() if span is not None else NO_TRACE
                self.access_log.write(scope, status, seconds, trace)
            if self.durations is not None:
                self.durations.observe(
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
