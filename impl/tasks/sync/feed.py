"""A page of the sync feed: one statement, and the page's JSON from its rows.

The statement reads the next entries after the token's position, below the
horizon (the oldest transaction still running, impl/tasks/sync/__init__.py):
tasks by the transaction of their last write, tombstones by the transaction
of their deletion, each an index range scan of (user_id, xid, id), merged
in that order; and a row with the horizon itself, which is where the next
sync starts when nothing more is there.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypedDict
from uuid import UUID

import orjson
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Interval,
    bindparam,
    delete,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)

from impl.db.database import (
    DRIVER_ERRORS,
    Database,
    DatabaseAccess,
    DatabaseUnreachable,
)
from impl.db.statements import Record, Statement, compile_statement
from impl.tasks import bodies
from impl.tasks.columns import RETURNED
from impl.tasks.statements import OWNER
from impl.tasks.sync import Xid8, tokens
from impl.tasks.sync.tokens import NIL, Token
from impl.tasks.tables import deleted_tasks, tasks

logger = logging.getLogger(__name__)

NO_TOMBSTONES = 2**64 - 1
"""The largest xid8: a position after every tombstone, for the first page of
a full sync, whose client holds nothing to delete."""

PURGE_INTERVAL_SECONDS = 600
PURGE_MARGIN = timedelta(hours=1)
"""Tombstones outlive SYNC_RETENTION by this much: a token's time is the
instance's clock and a tombstone's the database's, and a deleting
transaction may have started a little before the token's position."""


class SyncParams(TypedDict):
    owner: str
    after_xid: int
    after_task: str
    gone_xid: int
    gone_task: str
    limit: int
    budget: int


def _position(xid: str, task: str) -> ColumnElement[Any]:
    return tuple_(bindparam(xid, type_=Xid8()), bindparam(task)).self_group()


PAGE_BYTES = 2 * 1024 * 1024
"""About the most JSON a page carries, however large its tasks: a page of
500 of the largest tasks the contract admits would be 20 MB, and take the
event loop for a tenth of a second. Entries past it wait for the next page
(`more`), the first always comes."""
ENTRY_BYTES = 400
"""What a task's fields but its free text, or a tombstone, take in a page."""


def _text_bytes() -> ColumnElement[int]:
    """About what a task takes in a page's JSON, from its free text's stored
    lengths: PostgreSQL finds them without reading the text itself."""
    text = (
        func.octet_length(tasks.c.title)
        + func.coalesce(func.octet_length(tasks.c.description), 0)
        + func.coalesce(func.octet_length(tasks.c.recurrence), 0)
        + func.coalesce(func.octet_length(func.array_to_string(tasks.c.tags, "")), 0)
    )
    return text + 4 * func.cardinality(tasks.c.tags) + ENTRY_BYTES


HORIZON = func.pg_snapshot_xmin(func.pg_current_snapshot())
"""The oldest transaction still running: every one below it has finished."""


def _sync() -> Statement[SyncParams]:
    limit: BindParameter[int] = bindparam("limit")
    changed = (
        select(
            *RETURNED,
            tasks.c.written_xid.label("xid"),
            null().cast(deleted_tasks.c.deleted_at.type).label("deleted_at"),
            _text_bytes().label("size"),
        )
        .where(
            tasks.c.user_id == OWNER,
            tuple_(tasks.c.written_xid, tasks.c.id)
            > _position("after_xid", "after_task"),
            tasks.c.written_xid < HORIZON,
        )
        .order_by(tasks.c.written_xid, tasks.c.id)
        .limit(limit)
    )
    # A tombstone fills the Task's fields with NULLs but its id.
    gone = (
        select(
            *(
                deleted_tasks.c.id.label("id")
                if column.name == "id"
                else null().cast(column.type).label(column.name)
                for column in RETURNED
            ),
            deleted_tasks.c.deleted_xid.label("xid"),
            deleted_tasks.c.deleted_at,
            literal(ENTRY_BYTES).label("size"),
        )
        .where(
            deleted_tasks.c.user_id == OWNER,
            tuple_(deleted_tasks.c.deleted_xid, deleted_tasks.c.id)
            > _position("gone_xid", "gone_task"),
            deleted_tasks.c.deleted_xid < HORIZON,
        )
        .order_by(deleted_tasks.c.deleted_xid, deleted_tasks.c.id)
        .limit(limit)
    )
    entries = union_all(changed, gone).subquery("entries")
    page = select(entries).order_by(entries.c.xid, entries.c.id).limit(limit).subquery()
    order = (page.c.xid, page.c.id)
    measured = select(
        *(column for column in page.c if column.name != "size"),
        (func.sum(page.c.size).over(order_by=order) - page.c.size).label("before"),
        func.count().over().label("found"),
    ).subquery("measured")
    # The entries that fit the budget: those that start within it. A task's
    # text is read (from TOAST) only for them.
    fitting = (
        select(
            *(column for column in measured.c if column.name != "before"),
            null().cast(Xid8()).label("horizon"),
            null().cast(deleted_tasks.c.deleted_at.type).label("served_at"),
        )
        .where(measured.c.before < bindparam("budget"))
        .order_by(measured.c.xid, measured.c.id)
    )
    # The horizon in a row of its own, so that a sync with nothing new
    # still learns where the next one starts.
    where_next = select(
        *(
            null().cast(column.type).label(column.name)
            for column in measured.c
            if column.name != "before"
        ),
        HORIZON.label("horizon"),
        func.now().label("served_at"),
    )
    return compile_statement(
        union_all(fitting, where_next),
        SyncParams,
        idempotent=True,
        operation="SELECT",
        target="sync page",
    )


