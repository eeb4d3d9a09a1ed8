"""One request to an operation, read straight from the ASGI scope."""

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from runtime.dependencies import NONE, Dependencies

if TYPE_CHECKING:
    from runtime.operations import Operation


class Call:
    """One request to an operation.

    A header is decoded only when it is read (`header`), from the raw ones
    by lowercase name that the app already holds (the last of a repeated
    one wins); the query string is parsed only when an operation reads it,
    and the body only when the operation takes one.
    """

    __slots__ = (
        "_pairs",
        "_query",
        "deps",
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
        self.deps: Dependencies = NONE
        """What the app's dependencies yielded (runtime/dependencies.py)."""
        self._query: dict[str, str] | None = None
        self._pairs: list[tuple[str, str]] | None = None

    def header(self, name: bytes) -> str | None:
        """A header's value, by its lowercase name (`b"authorization"`)."""
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def query(self) -> Mapping[str, str]:
        """The query parameters; the last of a repeated one wins, as
        Starlette's `QueryParams.get` has it."""
        if self._query is None:
            self._query = dict(self._query_pairs())
        return self._query

    def query_list(self, key: str) -> list[str]:
        """Every value of a repeated query parameter, in order."""
        return [value for name, value in self._query_pairs() if name == key]

    def query_names(self) -> Counter[str]:
        """How many times each query parameter is given."""
        return Counter(name for name, _ in self._query_pairs())

    def _query_pairs(self) -> list[tuple[str, str]]:
        if self._pairs is None:
            raw = self.scope.get("query_string", b"").decode("latin-1")
            self._pairs = parse_qsl(raw, keep_blank_values=True)
        return self._pairs

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
