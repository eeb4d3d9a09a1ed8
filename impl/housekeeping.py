"""Background work: deleting Idempotency-Keys once they have expired."""

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
PURGE_INTERVAL_SECONDS = 600

PURGE_EXPIRED_KEYS = text("""
    DELETE FROM idempotency_keys
    WHERE created_at <= now() - make_interval(secs => :ttl)
""")


async def purge_expired_keys(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(
            PURGE_EXPIRED_KEYS, {"ttl": IDEMPOTENCY_TTL_SECONDS}
        )
    return result.rowcount


async def purge_forever(engine: AsyncEngine) -> None:
    """Purge every PURGE_INTERVAL_SECONDS; a database outage only delays it."""
    while True:
        try:
            purged = await purge_expired_keys(engine)
            if purged:
                logger.info("purged %d expired idempotency keys", purged)
        except (DBAPIError, OSError) as error:
            logger.warning("idempotency key purge failed: %s", error)
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
