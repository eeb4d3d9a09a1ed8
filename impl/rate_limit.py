"""Per-user rate limits: RATE_LIMIT, counted per worker or, with REDIS_URL,
in Redis, shared by every worker and instance.

The `limits` library counts, with its sliding window counter: two counters
per user and limit, the previous window's weighted by how much of it the
moving window still covers. It costs O(1) per request whatever the limit
(a moving window keeps one entry per request), and lets at most a request
or two past the limit where the windows meet. A refused request gets 429
with Retry-After and the RateLimit and RateLimit-Policy fields of
draft-ietf-httpapi-ratelimit-headers.

Redis is a guard, not a dependency: when it fails, requests pass unlimited
(fail open) rather than fail. Its client never retries and gives up on a
connection or a reply within REDIS_TIMEOUT_SECONDS; after a failure, Redis
is left alone for RETRY_AFTER_FAILURE_SECONDS, so no request waits on a
dead Redis, then tried again by the next request, so limiting resumes by
itself. The outage is logged once per WARN_INTERVAL_SECONDS, and the
recovery once.

A round trip to Redis costs a Python client more CPU than the rest of a
request's limiting: the hits that arrive while the event loop runs one batch
of callbacks go to Redis as one pipeline (PipelinedRedisStorage), each
still limits' own script on the user's own keys, so the count stays exact.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from impl import metrics
from impl.problems import Problem, ProblemName
from impl.settings import Settings

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.25
RETRY_AFTER_FAILURE_SECONDS = 1.0
WARN_INTERVAL_SECONDS = 60.0


def policy_name(item: RateLimitItem) -> str:
    """`600-per-minute`, `10-per-5-seconds`: a limit's name in the fields."""
    window = item.GRANULARITY.name
    if item.multiples == 1:
        return f"{item.amount}-per-{window}"
    return f"{item.amount}-per-{item.multiples}-{window}s"


class RateLimited(Problem):
    def __init__(
        self, item: RateLimitItem, items: list[RateLimitItem], retry_in: int
    ) -> None:
        policies = ", ".join(
            f'"{policy_name(i)}";q={i.amount};w={i.get_expiry()}' for i in items
        )
        super().__init__(
            ProblemName.RATE_LIMITED,
            f"Rate limit {item} used up; retry in {retry_in} seconds.",
            {
                "Retry-After": str(retry_in),
                "RateLimit": f'"{policy_name(item)}";r=0;t={retry_in}',
                "RateLimit-Policy": policies,
            },
        )


@dataclass
class _Hit:
    keys: list[str]
    args: list[int]
    acquired: "asyncio.Future[bool]" = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class PipelinedRedisStorage(RedisStorage):
    """limits' Redis storage (redis-py), whose sliding-window hits made in
    one turn of the event loop share one pipeline: one write and one read
    for all of them, not one each."""

    def __init__(self, uri: str, **options: float | str | bool | Retry) -> None:
        super().__init__(uri, wrap_exceptions=True, implementation="redispy", **options)  # type: ignore[arg-type]
        # implementation="redispy" made it a RedispyBridge; limits types it as
        # any bridge.
        self.redispy = cast(RedispyBridge, self.bridge)
        self.pending: list[_Hit] = []
        self.sending: set[asyncio.Task[None]] = set()

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
        return await hit.acquired

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
                await self._client().script_load(self._script().script)
                replies = await self._evaluate(batch)
        except self.base_exceptions as error:
            for hit in batch:
                hit.acquired.set_exception(StorageError(error))
            return
        for hit, reply in zip(batch, replies, strict=True):
            if isinstance(reply, Exception):
                hit.acquired.set_exception(StorageError(reply))
            else:
                hit.acquired.set_result(bool(reply))

    async def _evaluate(self, batch: list[_Hit]) -> list[Any]:
        """limits' script for each hit, by its digest, in one pipeline: no
        SCRIPT EXISTS first, as redis-py's script objects would send."""
        pipeline = self._client().pipeline(transaction=False)
        sha = self._script().sha
        for hit in batch:
            pipeline.evalsha(sha, len(hit.keys), *hit.keys, *hit.args)
        return await pipeline.execute(raise_on_error=False)

    def _client(self) -> Redis:
        return cast(Redis, self.redispy.get_connection())

    def _script(self) -> AsyncScript:
        # An AsyncScript, which limits types as redis-py's synchronous Script.
        return cast(AsyncScript, self.redispy.lua_acquire_sliding_window)


Window = tuple[int, int]
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
        self.windows: dict[Window, dict[str, int]] = {}

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


class Limiter(Protocol):
    async def check(self, user_id: str) -> None:
        """Count one request of the user's; RateLimited when it is one too many."""


class Unlimited:
    async def check(self, user_id: str) -> None:
        return None


class RateLimiter:
    def __init__(self, items: list[RateLimitItem], storage: Storage) -> None:
        self.items = items
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        self.skip_until = 0.0
        self.warned_at = -math.inf
        self.failing = False

    async def check(self, user_id: str) -> None:
        now = time.monotonic()
        if now < self.skip_until:
            return
        try:
            for item in self.items:
                if not await self.strategy.hit(item, user_id):
                    stats = await self.strategy.get_window_stats(item, user_id)
                    retry_in = max(1, math.ceil(stats.reset_time - time.time()))
                    metrics.RATE_LIMIT_REFUSALS.inc()
                    raise RateLimited(item, self.items, retry_in)
        except StorageError as error:
            self._failed(now, error.storage_error)
            return
        if self.failing:
            self.failing = False
            logger.warning("rate limit storage is back: limiting again")

    def _failed(self, now: float, error: Exception) -> None:
        self.skip_until = now + RETRY_AFTER_FAILURE_SECONDS
        self.failing = True
        if now - self.warned_at >= WARN_INTERVAL_SECONDS:
            self.warned_at = now
            logger.warning(
                "rate limit storage unavailable (%r): requests pass unlimited until"
                " it answers again (this warning repeats at most every %.0f s)",
                error,
                WARN_INTERVAL_SECONDS,
            )


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    rate: str
    """RATE_LIMIT: limits' notation (`600/minute`), or `off`."""
    redis_url: str
    """REDIS_URL: the counters every instance shares; empty: this worker's."""

    @classmethod
    def of(cls, settings: Settings) -> "RateLimitConfig":
        return cls(settings.rate_limit, settings.redis_url)


def build_limiter(config: RateLimitConfig) -> Limiter:
    """The rate limit, as the request context counts each caller against it
    once authenticated (impl/contexts.py)."""
    if config.rate.lower() == "off":
        return Unlimited()
    items = parse_many(config.rate)
    storage: Storage
    if config.redis_url:
        storage = PipelinedRedisStorage(
            f"async+{config.redis_url}",
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), retries=0),
        )
    else:
        storage = LocalStorage()
    return RateLimiter(items, storage)
