"""streamEvents: the sync feed as Server-Sent Events, woken by the broker.

A stream is a sync that never ends: it reads a page of the feed after its
token, sends it as an event `changed` (its id the page's token, so that a
client reconnecting with `Last-Event-ID` resumes there), and waits until
the broker says the user's tasks changed or a reminder fired
(impl/events.py), the token
expires, the instance stops, or KEEP_ALIVE_SECONDS pass. A stream holds no
connection and no place in its user's lane while it waits: it takes them
for each read only, as a request does.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from generated.facts import PROBLEMS
from impl.contexts import RequestContext
from impl.db.database import DRIVER_ERRORS, DatabaseUnreachable
from impl.db.turns import AtCapacity
from impl.events import Hub, Watch
from impl.problems import ProblemName
from impl.tasks.sync import feed, tokens
from runtime.streams import EventStream, comment, event, retry

KEEP_ALIVE_SECONDS = 15.0
"""The contract's: a comment this often keeps proxies from closing an idle
stream."""
RETRY_MILLISECONDS = 1000
"""How long a client waits before it reconnects after the stream ends
under it (a stopping instance, a database out of reach)."""
PAGE_LIMIT = 100
"""The entries of one event; `more` brings the next at once."""


@dataclass(frozen=True)
class Live:
    """What every stream of a worker shares."""

    hub: Hub
    stopping: asyncio.Event
    """Set when the instance stops (impl/drain.py)."""
    retention: timedelta


def _expired() -> bytes:
    problem = PROBLEMS[ProblemName.TOKEN_EXPIRED]
    return orjson.dumps(
        {
            "type": problem.type,
            "title": problem.title,
            "status": problem.status,
            "detail": "The token has expired; reconnect with a fresh one.",
        }
    )


def stream(
    ctx: RequestContext, live: Live, user_id: str, last_event_id: str | None
) -> EventStream:
    """The stream from `last_event_id` (a full sync first without one); 410
    at once for a token past retention or not the user's."""
    if last_event_id is not None:
        tokens.read(user_id, last_event_id, datetime.now(UTC), live.retention)
    # The stream outlives the request's turn: it takes a place per read.
    ctx.lane.leave()
    return EventStream(_events(ctx, live, user_id, last_event_id))


async def _events(
    ctx: RequestContext, live: Live, user_id: str, token: str | None
) -> AsyncIterator[bytes]:
    with live.hub.watching(user_id) as watch:
        sent_any = False
        while True:
            watch.woken.clear()
            while watch.reminders:
                yield event("reminder", watch.reminders.pop(0))
            try:
                await ctx.lane.enter()
                try:
                    page = await feed.page(
                        ctx.db,
                        user_id,
                        token,
                        PAGE_LIMIT,
                        datetime.now(UTC),
                        live.retention,
                    )
                finally:
                    ctx.lane.leave()
            except (
                *DRIVER_ERRORS,
                DatabaseUnreachable,
                AtCapacity,
                tokens.SyncTokenExpired,
            ):
                # The stream's answer has begun: no error can replace it. The
                # client resumes from its last event, here or elsewhere.
                yield retry(RETRY_MILLISECONDS)
                return
            token = page.token
            if page.entries or (page.full and not sent_any):
                yield event("changed", page.body, page.token)
                sent_any = True
            if page.more:
                continue
            outcome = await _wait(watch, live.stopping, ctx.expires)
            if outcome == "stopping" or watch.evicted:
                yield retry(RETRY_MILLISECONDS)
                return
            if outcome == "expired":
                yield event("expired", _expired())
                return
            if outcome == "idle":
                yield comment("keep-alive")


async def _wait(watch: Watch, stopping: asyncio.Event, expires: float) -> str:
    """What ended the wait: `woken`, `stopping`, `expired` or `idle`. The
    hub wakes every stream when the instance stops (`end_on_stop`), so one
    event and one timer serve each wait."""
    if stopping.is_set():
        return "stopping"
    left = expires - time.time()
    if left <= 0:
        return "expired"
    try:
        async with asyncio.timeout(min(KEEP_ALIVE_SECONDS, left)):
            await watch.woken.wait()
    except TimeoutError:
        return "expired" if left <= KEEP_ALIVE_SECONDS else "idle"
    return "stopping" if stopping.is_set() else "woken"


async def end_on_stop(live: Live) -> None:
    """Wake every stream once the instance stops: each ends (`retry:`)."""
    await live.stopping.wait()
    live.hub.wake_all()