SYNC = _sync()


def _deleted(row: Record) -> dict[str, Any]:
    return {"id": row["id"], "deleted_at": row["deleted_at"]}


def _page_json(entries: Sequence[Record], token: str, more: bool, full: bool) -> bytes:
    return orjson.dumps(
        {
            "changed": [
                bodies.task(row) for row in entries if row["deleted_at"] is None
            ],
            "deleted": [
                _deleted(row) for row in entries if row["deleted_at"] is not None
            ],
            "token": token,
            "more": more,
            "full": full,
        },
        default=bodies.exact,
    )


class Page(NamedTuple):
    body: bytes
    """The SyncPage's JSON."""
    token: str
    more: bool
    full: bool
    entries: int
    """How many tasks and tombstones it holds."""


async def page(
    db: DatabaseAccess,
    user_id: str,
    raw_token: str | None,
    limit: int,
    now: datetime,
    retention: timedelta,
) -> Page:
    """The SyncPage after `raw_token` (a full sync's first without one)."""
    given = (
        None if raw_token is None else tokens.read(user_id, raw_token, now, retention)
    )
    if given is None:
        after, gone = (0, NIL), (NO_TOMBSTONES, NIL)
    else:
        after = (given.xid, given.task)
        # A full sync serves the tombstones from its first page's horizon.
        gone = max(after, (given.floor, NIL)) if given.floor is not None else after
    rows = await db.fetch(
        SYNC(
            {
                "owner": user_id,
                "after_xid": after[0],
                "after_task": str(after[1]),
                "gone_xid": gone[0],
                "gone_task": str(gone[1]),
                "limit": limit + 1,
                "budget": PAGE_BYTES,
            }
        )
    )
    entries = [row for row in rows if row["xid"] is not None]
    [now_row] = [row for row in rows if row["xid"] is None]
    horizon: int = now_row["horizon"]
    served_at = datetime.fromisoformat(now_row["served_at"])
    full = given is None or given.full
    # A page of `limit` entries, fewer where the budget ends it; more when
    # the statement found any past those served.
    served = min(len(entries), limit)
    more = bool(entries) and entries[0]["found"] > served
    if more:
        last = entries[served - 1]
        floor = horizon if given is None else given.floor
        issued = served_at if given is None else given.issued
        following = Token(last["xid"], UUID(last["id"]), floor, issued)
    else:
        following = Token(horizon, NIL, None, served_at)
    token = tokens.issue(user_id, following)
    body = _page_json(entries[:served], token, more, full)
    return Page(body, token, more, full, served)


def _purge() -> Statement["PurgeParams"]:
    return compile_statement(
        delete(deleted_tasks).where(
            deleted_tasks.c.deleted_at
            < func.now() - bindparam("kept", type_=Interval())
        ),
        PurgeParams,
        idempotent=True,
        operation="DELETE",
        target="expired tombstones",
    )


class PurgeParams(TypedDict):
    kept: timedelta


PURGE = _purge()


async def purge_forever(database: Database, retention: timedelta) -> None:
    """Purge expired tombstones every PURGE_INTERVAL_SECONDS; a database
    outage only delays it."""
    while True:
        try:
            await database.fetch(PURGE({"kept": retention + PURGE_MARGIN}))
        except (*DRIVER_ERRORS, DatabaseUnreachable) as error:
            logger.warning("tombstone purge failed: %s", error)
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
