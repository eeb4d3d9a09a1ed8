"""Live events across a fleet: which users' tasks changed, told to every
worker of every instance through a real broker.

A notification says only "user U changed" (`CHANNEL`, the user's id as its
payload), or carries a reminder that fired (a JSON object: the user, and
the event's data; impl/tasks/reminders.py). The worker that served a write
publishes it once the write has committed (impl/contexts.py); every
worker's listener wakes the streams it
holds for that user (`Hub`), and each stream reads what changed from the
sync feed (impl/tasks/sync/live.py). So a lost notification delays an
event but never loses one: the next one, or a reconnect, reads everything
since the stream's last token.

The broker is PostgreSQL's LISTEN/NOTIFY by default, on a connection of
its own per worker (DATABASE_DIRECT_URL, else DATABASE_URL: a transaction
pooler such as PgBouncer cannot hold a LISTEN), or Redis pub/sub when
REDIS_URL is set. Publishing never waits on the broker: the users written
while the event loop turns are sent in one batch. While the broker is
unreachable, the listener retries every second and, once back, wakes every
stream, since notifications may have been lost meanwhile.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from impl.db.pool import connect_direct
from impl.settings import Settings

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError)
"""What a broker that is out of reach raises."""

CHANNEL = "task_changes"
NOTIFY = "SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message"
RECONNECT_SECONDS = 1.0
FLUSH_SECONDS = 0.05
"""How long the writes of a worker gather before they are published
together: one NOTIFY (or pipeline) for them all, and each user once, for a
twentieth of a second of an event's latency."""
PING_SECONDS = 30.0
"""How often the LISTEN connection is checked, and how long it may take to
answer."""


MAX_STREAMS_PER_USER = 16
"""The streams one user may hold open in a worker: a further one ends the
oldest (a tab long closed, most likely), so that no user's streams grow
without bound."""


class Watch:
    """One stream's view of the hub: woken whenever its user's tasks may
    have changed, the reminders that fired since it last looked, and
    whether a newer stream of the user has taken its place."""

    __slots__ = ("evicted", "reminders", "woken")

    def __init__(self) -> None:
        self.woken = asyncio.Event()
        self.reminders: list[bytes] = []
        self.evicted = False


class Hub:
    """The streams this worker holds, by user, and what wakes them."""

    def __init__(self) -> None:
        self._streams: dict[str, dict[Watch, None]] = {}
        """Each user's watches, oldest first."""

    @contextmanager
    def watching(self, user_id: str) -> Iterator[Watch]:
        watch = Watch()
        streams = self._streams.setdefault(user_id, {})
        if len(streams) >= MAX_STREAMS_PER_USER:
            oldest = next(iter(streams))
            del streams[oldest]
            oldest.evicted = True
            oldest.woken.set()
        streams[watch] = None
        try:
            yield watch
        finally:
            streams = self._streams.get(user_id, {})
            streams.pop(watch, None)
            if not streams:
                self._streams.pop(user_id, None)

    def wake(self, user_id: str) -> None:
        for watch in self._streams.get(user_id, ()):
            watch.woken.set()

    def remind(self, user_id: str, reminder: bytes) -> None:
        for watch in self._streams.get(user_id, ()):
            watch.reminders.append(reminder)
            watch.woken.set()

    def wake_all(self) -> None:
        for streams in self._streams.values():
            for watch in streams:
                watch.woken.set()

    def notified(self, payload: str) -> None:
        """A broker's message: a user's id, or a reminder (module doc)."""
        if not payload.startswith("{"):
            self.wake(payload)
            return
        message = orjson.loads(payload)
        self.remind(message["user"], orjson.dumps(message["reminder"]))

    @property
    def streams(self) -> int:
        return sum(len(streams) for streams in self._streams.values())


class Broker(Protocol):
    async def listen(self, hub: Hub) -> None:
        """Wake `hub`'s streams for each notification, until cancelled."""

    async def publish(self, messages: list[str]) -> None:
        """Send every listener these messages."""


