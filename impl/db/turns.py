"""Who goes next: statements take the pool's connections in the order they
come, and one user's requests take at most a share of a worker.

Both waits are one account: a request waiting for its user's lane or a
statement for a turn at the pool counts toward DB_MAX_WAITING (one more is
refused at once, AtCapacity, 503) and waits at most DB_POOL_TIMEOUT
(TimeoutError, 503).
"""

import asyncio


class AtCapacity(Exception):
    """DB_MAX_WAITING requests already wait for a connection."""


class Waiting:
    """The statements waiting, bounded in number and in time."""

    def __init__(self, most: int, seconds: float) -> None:
        self._most = most
        self._seconds = seconds
        self._count = 0

    async def wait_for(self, semaphore: asyncio.Semaphore) -> None:
        """Take a place of `semaphore`, first come first served (an
        asyncio.Semaphore is: asyncpg's pool lets a newcomer take a
        connection an older waiter was woken for)."""
        if self._count >= self._most:
            raise AtCapacity
        self._count += 1
        try:
            async with asyncio.timeout(self._seconds):
                await semaphore.acquire()
        finally:
            self._count -= 1


class Lanes:
    """At most `width` of one user's requests run at once in a worker; that
    user's others wait, in order, while every other user's go ahead. A
    request runs one statement or transaction at a time, so the user holds
    at most `width` of the pool's connections too.

    A request takes its lane once authenticated and counted, before its
    body is read (impl/contexts.py). Without lanes, one user's burst
    (twenty completions at once) took every connection of the pool, and
    opened fresh server connections whose first statements cost PostgreSQL
    milliseconds of catalog lookups each: another user's read then waited
    80 to 200 ms (tests/test_fairness.py). With lanes around statements
    only, the burst's bodies, checks and recurrence rules all ran before
    any of them reached the pool, and that read still waited 10 to 55 ms
    for the event loop."""

    def __init__(self, width: int, waiting: Waiting) -> None:
        self._width = width
        self._waiting = waiting
        self._users: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}
        """Each user with a statement in or waiting: its lane, and how many."""

    async def enter(self, user: str) -> None:
        entry = self._users.get(user)
        if entry is None:
            entry = self._users[user] = (asyncio.Semaphore(self._width), [0])
        lane, using = entry
        using[0] += 1
        try:
            if lane.locked():
                await self._waiting.wait_for(lane)
            else:
                await lane.acquire()
        except BaseException:
            self._left(user, using)
            raise

    def leave(self, user: str) -> None:
        lane, using = self._users[user]
        lane.release()
        self._left(user, using)

    def _left(self, user: str, using: list[int]) -> None:
        using[0] -= 1
        if not using[0]:
            del self._users[user]
