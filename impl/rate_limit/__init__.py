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

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl import metrics
from impl.problems import Problem, ProblemName
from impl.rate_limit.storages import LocalStorage, PipelinedRedisStorage
from impl.settings import Settings
from runtime.fields import Field, append_fields

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


def policies(items: list[RateLimitItem]) -> str:
    """The RateLimit-Policy field: every limit, its quota and window."""
    return ", ".join(
        f'"{policy_name(i)}";q={i.amount};w={i.get_expiry()}' for i in items
    )


def standing(item: RateLimitItem, remaining: int, reset_in: int) -> str:
    """The RateLimit field: one limit, what is left of it, and when more."""
    return f'"{policy_name(item)}";r={remaining};t={reset_in}'


class RateLimited(Problem):
    def __init__(
        self, item: RateLimitItem, items: list[RateLimitItem], retry_in: int
    ) -> None:
        super().__init__(
            ProblemName.RATE_LIMITED,
            f"Rate limit {item} used up; retry in {retry_in} seconds.",
            {
                "Retry-After": str(retry_in),
                "RateLimit": standing(item, 0, retry_in),
                "RateLimit-Policy": policies(items),
            },
        )


Fields = list[Field]
"""Response header fields, as ASGI has them."""

FIELDS_STATE = "rate_limit_fields"
"""Where in the request's state (`scope["state"]`, Starlette's
`request.state`) the limiter leaves the fields of a counted request."""


class RateLimitFields:
    """Every answer to a counted request carries where its caller stands:
    the RateLimit and RateLimit-Policy fields the limiter left in the
    request's state, whatever answered it (a handler, a problem, an app's
    own exception handler). A client sees its budget before a 429."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                fields = scope.get("state", {}).get(FIELDS_STATE)
                if fields:
                    append_fields(message, fields)
            await send(message)

        await self.app(scope, receive, counted)


class Limiter(Protocol):
    async def check(self, user_id: str) -> Fields:
        """Count one request of the user's; RateLimited when it is one too
        many, otherwise the fields that say where the user stands (none
        while the counters cannot be read)."""


class Unlimited:
    async def check(self, user_id: str) -> Fields:
        return []


class RateLimiter:
    def __init__(self, items: list[RateLimitItem], storage: Storage) -> None:
        self.items = items
        self.policy = policies(items).encode()
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        self.skip_until = 0.0
        self.warned_at = -math.inf
        self.failing = False

    async def check(self, user_id: str) -> Fields:
        now = time.monotonic()
        if now < self.skip_until:
            return []
        nearest: tuple[int, int, RateLimitItem] | None = None
        try:
            for item in self.items:
                acquired = await self.strategy.hit(item, user_id)
                stats = await self.strategy.get_window_stats(item, user_id)
                reset_in = max(1, math.ceil(stats.reset_time - time.time()))
                if not acquired:
                    metrics.RATE_LIMIT_REFUSALS.inc()
                    raise RateLimited(item, self.items, reset_in)
                if nearest is None or stats.remaining < nearest[0]:
                    nearest = (stats.remaining, reset_in, item)
        except StorageError as error:
            self._failed(now, error.storage_error)
            return []
        if self.failing:
            self.failing = False
            logger.warning("rate limit storage is back: limiting again")
        assert nearest is not None  # parse_many found at least one limit
        remaining, reset_in, item = nearest
        return [
            (b"ratelimit", standing(item, remaining, reset_in).encode()),
            (b"ratelimit-policy", self.policy),
        ]

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
