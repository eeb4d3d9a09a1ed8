"""The route of an operation, one of FastAPI's router's routes.

Each generated route does what FastAPI would do for its operation, in the
same order and with the same errors, without Starlette's Request and
Response objects: it reads what it needs from the ASGI scope (a `Call`),
enters the app's dependencies (FastAPI's solver, runtime/dependencies.py)
where the app has any, then the operation's context (authentication
first), reads the body into its model, validates every parameter at once
with one prebuilt model, calls the handler, and sends what the handler
returns, all inside the context. What it raises goes up to the app's
exception middleware, as from any route.
"""

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import params
from starlette._utils import get_route_path
from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.binding import check_handlers
from runtime.call import Call
from runtime.dependencies import NONE, AppDependencies, Dependencies
from runtime.operations import Operation
from runtime.reading import read_body, read_parameters, strict_query
from runtime.replies import Answer, NotModified, answer_of, not_modified, send_answer
from runtime.streams import EventStream, send_stream

ContextT = TypeVar("ContextT")
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)
PublicContextT = TypeVar("PublicContextT")
PublicContextT_contra = TypeVar("PublicContextT_contra", contravariant=True)

Context = Callable[[Call], AsyncGenerator[Any, None]]
"""An operation's context for a call: an async generator that yields once
(authentication first)."""


class OperationRoute(Route):
    """The route of one operation: its path, its one method, its contract.

    Starlette's route matching finds it, answers 405 for another method at
    its path, and calls its ASGI app (`_app`), which serves the operation.
    """

    def __init__(
        self,
        operation: Operation,
        handler: Callable[..., Any],
        context: Context,
        max_body_bytes: int,
    ) -> None:
        super().__init__(
            operation.path,
            handler,
            methods=[operation.method],
            name=operation.operation_id,
        )
        # Starlette adds HEAD to every GET; the contract has no HEAD.
        self.methods = {operation.method}
        self.app = self._app
        self.operation = operation
        self.handler = handler
        self.context = context
        self.max_body_bytes = max_body_bytes
        self.dependencies: AppDependencies | None = None
        """The app's dependencies, once `depend_on` has them."""
        self._names = tuple(parameter.name for parameter in operation.parameters)
        media_type = operation.success_media_type or "application/json"
        self._content_type = (b"content-type", media_type.encode("latin-1"))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's match by path and method, naming the route in the
        scope (`scope["route"]`) for what wraps the router: the contract
        check, the metrics, the span. The contract's path parameters are
        strings, which Starlette's convertors leave as they are."""
        if scope["type"] == "http":
            found = self.path_regex.match(get_route_path(scope))
            if found is not None:
                child = {
                    "endpoint": self.endpoint,
                    "path_params": found.groupdict(),
                    "route": self,
                }
                if scope["method"] == self.operation.method:
                    return Match.FULL, child
                return Match.PARTIAL, child
        return Match.NONE, {}

    def depend_on(self, depends: Sequence[params.Depends], overrides: object) -> None:
        """Enter these dependencies of the app (`FastAPI(dependencies=...)`)
        for every request, overridden by `overrides.dependency_overrides`."""
        self.dependencies = (
            AppDependencies(self.path, depends, overrides) if depends else None
        )

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = Call(
            self.operation,
            scope,
            receive,
            scope["path_params"],
            scope["app"].state,
            dict(scope["headers"]),
        )
        if self.dependencies is None:
            await self.serve(call, send, NONE, None)
            return

        async def serve(
            deps: Dependencies, returned: Callable[[], Awaitable[None]] | None
        ) -> None:
            await self.serve(call, send, deps, returned)

        await self.dependencies.around(scope, receive, send, serve)

    async def serve(
        self,
        call: Call,
        send: Send,
        deps: Dependencies,
        returned: Callable[[], Awaitable[None]] | None,
    ) -> None:
        """Enter the context, read the body and the parameters, call the
        handler, await `returned`, and send the handler's answer, all inside
        the context.

        The context's generator is driven as `contextlib.asynccontextmanager`
        drives one (the error thrown in at its `yield`, its end awaited),
        without the wrapper object that costs a request as much as a
        middleware layer. A context that swallows the error has the error
        raised on all the same: every request gets an answer.
        """
        operation = self.operation
        call.deps = deps
        contexts = self.context(call)
        ctx = await anext(contexts)
        try:
            arguments: dict[str, Any] = {}
            strict_query(operation.parameters, call)
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
            try:
                reply = await self.handler(ctx, **arguments)
            except NotModified as unchanged:
                reply = not_modified(unchanged)
            if isinstance(reply, EventStream):
                if returned is not None:
                    await returned()
                media_type = operation.success_media_type or "text/event-stream"
                await send_stream(reply, media_type, call.receive, send)
            else:
                answer = (
                    reply
                    if isinstance(reply, Answer)
                    else answer_of(reply, operation.success, self._content_type)
                )
                if returned is not None:
                    await returned()
                await send_answer(send, answer)
        except BaseException as error:
            try:
                await contexts.athrow(error)
            except StopAsyncIteration:
                raise error from None
            raise RuntimeError(f"{self.context.__name__} did not stop") from error
        try:
            await anext(contexts)
        except StopAsyncIteration:
            return
        raise RuntimeError(f"{self.context.__name__} yielded twice")


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
    security: Mapping[str, Callable[[Call], AsyncGenerator[Any, None]]],
    public_context: Callable[[Call], AsyncGenerator[Any, None]],
    max_body_bytes: int,
) -> list[OperationRoute]:
    """A route per operation, each calling its handler in the context of its
    security scheme, resolved by the scheme's name in the contract (the
    public context where it requires none), and reading no body longer than
    `max_body_bytes`. HandlerBindingError first if any handler does not fit
    `protocol`; SecurityBindingError if a scheme has no context."""
    check_handlers(handlers, protocol, {o.operation_id: o.handler for o in operations})
    missing = sorted(
        f"{o.operation_id} requires {_scheme(o)}"
        for o in operations
        if not o.public and _scheme(o) not in security
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
            public_context if operation.public else security[_scheme(operation)],
            max_body_bytes,
        )
        for operation in operations
    ]


class OperationsFirst:
    """The app's router, with the operations found first by method and path
    (the regular expressions of their own paths, grouped by method), the
    way its own loop would find them, without trying each route in turn;
    every other request goes on to the router's own dispatch (the docs, 404,
    405). It is the router's `middleware_stack`, directly in front of it,
    inside FastAPI's exception middleware."""

    def __init__(self, app: ASGIApp, router: Router, routes: list[OperationRoute]):
        self.app = app
        self.router = router
        self._by_method: dict[str, list[OperationRoute]] = {}
        for route in routes:
            self._by_method.setdefault(route.operation.method, []).append(route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = get_route_path(scope)
            for route in self._by_method.get(scope["method"], ()):
                found = route.path_regex.match(path)
                if found is not None:
                    scope["router"] = self.router
                    scope["route"] = route
                    scope["endpoint"] = route.endpoint
                    scope["path_params"] = found.groupdict()
                    await route.app(scope, receive, send)
                    return
        await self.app(scope, receive, send)
