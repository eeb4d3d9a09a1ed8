"""Every answer to an operation, held to what the contract documents for it.

Whoever produced the answer (the handler, an exception handler of the app,
a middleware), its status must be one the operation documents. Strict
(STRICT_CONTRACT, the test suite's setting), its JSON body must also
validate against the model the contract gives that status, and an answer
that fails either is replaced by a 500, which every test and
schemathesis' not_a_server_error check fail on. Otherwise the client gets
the answer as it is, and the log says so once per operation and status;
only the status is looked at.

Strict, it is a piece of middleware around FastAPI's whole stack
(`ContractCheck`), so that an exception handler's and a middleware's
answers pass it too; lenient, an observer of every request
(`UndocumentedStatuses`, impl/http/observation.py), which costs a request
no wrapper of its own. Either way the router has named the operation in
the scope (`scope["route"]`) by the time the answer starts.
"""

import logging

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl.http.errors import problem_answer
from runtime.operations import Operation
from runtime.replies import send_answer
from runtime.routes import OperationRoute

logger = logging.getLogger(__name__)


def _operation(scope: Scope) -> Operation | None:
    """The operation the request is for; None for one the router answers
    itself (another method at an operation's path: 405)."""
    route = scope.get("route")
    if isinstance(route, OperationRoute) and route.operation.method == scope["method"]:
        return route.operation
    return None


class UndocumentedStatuses:
    """The log line, once per operation and status, of an answer whose
    status its operation does not document."""

    def __init__(self) -> None:
        self._logged: set[tuple[str, int]] = set()

    def started(self, scope: Scope) -> None:
        return None

    def ended(self, scope: Scope, status: int, seconds: float, started: None) -> None:
        operation = _operation(scope)
        if operation is not None and status not in operation.responses:
            self.logged(operation, status)

    def logged(self, operation: Operation, status: int) -> None:
        if status == 500:
            # An unhandled error, already logged as one.
            return
        seen = (operation.operation_id, status)
        if seen in self._logged:
            return
        self._logged.add(seen)
        logger.error(
            "%s answered %d, a status openapi.yaml does not document for it:"
            " document it among the operation's responses, or raise another"
            " problem",
            operation.operation_id,
            status,
        )


class ContractCheck:
    """Each answer to an operation held back until its last byte, then
    checked whole: a 500 instead where it fails."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.undocumented = UndocumentedStatuses()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        streaming: list[EventCheck] = []

        async def holding(message: Message) -> None:
            if streaming:
                await streaming[0].passed(message, send)
                return
            operation = _operation(scope)
            if (
                message["type"] == "http.response.start"
                and message["status"] == 200
                and operation is not None
                and operation.events
            ):
                streaming.append(EventCheck(operation))
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and message.get(
                "more_body", False
            ):
                return
            if message["type"] == "http.response.body":
                await self._release(scope, held, send)

        await self.app(scope, receive, holding)

    async def _release(self, scope: Scope, held: list[Message], send: Send) -> None:
        start, *bodies = held
        operation = _operation(scope)
        if operation is not None and not self._conforms(
            operation, start["status"], b"".join(m.get("body", b"") for m in bodies)
        ):
            await send_answer(send, problem_answer(500, "Internal Server Error"))
            return
        for message in held:
            await send(message)

    def _conforms(self, operation: Operation, status: int, body: bytes) -> bool:
        if status == 500:
            # An unhandled error, already logged as one.
            return True
        if status not in operation.responses:
            self.undocumented.logged(operation, status)
            return False
        model = operation.responses[status]
        if model is None:
            return True
        try:
            model.model_validate_json(body)
        except ValidationError as error:
            logger.error(
                "%s answered %d with a body that does not match openapi.yaml's %s: %s",
                operation.operation_id,
                status,
                model.__name__,
                error,
            )
            return False
        return True


class EventCheck:
    """A stream of Server-Sent Events, sent as it comes (it never ends on
    its own), each event's data held to the model the contract gives its
    data (`contentSchema`). One that fails is logged and ends the stream: its
    start has gone out, so no 500 can replace it."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.failed = False

    async def passed(self, message: Message, send: Send) -> None:
        if self.failed:
            return
        if message["type"] == "http.response.body" and not self._conforms(
            message.get("body", b"")
        ):
            self.failed = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send(message)

    def _conforms(self, chunk: bytes) -> bool:
        # The route sends whole events, one or more a chunk (runtime/streams.py).
        for block in chunk.split(b"\n\n"):
            fields = dict(
                line.split(b": ", 1) for line in block.split(b"\n") if b": " in line
            )
            if b"event" not in fields:
                continue
            name = fields[b"event"].decode()
            model = self.operation.events.get(name)
            try:
                if model is None:
                    raise ValueError(f"an event {name!r} openapi.yaml does not name")
                model.model_validate_json(fields.get(b"data", b""))
            except ValueError as error:
                logger.error(
                    "%s sent an event that does not match openapi.yaml: %s",
                    self.operation.operation_id,
                    error,
                )
                return False
        return True
