"""Idempotency-Keys: a create retried under the same key creates one task,
and answers as the first time did.

The key's record is written by the create's own statement, so a create and
its record commit together. A key is kept for the lifetime the contract
gives it (`x-lifetime-seconds`); a background task purges expired ones.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypedDict

import asyncpg
from sqlalchemy import (
    Interval,
    LargeBinary,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
)

from generated.facts import IDEMPOTENCY_KEY_LIFETIME
from impl.db.database import (
    DRIVER_ERRORS,
    Database,
    DatabaseAccess,
    DatabaseUnreachable,
)
from impl.db.statements import Record, Statement, compile_statement
from impl.problems import IdempotencyKeyInProgress
from impl.tasks.columns import CREATED, RETURNED
from impl.tasks.statements import (
    OWNER,
    CreateParams,
    answered,
    counted_user,
    new_values,
)
from impl.tasks.tables import idempotency_keys, tasks

logger = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 600
TTL = bindparam("ttl", type_=Interval)


class KeyedCreateParams(CreateParams):
    key: str
    ttl: timedelta
    request_hash: bytes


class PurgeParams(TypedDict):
    ttl: timedelta


def _create_idempotently() -> Statement[KeyedCreateParams]:
    """Either create the task and record it under the key, or find the key's
    first response: one statement.

    The first response is kept as the row itself (to_jsonb), and a replay
    reads it back into the same typed columns, so both answers are
    serialized alike. Two first requests racing with one key make the second
    fail on the key's primary key; the handler then retries once.
    """
    keys = idempotency_keys.c
    existing = (
        select(keys.request_hash, keys.response)
        .where(
            keys.user_id == OWNER,
            keys.key == bindparam("key"),
            keys.created_at > func.now() - TTL,
        )
        .cte("existing")
    )
    counted = counted_user(select(OWNER, literal(1)).where(~exists(existing.select())))
    new = new_values(CREATED)
    created = (
        insert(tasks)
        .from_select(["user_id", *new], select(counted.c.id, *new.values()))
        .returning(*RETURNED)
        .cte("created")
    )
    recorded = (
        insert(idempotency_keys)
        .from_select(
            ["user_id", "key", "task_id", "request_hash", "response"],
            select(
                created.c.user_id,
                bindparam("key"),
                created.c.id,
                bindparam("request_hash", type_=LargeBinary),
                func.to_jsonb(created.table_valued()),
            ),
        )
        .cte("recorded")
    )
    stored = (
        func.jsonb_to_record(existing.c.response)
        # The stored row's fields, by name, typed as the columns are.
        .table_valued(*(column(c.name, c.type) for c in RETURNED))
        .render_derived(with_types=True)
        .alias("stored")
    )
    answer = (
        union_all(
            select(*created.c, cast(null(), LargeBinary).label("request_hash")),
            select(
                *(stored.c[c.name] for c in RETURNED),
                existing.c.request_hash,
            ).select_from(existing.join(stored, true())),
        )
        .add_cte(recorded)
        .subquery("answer")
    )
    return compile_statement(
        select(*answered(answer.c), answer.c.request_hash),
        KeyedCreateParams,
        idempotent=True,
        operation="INSERT",
        target="task with idempotency key",
    )


CREATE_IDEMPOTENTLY = _create_idempotently()

EXPIRED = idempotency_keys.c.created_at <= func.now() - TTL


def _purge(*conditions: Any) -> Any:
    """Delete the expired keys that also meet `conditions`."""
    return (
        delete(idempotency_keys)
        .where(EXPIRED, *conditions)
        .returning(idempotency_keys.c.key)
    )


# An expired key that the periodic purge has not removed yet.
PURGE_EXPIRED_KEY = compile_statement(
    _purge(
        idempotency_keys.c.user_id == OWNER,
        idempotency_keys.c.key == bindparam("key"),
    ),
    KeyedCreateParams,
    idempotent=True,
    operation="DELETE",
    target="expired idempotency key",
)
PURGE_EXPIRED_KEYS = compile_statement(
    _purge(),
    PurgeParams,
    idempotent=True,
    operation="DELETE",
    target="expired idempotency keys",
)


async def create(db: DatabaseAccess, params: KeyedCreateParams) -> Sequence[Record]:
    """The new task, or the first response under the key (with its request's
    hash); no row when the user is at the quota."""
    try:
        return await db.fetch(CREATE_IDEMPOTENTLY(params))
    except asyncpg.UniqueViolationError:
        pass
    # The key is taken: by a twin request that has just committed, or by an
    # expired key the purge has not reached yet. Clear the latter and run
    # once more, in one transaction; the twin's answer is then found under
    # `existing`.
    try:
        async with db.transaction():
            await db.fetch(PURGE_EXPIRED_KEY(params))
            return await db.fetch(CREATE_IDEMPOTENTLY(params))
    except asyncpg.UniqueViolationError:
        raise IdempotencyKeyInProgress from None


async def purge_expired_keys(database: Database) -> int:
    return len(
        await database.fetch(PURGE_EXPIRED_KEYS({"ttl": IDEMPOTENCY_KEY_LIFETIME}))
    )


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
