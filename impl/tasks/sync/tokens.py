"""Sync tokens: where a client's copy stands in the feed, opaque to it.

A token holds a position (a transaction id and a task id: every entry at or
before it has been served), the floor of a full sync in progress (the
tombstones it must still serve start there), and when its position was
established. It is sealed to the user it was issued to, as a list's cursor
is (impl/tasks/pagination.py). A token that is not one of the user's, or
that is older than SYNC_RETENTION, is refused with 410: the tombstones it
would need may be gone, so the client must sync in full.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from impl.problems import Problem, ProblemName
from impl.tasks.pagination import opened, sealed

NIL = UUID(int=0)
"""Before every task id: a position (xid, NIL) is before every entry of
transaction xid."""


class SyncTokenExpired(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.SYNC_TOKEN_EXPIRED,
            "The sync token has expired; sync again without a token.",
        )


@dataclass(frozen=True, slots=True)
class Token:
    xid: int
    """With `task`: every entry before (xid, task) has been served."""
    task: UUID
    floor: int | None
    """During a full sync, the horizon of its first page: tombstones before
    it are of tasks the client never had. None once the sync is whole."""
    issued: datetime
    """When everything up to the position had been served: the token
    expires SYNC_RETENTION after it."""

    @property
    def full(self) -> bool:
        return self.floor is not None


def _scope(user_id: str) -> str:
    return f"sync:{user_id}"


def issue(user_id: str, token: Token) -> str:
    payload = [token.xid, token.task.hex, token.floor, token.issued.isoformat()]
    return sealed(_scope(user_id), json.dumps(payload, separators=(",", ":")).encode())


def read(user_id: str, raw: str, now: datetime, retention: timedelta) -> Token:
    """The token `raw` names, or SyncTokenExpired."""
    try:
        xid, task, floor, issued = json.loads(opened(_scope(user_id), raw))
        token = Token(int(xid), UUID(hex=task), floor, datetime.fromisoformat(issued))
    except (ValueError, TypeError, OverflowError):
        raise SyncTokenExpired from None
    if now - token.issued > retention:
        raise SyncTokenExpired
    return token
