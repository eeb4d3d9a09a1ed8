"""Server-Sent Events: what the handler of a `text/event-stream` operation
returns (`EventStream`), how each event is framed, and how the route sends
the stream."""

import asyncio
from collections.abc import AsyncIterator

from starlette.types import Receive, Send


class EventStream:
    """A stream's events as they come, each framed already (`event`,
    `comment`, `retry`) and sent as soon as it is yielded. The stream ends
    when the iterator does; when the client goes away first, the iterator
    is closed at the point where it waits."""

    __slots__ = ("events",)

    def __init__(self, events: AsyncIterator[bytes]) -> None:
        self.events = events


def event(name: str, data: bytes, event_id: str | None = None) -> bytes:
    """One event: its name, its id (what `Last-Event-ID` sends back on a
    reconnect) and its data, one line (JSON as orjson writes it)."""
    if b"\n" in data or b"\r" in data:
        raise ValueError("an event's data is sent as one line")
    head = (
        f"event: {name}\n" if event_id is None else f"event: {name}\nid: {event_id}\n"
    )
    return head.encode() + b"data: " + data + b"\n\n"


def comment(text: str) -> bytes:
    """A line every client ignores: what keeps an idle stream open."""
    return f": {text}\n\n".encode()


def retry(milliseconds: int) -> bytes:
    """How long a client waits before it reconnects."""
    return f"retry: {milliseconds}\n\n".encode()


async def _gone(receive: Receive) -> None:
    """Returns when the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_stream(
    stream: EventStream, media_type: str, receive: Receive, send: Send
) -> None:
    """Send the stream's events as they come, until it ends or the client
    goes away. No proxy on the way may buffer them (`X-Accel-Buffering`)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", media_type.encode("latin-1")),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
            ],
        }
    )
    gone = asyncio.ensure_future(_gone(receive))
    events = stream.events
    try:
        while True:
            following = asyncio.ensure_future(anext(events))
            await asyncio.wait((following, gone), return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                following.cancel()
                await asyncio.gather(following, return_exceptions=True)
                return
            try:
                chunk = following.result()
            except StopAsyncIteration:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
