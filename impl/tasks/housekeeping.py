"""Background work: deleting Idempotency-Keys once they have expired."""

import asyncio
import logging
from datetime import timedelta
from typing import TypedDict

from sqlalchemy import Interval, bindparam, delete, func

from impl import facts
from impl.db.database import (
    DRIVER_ERRORS,
    Database,
    DatabaseUnreachable,
    compile_statement,
)
from impl.db.tables import idempotency_keys

logger = logging.getLogger(__name__)

IDEMPOTENCY_TTL = facts.idempotency_key_lifetime()
PURGE_INTERVAL_SECONDS = 600

TTL = bindparam("ttl", type_=Interval)


class PurgeParams(TypedDict):
    ttl: timedelta


PURGE_EXPIRED_KEYS = compile_statement(
    delete(idempotency_keys)
    .where(idempotency_keys.c.created_at <= func.now() - TTL)
    .returning(idempotency_keys.c.key),
    PurgeParams,
    idempotent=True,
    summary="DELETE expired idempotency keys",
)


async def purge_expired_keys(database: Database) -> int:
    return len(await database.fetch(PURGE_EXPIRED_KEYS({"ttl": IDEMPOTENCY_TTL})))


async def purge_forever(database: Database) -> None:
    """Purge every PURGE_INTERVAL_SECONDS; a database outage only delays it."""
    while True:
        try:
            purged = await purge_expired_keys(database)
            if purged:
                logger.info("purged %d expired idempotency keys", purged)
        except (*DRIVER_ERRORS, DatabaseUnreachable) as error:
            logger.warning("idempotency key purge failed: %s", error)
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
