"""Keyset pages on any sort key, and the opaque cursors that lead to them.

Order, as the contract's TaskSort states it: PostgreSQL's own, so one index
on (user_id, key, id) serves both directions. Ascending, a key's NULLs come
after every value; descending, before them. Ties are broken by id, in the
sort's direction.

A cursor holds the sort key and id of the last task on a page, and a digest
that binds it to the list it came from (the user, the sort, the filters). A
cursor that was altered, or that comes from another list, is refused with
400. The digest is an integrity check, not a secret: every query filters by
the caller's user_id, so no cursor can reach another user's rows.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Literal, TypedDict
from uuid import UUID

from sqlalchemy import Column, ColumnElement, and_, bindparam, tuple_

from impl.db.statements import Record
from impl.problems import InvalidCursor

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DIGEST_BYTES = 12

AFTER_VALUE = "after_value"
AFTER_ID = "after_id"


class UnsortableColumn(TypeError):
    """A sort key's column holds values no cursor can carry."""


# How a sort value of each column type travels in a cursor's JSON, and back.
# A row holds a date-time and a uuid as their text (impl/db/codecs.py).
# A reader that gets the wrong JSON type raises, so the cursor is refused.
def _micros(value: str) -> int:
    return (datetime.fromisoformat(value) - EPOCH) // timedelta(microseconds=1)


def _from_micros(raw: int) -> datetime:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TypeError(raw)
    return EPOCH + timedelta(microseconds=raw)


def _exact(kind: type) -> Callable[[Any], Any]:
    def read(raw: Any) -> Any:
        # bool is an int in Python, never in the cursor.
        if type(raw) is not kind:
            raise TypeError(raw)
        return raw

    return read


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TypeError(raw)
    return float(raw)


def _text(read: Callable[[str], Any]) -> Callable[[Any], Any]:
    def from_text(raw: Any) -> Any:
        if not isinstance(raw, str):
            raise TypeError(raw)
        return read(raw)

    return from_text


Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
CODECS: dict[type, Codec] = {
    datetime: (_micros, _from_micros),
    date: (date.isoformat, _text(date.fromisoformat)),
    UUID: (lambda value: UUID(value).hex, _text(lambda raw: UUID(hex=raw))),
    Decimal: (str, _text(Decimal)),
    bool: (bool, _exact(bool)),
    int: (int, _exact(int)),
    float: (float, _number),
    str: (str, _text(str)),
}
"""Per Python type of a column: (to JSON, from JSON)."""


@cache
def codec(column: Column[Any]) -> Codec:
    """The cursor codec of a sort key's column, or UnsortableColumn."""
    kind = column.type.python_type
    if issubclass(kind, Enum):
        kind = str
    # The first base that fits: datetime before date, bool before int.
    for base, found in CODECS.items():
        if issubclass(kind, base):
            return found
    raise UnsortableColumn(
        f"the sort key {column.name!r} is a column of {kind.__name__}, which a "
        f"cursor cannot carry; sort keys are strings, numbers, booleans, "
        f"dates, date-times or uuids"
    )


def _digest(scope: str, payload: bytes) -> bytes:
    return hashlib.blake2b(
        scope.encode() + b"\0" + payload, digest_size=DIGEST_BYTES
    ).digest()


def sealed(scope: str, payload: bytes) -> str:
    """An opaque, URL-safe token of the payload, bound to its scope."""
    raw = _digest(scope, payload) + payload
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def opened(scope: str, token: str) -> bytes:
    """The payload a token of this scope holds; ValueError for any other."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except binascii.Error:
        raise ValueError(token) from None
    digest, payload = raw[:DIGEST_BYTES], raw[DIGEST_BYTES:]
    if digest != _digest(scope, payload):
        raise ValueError(token)
    return payload


def encode(scope: str, column: Column[Any], value: Any, task_id: str) -> str:
    """The cursor of a position: a row's sort value and its id, as the row
    holds them."""
    to_json, _ = codec(column)
    position = [None if value is None else to_json(value), UUID(task_id).hex]
    return sealed(scope, json.dumps(position, separators=(",", ":")).encode())


def decode(scope: str, column: Column[Any], cursor: str) -> tuple[Any, UUID]:
    """The (sort value, id) a cursor of this list names, or InvalidCursor."""
    _, from_json = codec(column)
    try:
        value, task_id = json.loads(opened(scope, cursor))
        return (None if value is None else from_json(value)), UUID(hex=task_id)
    except (ValueError, TypeError, OverflowError):
        raise InvalidCursor from None


def after(
    key: Column[Any], tiebreak: Column[Any], *, descending: bool, at_null: bool
) -> list[ColumnElement[bool]]:
    """The rows after a cursor, as one condition per index range, in order.

    Each range is an index scan in the sort's order; more than one is a
    UNION ALL whose ranges PostgreSQL merges without sorting. `at_null` says
    whether the cursor's key is NULL (bound as AFTER_VALUE otherwise).
    """
    value = bindparam(AFTER_VALUE, type_=key.type)
    last = bindparam(AFTER_ID, type_=tiebreak.type)
    if at_null:
        # Among the NULLs: the rest of them, then (descending) every value.
        among_nulls = and_(
            key.is_(None), tiebreak < last if descending else tiebreak > last
        )
        return [among_nulls, key.is_not(None)] if descending else [among_nulls]
    position, bound = tuple_(key, tiebreak), tuple_(value, last)
    # A row comparison is NULL for a NULL key: the NULLs are a range of
    # their own, after the values when ascending.
    if descending:
        return [position < bound]
    return [position > bound, key.is_(None)] if key.nullable else [position > bound]


After = Literal["value", "null"] | None
"""Where a page starts: at the first task, or after a cursor's sort value
(or after one whose sort value is NULL)."""


class Position(TypedDict, total=False):
    """Where a page starts, as the list statement binds it (`after`)."""

    after_value: Any
    after_id: UUID


class Keyset:
    """One list request's pages: where its page starts, read from the cursor
    on the way in, and the cursor of the next page on the way out.

    A cursor is valid only for the list that issued it: its scope is the
    user, the sort and the filters set.
    """

    __slots__ = ("after", "key", "position", "scope")

    def __init__(
        self, key: Column[Any], scope: Sequence[object], cursor: str | None
    ) -> None:
        self.key = key
        self.scope = json.dumps(scope, sort_keys=True, default=str)
        self.after: After = None
        self.position: Position = {}
        if cursor is not None:
            value, task_id = decode(self.scope, key, cursor)
            self.after = "null" if value is None else "value"
            self.position = {"after_value": value, "after_id": task_id}

    def next_cursor(self, rows: Sequence[Record], size: int) -> str | None:
        """The next page's cursor (None on the last page), from the list
        statement's rows: a page of `size` tasks, and one more if any
        follows. It holds the sort key and id of the page's last task."""
        if len(rows) <= size:
            return None
        last = rows[size - 1]
        return encode(self.scope, self.key, last[self.key.name], last["id"])
