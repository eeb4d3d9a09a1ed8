"""The route of an operation: found by method and path, served from the scope.

Each generated route does what FastAPI would do for its operation, in the
same order and with the same errors, without its per-request dependency
solving and without Starlette's Request and Response objects: it reads
what it needs from the ASGI scope (a `Call`), enters the context
(authentication first, then the app's dependencies), reads the body into
its model, validates every parameter at once with one prebuilt model,
calls the handler, and sends what the handler returns, all inside the
context, so that a dependency's teardown runs after the response.
`OperationRouter` finds a request's operation by method and path.
"""

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, TypeVar

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from runtime.binding import check_handlers
from runtime.call import Call
from runtime.operations import Operation
from runtime.reading import read_body, read_parameters
from runtime.replies import answer_of, send_answer

ContextT = TypeVar("ContextT")
ContextT_contra = TypeVar("ContextT_contra", contravariant=True)
PublicContextT = TypeVar("PublicContextT")
PublicContextT_contra = TypeVar("PublicContextT_contra", contravariant=True)

Context = Callable[[Call], AsyncGenerator[Any, None]]
"""An operation's context for a call: an async generator that yields once
(authentication first)."""


class OperationRoute(Route):
    """The route of one operation: its path, its one method, its contract.

    `serve(call, send)` runs it; errors are raised, for the app to map. As a
    Starlette route it also tells the app's router that its path exists
    (405 for another method, a redirect for a trailing slash), and serves
    the operation where a router dispatches to it.
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
            self._serve,
            methods=[operation.method],
            name=operation.operation_id,
        )
        # Starlette adds HEAD to every GET; the contract has no HEAD.
        self.methods = {operation.method}
        self.operation = operation
        self.handler = handler
        self.context = context
        self.max_body_bytes = max_body_bytes
        self._names = tuple(parameter.name for parameter in operation.parameters)
        media_type = operation.success_media_type or "application/json"
        self._content_type = (b"content-type", media_type.encode("latin-1"))

    async def serve(self, call: Call, send: Send) -> None:
        """Enter the context, read the body and the parameters, call the
        handler and send its answer, all inside the context.

        The context's generator is driven as `contextlib.asynccontextmanager`
        drives one (the error thrown in at its `yield`, its end awaited),
        without the wrapper object that costs a request as much as a
        middleware layer. A context that swallows the error has the error
        raised on all the same: every request gets an answer.
        """
        operation = self.operation
        contexts = self.context(call)
        ctx = await anext(contexts)
        try:
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
            answer = answer_of(reply, operation.success, self._content_type)
            call.answered = True
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

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route as an ASGI app, where a router dispatches to it."""
        call = Call(
            self.operation,
            scope,
            receive,
            scope.get("path_params", {}),
            scope["app"].state,
            dict(scope["headers"]),
        )
        await self.serve(call, send)


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
