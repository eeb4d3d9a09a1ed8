"""A remote JWKS (Better Auth's /api/auth/jwks): fetched async, cached, rotated.

- Keys are fetched with httpx, so the event loop never blocks on the network.
- They are cached, and refetched when older than `max_age`.
- A token with an unknown `kid` triggers a refetch, at most once per
  `cooldown`: a flood of random kids costs one fetch per window, not one per
  request.
- When a fetch fails the last good keys stay in use.
"""

import asyncio
import logging
import math
import time

import httpx
from jwt import PyJWK

from impl.keys import find_key, parse_jwks

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
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    keys = parse_jwks(response.json())
            except (httpx.HTTPError, ValueError) as error:
                logger.warning(
                    "JWKS fetch from %s failed (%s); keeping %d known keys",
                    self.url,
                    error,
                    len(self._keys),
                )
                return
            if not keys:
                logger.warning(
                    "JWKS at %s has no usable keys; keeping the old", self.url
                )
                return
            self._keys = keys
            self._fetched_at = started
