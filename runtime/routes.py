"""The machinery of a generated route: reading, replying, routing.

Each generated route does what FastAPI would do for its operation, in the
same order and with the same errors, without its per-request dependency
solving and without Starlette's Request and Response objects: it reads
what it needs from the ASGI scope (a `Call`), enters the context
(authentication first), reads the body into its model, validates every
parameter at once with one prebuilt model, calls the handler, and answers
with the bytes the handler returns. `OperationRouter` finds a request's
operation by method and path.
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, Literal, NamedTuple, TypedDict, TypeVar
from urllib.parse import parse_qsl

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from runtime.binding import check_handlers

ContextT = TypeVar("ContextT")
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)
PublicContextT = TypeVar("PublicContextT")
PublicContextT_contra = TypeVar("PublicContextT_contra", contravariant=True)
ModelT = TypeVar("ModelT", bound=BaseModel)
BodyT_co = TypeVar("BodyT_co", covariant=True)


class NoHeaders(TypedDict):
    """The headers of a response for which the contract requires none."""


HeadersT_co = TypeVar("HeadersT_co", bound=Mapping[str, object], covariant=True)
HeadersT = TypeVar("HeadersT", bound=Mapping[str, object])


class Reply(Generic[BodyT_co, HeadersT_co]):
    """A response body of schema `BodyT_co` (a model, as JSON bytes; `str`
    for a text body, as its bytes), with the headers `HeadersT_co` (a
    TypedDict of what the contract requires for the status).

    `Reply.of(model, headers)` serializes a model. A handler that reads typed
    columns may instead serialize a row itself, once, without validating it
    again; the contract's response checks (schemathesis) hold it to the
    schema.
    """

    __slots__ = ("body", "headers")

    def __init__(self, body: bytes, headers: HeadersT_co) -> None:
        self.body = body
        self.headers = headers

    @classmethod
    def of(cls, model: ModelT, headers: HeadersT) -> "Reply[ModelT, HeadersT]":
        return Reply(model.__pydantic_serializer__.to_json(model), headers)


class Call:
    """One request to an operation, read straight from the ASGI scope.

    A header is decoded only when it is read (`header`), from the raw ones
    by lowercase name that the app already holds (the last of a repeated
    one wins); the query string is parsed only when an operation reads it,
    and the body only when the operation takes one.
    """

    __slots__ = (
        "_query",
        "headers",
        "operation",
        "path_params",
        "receive",
        "scope",
        "state",
    )

    def __init__(
        self,
        operation: "Operation",
        scope: Scope,
        receive: Receive,
        path_params: Mapping[str, str],
        state: Any,
        headers: Mapping[bytes, bytes],
    ) -> None:
        self.operation = operation
        """The operation called, as the contract states it."""
        self.scope = scope
        self.receive = receive
        self.path_params = path_params
        self.state = state
        """What the app built once (its services: the database, the
        verifier, the limiter)."""
        self.headers = headers
        """The request's headers, by lowercase name: `dict(scope["headers"])`."""
        self._query: dict[str, str] | None = None

    def header(self, name: bytes) -> str | None:
        """A header's value, by its lowercase name (`b"authorization"`)."""
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def query(self) -> Mapping[str, str]:
        """The query parameters; the last of a repeated one wins, as
        Starlette's `QueryParams.get` has it."""
        if self._query is None:
            raw = self.scope.get("query_string", b"").decode("latin-1")
            self._query = dict(parse_qsl(raw, keep_blank_values=True))
        return self._query

    async def body(self, max_bytes: int) -> bytes:
        """The whole body; BodyTooLarge past `max_bytes`, before a byte is
        read when the declared Content-Length already says so."""
        declared = self.headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            raise BodyTooLarge(max_bytes)
        chunks = []
        received = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > max_bytes:
                raise BodyTooLarge(max_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class BodyTooLarge(Exception):
    """A request body longer than the contract allows."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The request body exceeds {max_bytes} bytes.")
        self.max_bytes = max_bytes


Location = Literal["path", "query", "header"]
"""Where a parameter is (OpenAPI's `in`; the contract has no cookie ones)."""


class Parameter:
    """Where one parameter of an operation comes from."""

    __slots__ = ("_header", "key", "location", "name", "required")

    def __init__(self, name: str, location: Location, key: str, required: bool) -> None:
        self.name = name
        self.location = location
        self.key = key
        self.required = required
        self._header = key.lower().encode("latin-1")

    def raw(self, call: Call) -> str | None:
        if self.location == "path":
            return call.path_params.get(self.key)
        if self.location == "query":
            return call.query.get(self.key)
        return call.header(self._header)


def read_parameters(
    model: type[ModelT], parameters: tuple[Parameter, ...], call: Call
) -> ModelT:
    """Every parameter, validated at once as FastAPI would (lax: '5' is 5)."""
    raw = {}
    for parameter in parameters:
        value = parameter.raw(call)
        if value is not None:
            raw[parameter.name] = value
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        where = {p.name: (p.location, p.key) for p in parameters}
        raise RequestValidationError(
            [
                {**e, "loc": (*where[str(e["loc"][0])], *e["loc"][1:])}
                for e in error.errors(include_url=False)
            ]
        ) from None


async def read_body(
    model: type[ModelT], media_type: str, call: Call, max_bytes: int
) -> ModelT:
    """The request body, of the operation's JSON media type, read into `model`.

    Strict JSON-mode validation accepts date-times and UUIDs as strings but no
    "yes" or 0 for a bool, and refuses malformed JSON and lone surrogates.
    """
    content_type = call.header(b"content-type") or ""
    if content_type.partition(";")[0].strip().lower() != media_type:
        raise HTTPException(415, f"Send the request body as {media_type}.")
    try:
        return model.model_validate_json(await call.body(max_bytes), strict=True)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


class Answer(NamedTuple):
    """A response, ready to send: its status, its headers as ASGI has them,
    and its body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def _answer(
    reply: Reply[object, Mapping[str, object]] | None,
    status: int,
    content_type: tuple[bytes, bytes],
) -> Answer:
    if reply is None:
        return Answer(status, [], b"")
    # Every generated headers TypedDict has str values: HTTP header text.
    headers = [content_type]
    for name, value in reply.headers.items():
        headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
    return Answer(status, headers, reply.body)


BODILESS_STATUSES = frozenset((204, 304))


async def send_answer(send: Send, answer: Answer) -> None:
    status, headers, body = answer
    # RFC 9110 8.6: no Content-Length on a 204 (or 304), as Starlette has it.
    if status not in BODILESS_STATUSES:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


Enter = Callable[[Call], AbstractAsyncContextManager[Any]]
"""How an operation's context is entered for a call (authentication first)."""


class OperationRoute(Route):
    """The route of one operation: its path, its one method, its contract.

    `answer(call)` runs it: it enters the context (authentication first),
    reads the body into its model, validates every parameter at once with
    one prebuilt model, calls the handler, and returns the answer; errors
    are raised, for the app to map. As a Starlette route it also tells the
    app's router that its path exists (405 for another method, a redirect
    for a trailing slash).
    """

    def __init__(
        self,
        operation: "Operation",
        handler: Callable[..., Any],
        enter: Enter,
        max_body_bytes: int,
    ) -> None:
        super().__init__(
            operation.path,
            self._serve,
            methods=[operation.method],
            name=operation.operation_id,
        )
        # Starlette adds HEAD to every GET; the contract has no HEAD.
        self.methods = {operation.method}
        self.operation = operation
        self.operation_id = operation.operation_id
        self.handler = handler
        self.enter = enter
        self.max_body_bytes = max_body_bytes
        self._names = tuple(parameter.name for parameter in operation.parameters)
        media_type = operation.success_media_type or "application/json"
        self._content_type = (b"content-type", media_type.encode("latin-1"))

    async def answer(self, call: Call) -> Answer:
        operation = self.operation
        async with self.enter(call) as ctx:
            arguments: dict[str, Any] = {}
            if operation.body is not None:
                arguments["body"] = await read_body(
                    operation.body,
                    operation.body_media_type or "application/json",
                    call,
                    self.max_body_bytes,
                )
            if operation.parameters_model is not None:
                values = read_parameters(
                    operation.parameters_model, operation.parameters, call
                )
                for name in self._names:
                    arguments[name] = getattr(values, name)
            reply = await self.handler(ctx, **arguments)
            return _answer(reply, operation.success, self._content_type)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route as an ASGI app, where a router dispatches to it."""
        app = scope["app"]
        path_params = scope.get("path_params", {})
        call = Call(
            self.operation,
            scope,
            receive,
            path_params,
            app.state,
            dict(scope["headers"]),
        )
        await send_answer(send, await self.answer(call))


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a contract, as its generated table states it."""

    operation_id: str
    summary: str
    handler: str
    """The name of its method in the Handlers protocol."""
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    parameters_model: type[BaseModel] | None
    """The one model that validates every parameter at once."""
    body: type[BaseModel] | None
    body_media_type: str | None
    """The body's media type, a JSON one: `application/json`, or
    `application/merge-patch+json` for a JSON Merge Patch."""
    success: int
    success_media_type: str | None
    """The success response's media type: `application/json`, or another
    for a body that is not JSON."""
    statuses: tuple[int, ...]
    security: list[dict[str, list[str]]]
    subject: str | None
    """The path parameter the caller's token subject must equal, the one the
    contract marks `x-token-subject`; None where no parameter names the
    caller."""

    @property
    def public(self) -> bool:
        """Whether the contract secures it with nothing (`security: []`)."""
        return self.security == []


class SecurityBindingError(RuntimeError):
    """An operation is secured by a scheme the app gave no context for."""


def _scheme(operation: Operation) -> str:
    """The one security scheme an operation requires."""
    schemes = {name for requirement in operation.security for name in requirement}
    if len(schemes) != 1:
        raise SecurityBindingError(
            f"{operation.operation_id}: one security scheme per operation is "
            f"supported, the contract lists {sorted(schemes)}"
        )
    return schemes.pop()


def routes_for(
    operations: tuple[Operation, ...],
    protocol: type,
    handlers: object,
    security: Mapping[str, Callable[[Call], AsyncIterator[Any]]],
    public_context: Callable[[Call], AsyncIterator[Any]],
    max_body_bytes: int,
) -> list[OperationRoute]:
    """A route per operation, each calling its handler in the context of its
    security scheme, resolved by the scheme's name in the contract (the
    public context where it requires none), and reading no body longer than
    `max_body_bytes`. HandlerBindingError first if any handler does not fit
    `protocol`; SecurityBindingError if a scheme has no context."""
    check_handlers(handlers, protocol, {o.operation_id: o.handler for o in operations})
    enter = {name: asynccontextmanager(context) for name, context in security.items()}
    enter_public = asynccontextmanager(public_context)
    missing = sorted(
        f"{o.operation_id} requires {_scheme(o)}"
        for o in operations
        if not o.public and _scheme(o) not in enter
    )
    if missing:
        raise SecurityBindingError(
            "openapi.yaml secures operations with schemes the app has no context "
            f"for: {'; '.join(missing)}"
        )
    return [
        OperationRoute(
            operation,
            getattr(handlers, operation.handler),
            enter_public if operation.public else enter[_scheme(operation)],
            max_body_bytes,
        )
        for operation in operations
    ]


class OperationRouter:
    """Finds the operation a request is for, by method and path alone: the
    regular expressions of the routes' own paths, without a router's
    per-request scope copies."""

    def __init__(self, routes: list[OperationRoute]) -> None:
        self._by_method: dict[str, list[OperationRoute]] = {}
        for route in routes:
            self._by_method.setdefault(route.operation.method, []).append(route)

    def match(
        self, method: str, path: str
    ) -> tuple[OperationRoute, dict[str, str]] | None:
        for route in self._by_method.get(method, ()):
            found = route.path_regex.match(path)
            if found is not None:
                return route, found.groupdict()
        return None
