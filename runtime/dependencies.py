"""Per-request dependencies: FastAPI's dependencies with `yield`, for
handlers that take a typed context instead of `Depends` parameters.

A dependency is an async generator of the `Call`: what it yields, the
handler reads from its context by the dependency itself
(`ctx.deps[audit_trail]`, typed as the generator yields it). Its code
after `yield` runs once the response is sent; if the handler raised, the
exception is thrown in at the `yield` first, as FastAPI does, so that the
dependency can see it, and the error is answered after the teardown.
"""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

from runtime.call import Call

T = TypeVar("T")

Dependency = Callable[[Call], AsyncIterator[T]]


class Dependencies:
    """What each dependency yielded for this request."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[Any, Any]) -> None:
        self._values = values

    def __getitem__(self, dependency: Dependency[T]) -> T:
        try:
            value: T = self._values[dependency]
        except KeyError:
            raise LookupError(
                f"{dependency.__qualname__} is not a registered dependency: "
                "add it to DEPENDENCIES in impl/dependencies.py"
            ) from None
        return value


NONE = Dependencies({})


class Registered:
    """The dependencies every request enters, in order."""

    def __init__(self, dependencies: Sequence[Dependency[Any]]) -> None:
        self._entered = tuple(
            (dependency, asynccontextmanager(dependency)) for dependency in dependencies
        )

    @asynccontextmanager
    async def enter(self, call: Call) -> AsyncIterator[Dependencies]:
        """Each dependency entered in order, and left in reverse order."""
        async with AsyncExitStack() as stack:
            values = {}
            for dependency, enter in self._entered:
                values[dependency] = await stack.enter_async_context(enter(call))
            yield Dependencies(values)
