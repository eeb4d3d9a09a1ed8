"""Each request observed once: how it ended (the status the client got, or
500 when it failed before any) and how long it took, handed to the
observers the app's plugins give (the access line, the request's duration
in the metrics, its span, the contract's lenient check).

One pure-ASGI piece for them all, rather than a piece each: every piece
that reads the status wraps `send`, and a wrapper costs each request about
as much as the observer's own work (README, "What each seam costs").
Observers start in order and end in reverse, as middleware nest: the span
is current while the others end, so the access line carries its ids.
"""

import time
from collections.abc import Sequence
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Observer(Protocol):
    def started(self, scope: Scope) -> Any:
        """Called as the request starts; what it returns, `ended` gets."""

    def ended(self, scope: Scope, status: int, seconds: float, started: Any) -> None:
        """Called once the response is sent, or the request failed."""


class Observed:
    def __init__(self, app: ASGIApp, *, observers: Sequence[Observer]) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.observers:
            await self.app(scope, receive, send)
            return
        begun = [observer.started(scope) for observer in self.observers]
        started = time.perf_counter()
        status = 500

        async def seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            seconds = time.perf_counter() - started
            for observer, token in zip(
                reversed(self.observers), reversed(begun), strict=True
            ):
                observer.ended(scope, status, seconds, token)
