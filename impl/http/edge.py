"""The one layer every HTTP request passes, in one pass.

A request for an operation of the contract is served here without
Starlette's middleware tower, router, Request or Response: its route is
found by method and path (`OperationRouter`), its answer computed by the
generated route, and any error it raises mapped to problem+json on the spot
(`errors.answer_for`). Around that, once per request: the request id, the
server span when the request is sampled, the access line, the request's
duration in the metrics, and, while the process drains before a stop,
`Connection: close`.

What is not an operation (the docs, the published contract, an unknown
path, another method) goes to FastAPI, with the same request id, access
line, metrics and span. A request from a browser on another origin (one
with `Origin`) passes Starlette's CORSMiddleware on its way to either.
"""

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl import metrics
from impl.drain import Drain
from impl.http import errors
from impl.http.logs import REQUEST_ID_HEADER, AccessLog, request_id, request_id_of
from impl.tracing import ServerSpans, current_ids
from runtime.routes import Call, OperationRoute, OperationRouter, send_answer

Headers = list[tuple[bytes, bytes]]
REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
CLOSE = (b"connection", b"close")
NO_TRACE = ("", "")


class Edge:
    def __init__(
        self,
        *,
        routes: list[OperationRoute],
        fallback: ASGIApp,
        state: Any,
        drain: Drain,
        access_log: AccessLog,
        durations: metrics.RequestDurations | None,
        spans: ServerSpans | None,
        cors: Callable[[ASGIApp], ASGIApp] | None,
        undocumented: errors.UndocumentedStatuses,
    ) -> None:
        self.router = OperationRouter(routes)
        self.fallback = fallback
        self.state = state
        self.drain = drain
        self.access_log = access_log
        self.durations = durations
        self.spans = spans
        self.undocumented = undocumented
        self.cross_origin = None if cors is None else cors(self._dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        current = request_id_of(headers.get(REQUEST_ID_KEY))
        token = request_id.set(current)
        extra: Headers = [(REQUEST_ID_KEY, current.encode())]
        if self.drain.draining:
            # Clients and proxies stop reusing this connection: none is left
            # idle for the stop to close under a request.
            extra.append(CLOSE)
        method = scope["method"]
        found = self.router.match(method, scope["path"])
        route = None
        if found is not None:
            route, scope["path_params"] = found
            scope["route"] = route
        span = None if self.spans is None else self.spans.start(headers, method)
        status = 500
        try:
            if self.cross_origin is not None and b"origin" in headers:
                status = await _relay(self.cross_origin, scope, receive, send, extra)
            elif route is not None:
                status = await self._serve(route, scope, receive, send, extra, headers)
            else:
                status = await _relay(self.fallback, scope, receive, send, extra)
        finally:
            seconds = time.perf_counter() - started
            # The operation's, or the one FastAPI's router chose.
            template = str(getattr(scope.get("route"), "path", ""))
            if self.access_log.enabled:
                trace = current_ids() if span is not None else NO_TRACE
                self.access_log.write(scope, status, seconds, trace)
            if self.durations is not None:
                self.durations.observe(
                    metrics.method_of(scope), template, status, seconds
                )
            if span is not None:
                operation_id = route.operation_id if route is not None else ""
                ServerSpans.end(span, template, operation_id, method, status)
            request_id.reset(token)

    async def _serve(
        self,
        route: OperationRoute,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: Headers,
        headers: Mapping[bytes, bytes],
    ) -> int:
        """Answer an operation; its errors become problems here, in place."""
        operation = route.operation
        call = Call(
            operation, scope, receive, scope["path_params"], self.state, headers
        )
        try:
            answer = await route.answer(call)
        except Exception as error:
            answer = errors.answer_for(error)
            if answer.status not in operation.statuses:
                answer = self.undocumented.answered(operation, answer, error)
        answer.headers.extend(extra)
        await send_answer(send, answer)
        return answer.status

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The operation the edge found, or FastAPI: what CORS wraps."""
        route = scope.get("route")
        if isinstance(route, OperationRoute):
            headers = dict(scope["headers"])
            await self._serve(route, scope, receive, send, [], headers)
        else:
            await self.fallback(scope, receive, send)


async def _relay(
    app: Callable[[Scope, Receive, Send], Awaitable[None]],
    scope: Scope,
    receive: Receive,
    send: Send,
    extra: Headers,
) -> int:
    """Run an ASGI app, adding `extra` to its response; the status it sent
    (500 when it sent none: FastAPI's error middleware then answers)."""
    status = 500

    async def send_with_extra(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    await app(scope, receive, send_with_extra)
    return status
