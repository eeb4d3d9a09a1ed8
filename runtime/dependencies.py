"""The app's dependencies, solved by FastAPI for every operation.

A dependency is registered as FastAPI has it, on the app:
`FastAPI(dependencies=[Depends(audit_trail)])` (impl/dependencies.py lists
the service's), and overridden as FastAPI has it:
`app.dependency_overrides[audit_trail] = fake`. FastAPI's own solver
(`solve_dependencies`) enters them for an operation as for one of its
routes: sub-dependencies, `Request`, headers, sync ones in a thread. A
dependency with `yield` runs its code after `yield` where FastAPI 0.163
runs it: after the response is sent, or before the error answer when the
request raised, the exception thrown in at its `yield` first; with
`Depends(..., scope="function")`, before the response is sent.

They are entered before authentication, as app-wide dependencies are
before a route's own, so a dependency sees every answer, a 401 included. A
handler reads what one yielded as `ctx.deps[audit_trail]`.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack
from typing import Any, TypeVar, overload

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    get_parameterless_sub_dependant,
    solve_dependencies,
)
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

T = TypeVar("T")


class Dependencies:
    """What each dependency yielded or returned for this request."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[Any, Any]) -> None:
        self._values = values

    @overload
    def __getitem__(self, dependency: Callable[..., AsyncIterator[T]]) -> T: ...

    @overload
    def __getitem__(self, dependency: Callable[..., Iterator[T]]) -> T: ...

    @overload
    def __getitem__(self, dependency: Callable[..., Awaitable[T]]) -> T: ...

    @overload
    def __getitem__(self, dependency: Callable[..., T]) -> T: ...

    def __getitem__(self, dependency: Callable[..., Any]) -> Any:
        """What `dependency` yielded, returned or (async) returned, typed so."""
        try:
            return self._values[dependency]
        except KeyError:
            raise LookupError(
                f"{getattr(dependency, '__qualname__', dependency)} is not a "
                "dependency of the app: add Depends() of it to DEPENDENCIES in "
                "impl/dependencies.py"
            ) from None


NONE = Dependencies({})

Serve = Callable[[Dependencies, Callable[[], Awaitable[None]] | None], Awaitable[None]]
"""An operation served with the dependencies' values, and what to await
once the handler has returned, before its answer is sent."""


class AppDependencies:
    """The app's dependencies for one operation's path."""

    def __init__(
        self, path: str, depends: Sequence[params.Depends], overrides: object
    ) -> None:
        self._calls = [d.dependency for d in depends]
        subs = []
        for index, one in enumerate(depends):
            sub = get_parameterless_sub_dependant(depends=one, path=path)
            sub.name = f"_{index}"
            subs.append(sub)
        self._dependant = Dependant(path=path, dependencies=subs)
        self._overrides = overrides
        """What has `dependency_overrides` (the app)."""

    async def around(
        self, scope: Scope, receive: Receive, send: Send, serve: Serve
    ) -> None:
        """Solve them, `serve`, and leave them as FastAPI's route does
        (fastapi.routing.request_response: the request's stack, inside it
        the function's, closed before the answer is sent). Where a
        dependency swallows the error `serve` raised, the error is raised
        all the same, to be answered: FastAPI would answer 500."""
        request = Request(scope, receive, send)
        raised: list[BaseException] = []

        async def serving(
            deps: Dependencies, returned: Callable[[], Awaitable[None]] | None
        ) -> None:
            try:
                await serve(deps, returned)
            except BaseException as error:
                raised.append(error)
                raise

        async with AsyncExitStack() as request_stack:
            scope["fastapi_inner_astack"] = request_stack
            async with AsyncExitStack() as function_stack:
                scope["fastapi_function_astack"] = function_stack
                solved = await solve_dependencies(
                    request=request,
                    dependant=self._dependant,
                    dependency_overrides_provider=self._overrides,
                    async_exit_stack=request_stack,
                    embed_body_fields=False,
                )
                if solved.errors:
                    raise RequestValidationError(solved.errors)
                values = {
                    call: solved.values[f"_{index}"]
                    for index, call in enumerate(self._calls)
                    if call is not None
                }
                await serving(Dependencies(values), function_stack.aclose)
        if raised:
            raise raised[0]
