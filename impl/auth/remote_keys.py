"""A remote JWKS (Better Auth's /api/auth/jwks): fetched async, cached, rotated.

- Keys are fetched with httpx, so the event loop never blocks on the network.
- They are cached, and refetched when older than `max_age`.
- A token with an unknown `kid` triggers a refetch, at most once per
  `cooldown`: a flood of random kids costs one fetch per window, not one per
  request.
- A fetched key set replaces the old one, even when it is empty (Better Auth
  serves none once every key has outlived its grace period): a retired key
  is trusted no longer. Only when the fetch itself fails (a network error, a
  5xx, JSON that is not a JWKS) do the last good keys stay in use.
"""

import asyncio
import logging
import math
import time

import httpx
from jwt import PyJWK

from impl import metrics
from impl.auth.static_keys import find_key, parse_jwks

logger = logging.getLogger(__name__)


class RemoteJwks:
    def __init__(
        self,
        url: str,
        *,
        max_age: float = 300.0,
        cooldown: float = 10.0,
        timeout: float = 3.0,
    ) -> None:
        self.url = url
        self.max_age = max_age
        self.cooldown = cooldown
        self.timeout = timeout
        self.fetches = 0
        self._keys: list[PyJWK] = []
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._lock = asyncio.Lock()

    async def find(self, kid: str | None) -> PyJWK | None:
        if time.monotonic() - self._fetched_at > self.max_age:
            await self._refresh()
        key = find_key(self._keys, kid)
        if key is None:
            await self._refresh()
            key = find_key(self._keys, kid)
        return key

    async def _refresh(self) -> None:
        async with self._lock:
            started = time.monotonic()
            if started - self._attempted_at < self.cooldown:
                return
            self._attempted_at = started
            self.fetches += 1
            metrics.JWKS_FETCHES.inc()
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    document = response.json()
                if not isinstance(document, dict) or not isinstance(
                    document.get("keys"), list
                ):
                    raise ValueError("the answer is not a JWKS")
                keys = parse_jwks(document)
            except (httpx.HTTPError, ValueError) as error:
                metrics.JWKS_FETCH_FAILURES.inc()
                logger.warning(
                    "JWKS fetch from %s failed (%s); keeping %d known keys",
                    self.url,
                    error,
                    len(self._keys),
                )
                return
            if not keys:
                logger.warning(
                    "JWKS at %s has no usable keys: no token is trusted now", self.url
                )
            self._keys = keys
            self._fetched_at = started
