"""The machinery of a generated route: reading, replying, routing.

Each generated route does what FastAPI would do for its operation, in the
same order and with the same errors, without its per-request dependency
solving: enter the context (authentication first), read the body into its
model, validate every parameter at once with one prebuilt model, call the
handler, and send the JSON bytes the handler returns.
"""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar, cast

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

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


class Parameter:
    """Where one parameter of an operation comes from."""

    __slots__ = ("key", "location", "name", "required")

    def __init__(self, name: str, location: str, key: str, required: bool) -> None:
        self.name = name
        self.location = location
        self.key = key
        self.required = required

    def raw(self, request: Request) -> str | None:
        if self.location == "path":
            value: str | None = request.path_params.get(self.key)
        elif self.location == "query":
            value = request.query_params.get(self.key)
        else:
            value = request.headers.get(self.key)
        return value


def read_parameters(
    model: type[ModelT], parameters: tuple[Parameter, ...], request: Request
) -> ModelT:
    """Every parameter, validated at once as FastAPI would (lax: '5' is 5)."""
    raw = {}
    for parameter in parameters:
        value = parameter.raw(request)
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


async def read_body(model: type[ModelT], media_type: str, request: Request) -> ModelT:
    """The request body, of the operation's JSON media type, read into `model`.

    Strict JSON-mode validation accepts date-times and UUIDs as strings but no
    "yes" or 0 for a bool, and refuses malformed JSON and lone surrogates.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != media_type:
        raise HTTPException(415, f"Send the request body as {media_type}.")
    try:
        return model.model_validate_json(await request.body(), strict=True)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


def respond(
    reply: Reply[object, Mapping[str, object]] | None, status: int, media_type: str
) -> Response:
    if reply is None:
        return Response(status_code=status)
    # Every generated headers TypedDict has str values: HTTP header text.
    headers = cast(Mapping[str, str], reply.headers)
    return Response(reply.body, status, headers, media_type)


class OperationRoute(Route):
    """The route of one operation: its path, its one method, its contract."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[[Request], Any],
        *,
        method: str,
        operation_id: str,
        parameters: tuple[Parameter, ...],
        statuses: tuple[int, ...],
        security: list[dict[str, list[str]]],
    ) -> None:
        super().__init__(path, endpoint, methods=[method], name=operation_id)
        # Starlette adds HEAD to every GET; the contract has no HEAD.
        self.methods = {method}
        self.operation_id = operation_id
        self.parameters = parameters
        self.statuses = statuses
        self.security = security

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """As Starlette's, and the route itself in the scope (`scope["route"]`,
        as FastAPI's own routes put it), so that what wraps the app can name
        the route template in its metrics and traces."""
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


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

    @property
    def public(self) -> bool:
        """Whether the contract secures it with nothing (`security: []`)."""
        return self.security == []


def _endpoint(
    operation: Operation,
    handler: Callable[..., Any],
    enter: Callable[[Request], AbstractAsyncContextManager[Any]],
) -> Callable[[Request], Any]:
    body_model, parameters_model = operation.body, operation.parameters_model
    media_type = operation.body_media_type or "application/json"
    parameters, success = operation.parameters, operation.success
    success_media_type = operation.success_media_type or "application/json"
    names = tuple(parameter.name for parameter in parameters)

    async def endpoint(request: Request) -> Response:
        async with enter(request) as ctx:
            arguments: dict[str, Any] = {}
            if body_model is not None:
                arguments["body"] = await read_body(body_model, media_type, request)
            if parameters_model is not None:
                values = read_parameters(parameters_model, parameters, request)
                for name in names:
                    arguments[name] = getattr(values, name)
            reply = await handler(ctx, **arguments)
            return respond(reply, success, success_media_type)

    endpoint.__name__ = operation.handler
    endpoint.__doc__ = f"{operation.operation_id}: {operation.summary}"
    return endpoint


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
    security: Mapping[str, Callable[[Request], AsyncIterator[Any]]],
    public_context: Callable[[Request], AsyncIterator[Any]],
) -> list[OperationRoute]:
    """A route per operation, each calling its handler in the context of its
    security scheme, resolved by the scheme's name in the contract (the
    public context where it requires none). HandlerBindingError first if any
    handler does not fit `protocol`; SecurityBindingError if a scheme has no
    context."""
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
            operation.path,
            _endpoint(
                operation,
                getattr(handlers, operation.handler),
                enter_public if operation.public else enter[_scheme(operation)],
            ),
            method=operation.method,
            operation_id=operation.operation_id,
            parameters=operation.parameters,
            statuses=operation.statuses,
            security=operation.security,
        )
        for operation in operations
    ]