class PostgresBroker:
    """LISTEN/NOTIFY on one connection of the worker's own."""

    def __init__(self, connect: Any) -> None:
        self._connect = connect
        self._connection: asyncpg.Connection | None = None
        self._using = asyncio.Lock()
        """One statement at a time on the connection: a publish, a ping."""

    async def listen(self, hub: Hub) -> None:
        def notified(_: object, __: int, ___: str, payload: str) -> None:
            hub.notified(payload)

        while True:
            lost = asyncio.Event()
            try:
                connection = await self._connect()
                connection.add_termination_listener(lambda _, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, notified)
            except BROKER_ERRORS as error:
                logger.warning("events: cannot LISTEN (%s); retrying", error)
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            self._connection = connection
            hub.wake_all()
            try:
                await self._until_lost(connection, lost)
            finally:
                self._connection = None
                if not connection.is_closed():
                    await connection.close()
            logger.warning("events: the LISTEN connection was lost; reconnecting")

    async def _until_lost(
        self, connection: asyncpg.Connection, lost: asyncio.Event
    ) -> None:
        """Until the connection closes, or stops answering a ping: a peer
        gone without closing it (a network cut) shows no other way."""
        while True:
            try:
                await asyncio.wait_for(lost.wait(), PING_SECONDS)
                return
            except TimeoutError:
                pass
            try:
                async with self._using:
                    await asyncio.wait_for(connection.execute("SELECT 1"), PING_SECONDS)
            except (*BROKER_ERRORS, TimeoutError):
                return

    async def publish(self, messages: list[str]) -> None:
        connection = self._connection
        if connection is None:
            return
        async with self._using:
            await connection.execute(NOTIFY, CHANNEL, messages)


class RedisBroker:
    """Redis pub/sub, for a fleet whose database URL is a transaction pooler."""

    def __init__(self, url: str) -> None:
        # The subscription waits as long as nothing is published; a health
        # check every 30 s finds a dead connection all the same.
        self._redis = Redis.from_url(
            url, socket_connect_timeout=1.0, health_check_interval=30
        )

    async def listen(self, hub: Hub) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    hub.wake_all()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            hub.notified(message["data"].decode())
            except BROKER_ERRORS as error:
                logger.warning("events: Redis subscription lost (%s); retrying", error)
                await asyncio.sleep(RECONNECT_SECONDS)

    async def publish(self, messages: list[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.publish(CHANNEL, message)
            await pipe.execute()


@dataclass(frozen=True)
class EventsConfig:
    settings: Settings

    @classmethod
    def of(cls, settings: Settings) -> "EventsConfig":
        return cls(settings)


class Events:
    """The plugin: this worker's hub, its broker, and the batch of users
    written since the last publish."""

    def __init__(self, config: EventsConfig) -> None:
        self.config = config
        self.hub = Hub()
        self._broker: Broker | None = None
        self._pending: dict[str, None] = {}
        """The messages to publish, in order, each once."""
        self._flushing: asyncio.Task[None] | None = None

    def changed(self, user_id: str) -> None:
        """A write of `user_id`'s tasks committed: publish it soon."""
        self._publish(user_id)

    def reminded(self, user_id: str, reminder: dict[str, Any]) -> None:
        """A reminder of `user_id`'s fired: every stream of the user gets it."""
        self._publish(orjson.dumps({"user": user_id, "reminder": reminder}).decode())

    def _publish(self, message: str) -> None:
        if self._broker is None:
            return
        self._pending[message] = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self._pending and self._broker is not None:
            await asyncio.sleep(FLUSH_SECONDS)
            messages, self._pending = list(self._pending), {}
            try:
                await self._broker.publish(messages)
            except BROKER_ERRORS as error:
                logger.warning("events: publish failed (%s)", error)

    async def run(self, database_url: str) -> None:
        """Listen until cancelled: through Redis with REDIS_URL, else on a
        connection to DATABASE_DIRECT_URL, or `database_url`."""
        settings = self.config.settings
        if settings.redis_url:
            self._broker = RedisBroker(settings.redis_url)
        else:
            url = settings.database_direct_url or database_url
            self._broker = PostgresBroker(lambda: connect_direct(settings, url))
        try:
            await self._broker.listen(self.hub)
        finally:
            self._broker = None
