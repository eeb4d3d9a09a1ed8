"""Draining before a stop, so that a load balancer stops sending first.

From the first SIGTERM on, /ready answers 503 while every request is still
served, for SHUTDOWN_DRAIN_SECONDS; only then does uvicorn's own graceful
shutdown begin (stop accepting, finish what is in flight, close idle
connections). Without the pause, a load balancer may send a request on a
keep-alive connection at the moment uvicorn closes it, and that request
fails. While it drains, every response says `Connection: close`
(`ClosingWhileDraining`), so that clients and proxies stop reusing the
connection and none is left idle for the stop to close under a request. A
second SIGTERM stops at once.
"""

import asyncio
import logging
import signal
import threading
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.draining = False
        self.stopping = asyncio.Event()
        """Set when the pause is over and the server stops: what ends the
        streams it holds, which would otherwise keep it from stopping."""

    def install(self) -> None:
        """Put the pause in front of the server's SIGTERM handler (in the
        serving process's main thread; elsewhere, as in tests that serve
        from a thread, there is no signal to wait for). Without a pause,
        SIGTERM still ends the streams first."""
        previous = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is not threading.main_thread() or not callable(
            previous
        ):
            return
        loop = asyncio.get_running_loop()

        def stop(sig: int, frame: FrameType | None) -> Any:
            if self.draining or self.seconds <= 0:
                self.draining = True
                return self._stop(loop, previous, sig, frame)
            self.draining = True
            logger.info(
                "SIGTERM: /ready answers 503 for %.1f s, then the server stops",
                self.seconds,
            )
            loop.call_later(self.seconds, self._stop, loop, previous, sig, frame)
            return None

        signal.signal(signal.SIGTERM, stop)

    def _stop(
        self,
        loop: asyncio.AbstractEventLoop,
        previous: Any,
        sig: int,
        frame: FrameType | None,
    ) -> Any:
        # From a signal handler too: only the loop's own turn may set it.
        loop.call_soon_threadsafe(self.stopping.set)
        return previous(sig, frame)


CLOSE = (b"connection", b"close")


class ClosingWhileDraining:
    """`Connection: close` on every response while the process drains."""

    def __init__(self, app: ASGIApp, *, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.drain.draining:
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), CLOSE]
            await send(message)

        await self.app(scope, receive, closing)
