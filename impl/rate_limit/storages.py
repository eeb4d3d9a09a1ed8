"""Where the rate limit's counts live: limits' storages, made cheaper for
how the service counts (impl/rate_limit/__init__.py).

`PipelinedRedisStorage` shares Redis among every worker and instance, one
pipeline per turn of the event loop; `LocalStorage` counts in the worker's
own memory.
"""

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any, cast

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

Window = tuple[int, float, int, float]
"""A sliding window as limits' storages read it: the previous window's
count and its seconds left, the current one's count and its seconds left."""


@dataclass
class _Hit:
    keys: list[str]
    args: list[int]
    acquired: "asyncio.Future[bool]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    window: Window = (0, 0.0, 0, 0.0)
    """The window as it stands after the hit, read in the same pipeline."""


class PipelinedRedisStorage(RedisStorage):
    """limits' Redis storage (redis-py), whose sliding-window hits made in
    one turn of the event loop share one pipeline: one write and one read
    for all of them, not one each. Each hit reads its window after it in
    the same pipeline, for the RateLimit field of the request that made it
    (`get_sliding_window` right after the hit), so that the field costs no
    round trip of its own."""

    def __init__(self, uri: str, **options: float | str | bool | Retry) -> None:
        super().__init__(uri, wrap_exceptions=True, implementation="redispy", **options)  # type: ignore[arg-type]
        # implementation="redispy" made it a RedispyBridge; limits types it as
        # any bridge.
        self.redispy = cast(RedispyBridge, self.bridge)
        self.pending: list[_Hit] = []
        self.sending: set[asyncio.Task[None]] = set()
        self.read: dict[str, Window] = {}
        """Each key's window as its last hit left it, until it is asked for."""

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        prefixed = self.bridge.prefixed_key
        hit = _Hit(
            [
                prefixed(self._previous_window_key(key)),
                prefixed(self._current_window_key(key)),
            ],
            [limit, expiry, amount],
        )
        if not self.pending:
            asyncio.get_running_loop().call_soon(self._send_pending)
        self.pending.append(hit)
        acquired = await hit.acquired
        self.read[key] = hit.window
        return acquired

    async def get_sliding_window(
        self, key: str, expiry: int
    ) -> tuple[int, float, int, float]:
        window = self.read.pop(key, None)
        if window is None:
            return await super().get_sliding_window(key, expiry)
        return window

    def _send_pending(self) -> None:
        batch, self.pending = self.pending, []
        task = asyncio.create_task(self._send(batch))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send(self, batch: list[_Hit]) -> None:
        try:
            replies = await self._evaluate(batch)
            if any(isinstance(reply, NoScriptError) for reply in replies):
                # Redis restarted, or flushed its scripts: load limits' once more.
                for script in self._scripts():
                    await self._client().script_load(script.script)
                replies = await self._evaluate(batch)
        except self.base_exceptions as error:
            for hit in batch:
                hit.acquired.set_exception(StorageError(error))
            return
        for hit, acquired, window in zip(
            batch, replies[::2], replies[1::2], strict=True
        ):
            if isinstance(acquired, Exception) or isinstance(window, Exception):
                hit.acquired.set_exception(StorageError(acquired))
            else:
                # As limits' RedispyBridge.get_sliding_window reads the reply.
                hit.window = (
                    int(window[0] or 0),
                    max(0, float(window[1] or 0)) / 1000,
                    int(window[2] or 0),
                    max(0, float(window[3] or 0)) / 1000,
                )
                hit.acquired.set_result(bool(acquired))

    async def _evaluate(self, batch: list[_Hit]) -> list[Any]:
        """limits' scripts for each hit, the hit and then the read of its
        window, by their digests, in one pipeline: no SCRIPT EXISTS first,
        as redis-py's script objects would send."""
        pipeline = self._client().pipeline(transaction=False)
        acquire, read = (script.sha for script in self._scripts())
        for hit in batch:
            _, expiry, _ = hit.args
            pipeline.evalsha(acquire, len(hit.keys), *hit.keys, *hit.args)
            pipeline.evalsha(read, len(hit.keys), *hit.keys, expiry)
        return await pipeline.execute(raise_on_error=False)

    def _client(self) -> Redis:
        return cast(Redis, self.redispy.get_connection())

    def _scripts(self) -> tuple[AsyncScript, AsyncScript]:
        # AsyncScripts, which limits types as redis-py's synchronous Script.
        return (
            cast(AsyncScript, self.redispy.lua_acquire_sliding_window),
            cast(AsyncScript, self.redispy.lua_sliding_window),
        )


WindowId = tuple[int, int]
"""A window of a limit: its length in seconds, and its index since the epoch."""


class LocalStorage(MemoryStorage):
    """limits' in-process storage, with the two calls of the sliding window
    counter made of plain dict operations, and the same arithmetic.

    limits' own starts a task at nearly every hit that sweeps every key,
    under a lock of each, so a hit cost O(users) and was a tenth of a
    request. Here each window's counts live in a dict of their own, dropped
    whole once the window is past every count that still weighs.
    """

    def __init__(self) -> None:
        super().__init__()
        self.windows: dict[WindowId, dict[str, int]] = {}

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        now = time.time()
        index = int(now // expiry)
        current = self._current(expiry, index)
        previous = self.windows.get((expiry, index - 1), {}).get(key, 0)
        count = current.get(key, 0)
        # The previous window counts for as much of it as the moving window
        # still covers, as limits weighs it.
        weighted = previous * (1 - (now / expiry) % 1) + count
        if amount > limit or math.floor(weighted) + amount > limit:
            return False
        current[key] = count + amount
        return True

    async def get_sliding_window(
        self, key: str, expiry: int
    ) -> tuple[int, float, int, float]:
        """(previous count, its time left, current count, its time left), as
        limits' storages answer it for the refused request's Retry-After."""
        now = time.time()
        index = int(now // expiry)
        previous = self.windows.get((expiry, index - 1), {}).get(key, 0)
        current = self.windows.get((expiry, index), {}).get(key, 0)
        left = (1 - (now / expiry) % 1) * expiry
        return previous, left if previous else 0.0, current, left + expiry

    def _current(self, expiry: int, index: int) -> dict[str, int]:
        found = self.windows.get((expiry, index))
        if found is None:
            stale = [w for w in self.windows if w[0] == expiry and w[1] < index - 1]
            for window in stale:
                del self.windows[window]
            found = self.windows[expiry, index] = {}
        return found
