"""Reminders: a task's `remind_at` fires once, across a fleet.

One worker of the whole fleet checks: the one whose connection holds the
advisory lock CHECKER_LOCK. The others wait for it in PostgreSQL
(`pg_advisory_lock` blocks, at no cost), so when the checker's process
ends, its connection closes and another worker takes over at once. The
lock needs a session of its own: DATABASE_DIRECT_URL behind a transaction
pooler, as the events' LISTEN does.

Every CHECK_SECONDS the checker claims what is due in one statement
(`CLAIM`): the armed reminders whose time has passed, locked FOR UPDATE
SKIP LOCKED, marked `reminded_at` with a new version, returned. The row
lock and the check of `reminded_at IS NULL` under it make each fire once,
even with two checkers at once (a lock taken over while a claim runs). A
reminder that fell due while nothing ran fires at the first check. When
nothing is due, a check is one probe of the index of armed reminders, once
a second for the fleet. Each one fired is published through the broker to
every stream of its user (impl/events.py), and its task, changed, reaches
the sync feed as any write does.
"""

import asyncio
import logging
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import and_, bindparam, func, select, update

from impl.db import codecs
from impl.db.pool import connect_direct
from impl.db.statements import Statement, compile_statement
from impl.events import BROKER_ERRORS, Events
from impl.settings import Settings
from impl.tasks.tables import tasks

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
"""How often the checker claims what is due: a reminder fires at most this
long after its time, and the claim's work."""
CHECKER_LOCK = 7_204_520
"""The advisory lock the fleet's one checker holds (next to the schema's,
impl/db/migrate.py)."""
BATCH = 500
"""The most reminders one claim fires; more are claimed at once after it."""


class ClaimParams(TypedDict):
    batch: int


def _claim() -> Statement[ClaimParams]:
    due = (
        select(tasks.c.user_id, tasks.c.id)
        .where(
            tasks.c.reminded_at.is_(None),
            tasks.c.remind_at.is_not(None),
            tasks.c.remind_at <= func.now(),
        )
        .order_by(tasks.c.remind_at)
        .limit(bindparam("batch"))
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    return compile_statement(
        update(tasks)
        .where(and_(tasks.c.user_id == due.c.user_id, tasks.c.id == due.c.id))
        .values(reminded_at=func.now(), version=tasks.c.version + 1)
        .returning(tasks.c.user_id, tasks.c.id, tasks.c.title, tasks.c.remind_at),
        ClaimParams,
        idempotent=False,
        operation="UPDATE",
        target="due reminders",
    )


CLAIM = _claim()


def offset_remind_at(
    remind_at: datetime | None,
    falls_due: datetime | None,
    next_falls_due: datetime | None,
) -> datetime | None:
    """A next occurrence's reminder: as long before its due as the task's
    was before its own; none when the task had none."""
    if remind_at is None or falls_due is None or next_falls_due is None:
        return None
    try:
        return next_falls_due - (falls_due - remind_at)
    except OverflowError:
        return None


async def _check(connection: Any, events: Events, claim_seconds: float) -> None:
    """Hold the checker's lock (waiting for it as long as it takes), then
    claim what is due, for as long as the connection lasts; a claim that
    takes longer than `claim_seconds` gives the connection up."""
    await connection.execute("SELECT pg_advisory_lock($1)", CHECKER_LOCK)
    logger.info("reminders: this worker checks for the fleet")
    while True:
        rows = await connection.fetch(
            CLAIM.sql, *CLAIM.arguments({"batch": BATCH}), timeout=claim_seconds
        )
        for row in rows:
            reminder = {
                "id": row["id"],
                "title": row["title"],
                "remind_at": row["remind_at"],
            }
            events.reminded(row["user_id"], reminder)
            events.changed(row["user_id"])
        if len(rows) < BATCH:
            await asyncio.sleep(CHECK_SECONDS)


async def fire_forever(settings: Settings, database_url: str, events: Events) -> None:
    """Check for the fleet whenever this worker holds the lock; a database
    out of reach only delays reminders."""
    url = settings.database_direct_url or database_url
    while True:
        try:
            connection = await connect_direct(settings, url)
        except BROKER_ERRORS as error:
            logger.warning("reminders: cannot connect (%s); retrying", error)
            await asyncio.sleep(CHECK_SECONDS)
            continue
        try:
            await codecs.columns_as_json_has_them(connection)
            await _check(connection, events, settings.db_command_timeout)
        except BROKER_ERRORS as error:
            logger.warning("reminders: check failed (%s); retrying", error)
            await asyncio.sleep(CHECK_SECONDS)
        finally:
            connection.terminate()
