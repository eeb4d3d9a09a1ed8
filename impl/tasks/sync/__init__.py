"""The sync feed (syncTasks): what changed since a token, deletions included.

**Where a change stands.** Every task row carries the id of the transaction
that last wrote it (`written_xid`, PostgreSQL's 64-bit `xid8`), and every
deleted task leaves a tombstone with the id of the transaction that deleted
it (`deleted_tasks`). Triggers set both (the migration's `tasks_written` and
`tasks_deleted`), so every write path feeds the feed, those added later
included. A page lists rows in (transaction id, task id) order.

**Nothing is missed.** Transaction ids are taken when a write starts, not
when it commits: a write that started early and commits late would land
behind a position a client has already passed. So a page serves only
transactions that are known to have finished: those below the snapshot's
`xmin` (`pg_snapshot_xmin(pg_current_snapshot())`), the oldest transaction
still running. A late commit holds the horizon back until it is done, and
is served then, in order. The cost: while any transaction runs, the feed
serves nothing written after it started (a delay, never a loss).

The room holds the whole feature: the column type and the rules the tables
hold (here), the tokens (tokens.py), and the page's statement (feed.py).
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.types import UserDefinedType

WRITTEN_XID = "written_xid"
"""The column of tasks that holds the transaction of its last write."""

CURRENT_XID = text("pg_current_xact_id()")
"""The writing transaction's id: the server default that stamps a new row
and a tombstone; the trigger `tasks_written` stamps every update."""


class Xid8(UserDefinedType[int]):
    """PostgreSQL's `xid8`: a transaction id that never wraps around; asyncpg
    reads and writes it as an int."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"

    @property
    def python_type(self) -> type[int]:
        return int


# Reflection (Alembic's check that the revisions match the tables) reads an
# xid8 column as this type rather than as an unknown one.
ischema_names["xid8"] = Xid8
