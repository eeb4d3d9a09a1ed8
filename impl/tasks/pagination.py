"""Keyset pages on any sort key, and the opaque cursors that lead to them.

Order, as the contract's TaskSort states it: PostgreSQL's own, so one index
on (user_id, key, id) serves both directions of a single key. Ascending, a
key's NULLs come after every value; descending, before them. Ties left by
every key are broken by id, in the first key's direction.

A cursor holds the sort keys and id of the last task on a page, and a digest
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
from typing import Any
from uuid import UUID

from sqlalchemy import Column, ColumnElement, and_, bindparam, or_, tuple_

from impl.db.statements import Record
from impl.problems import InvalidCursor

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DIGEST_BYTES = 12


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


SortKey = tuple[Column[Any], bool]
"""A sort key's column, and whether it is descending."""


def encode(
    scope: str, keys: Sequence[SortKey], values: Sequence[Any], task_id: str
) -> str:
    """The cursor of a position: a row's sort values and its id, as the row
    holds them."""
    position = [
        None if value is None else codec(column)[0](value)
        for (column, _), value in zip(keys, values, strict=True)
    ]
    position.append(UUID(task_id).hex)
    return sealed(scope, json.dumps(position, separators=(",", ":")).encode())


def decode(scope: str, keys: Sequence[SortKey], cursor: str) -> tuple[list[Any], UUID]:
    """The (sort values, id) a cursor of this list names, or InvalidCursor."""
    try:
        *raw, task_id = json.loads(opened(scope, cursor))
        values = [
            None if value is None else codec(column)[1](value)
            for (column, _), value in zip(keys, raw, strict=True)
        ]
        return values, UUID(hex=task_id)
    except (ValueError, TypeError, OverflowError):
        raise InvalidCursor from None


AFTER = "after"
"""The list statement's parameter that holds where a page starts: its binds
are `after_<i>`, the cursor's value of the sort's key at i, and `after_id`."""
AFTER_ID = f"{AFTER}_id"


def value_name(index: int) -> str:
    """The bind of the cursor's value of the sort's key at `index`."""
    return f"{AFTER}_{index}"


def after(
    keys: Sequence[SortKey], tiebreak: Column[Any], nulls: tuple[bool, ...]
) -> list[ColumnElement[bool]]:
    """The rows after a cursor, as one condition per index range, in order.

    Each range is an index scan in the sort's order; more than one is a
    UNION ALL whose ranges PostgreSQL merges without sorting. `nulls` says
    which of the cursor's values are NULL (each other is bound as
    `value_name(i)`). Ties are broken by `tiebreak` in the first key's
    direction.
    """
    last = bindparam(AFTER_ID, type_=tiebreak.type)
    if len(keys) > 1:
        return [_after_keys(keys, tiebreak, nulls)]
    [(key, descending)], [at_null] = keys, nulls
    value = bindparam(value_name(0), type_=key.type)
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


def _after_keys(
    keys: Sequence[SortKey], tiebreak: Column[Any], nulls: tuple[bool, ...]
) -> ColumnElement[bool]:
    """After a cursor in an order of several keys, whose directions differ:
    no row comparison states it, so it is spelled out. A row is after the
    cursor where it ties on the first keys and is beyond on the next; it
    is beyond on the tiebreak where it ties on all of them."""
    ties: list[ColumnElement[bool]] = []
    either: list[ColumnElement[bool]] = []
    for index, ((key, descending), at_null) in enumerate(zip(keys, nulls, strict=True)):
        value = bindparam(value_name(index), type_=key.type)
        beyond = _beyond(key, value, descending=descending, at_null=at_null)
        if beyond is not None:
            either.append(and_(*ties, beyond))
        ties.append(key.is_(None) if at_null else key == value)
    last = bindparam(AFTER_ID, type_=tiebreak.type)
    either.append(and_(*ties, tiebreak < last if keys[0][1] else tiebreak > last))
    return or_(*either)


def _beyond(
    key: Column[Any], value: Any, *, descending: bool, at_null: bool
) -> ColumnElement[bool] | None:
    """A key's values after the cursor's (NULLs last ascending, first
    descending); None where none is."""
    if descending:
        return key.is_not(None) if at_null else key < value
    if at_null:
        return None
    return or_(key > value, key.is_(None)) if key.nullable else key > value


After = tuple[bool, ...] | None
"""Where a page starts: at the first task (None), or after a cursor, with
which of its sort values are NULL."""


class Keyset:
    """One list request's pages: where its page starts, read from the cursor
    on the way in, and the cursor of the next page on the way out.

    A cursor is valid only for the list that issued it: its scope is the
    user, the sort and the filters set.
    """

    __slots__ = ("after", "keys", "position", "scope")

    def __init__(
        self, keys: Sequence[SortKey], scope: Sequence[object], cursor: str | None
    ) -> None:
        self.keys = keys
        self.scope = json.dumps(scope, sort_keys=True, default=str)
        self.after: After = None
        self.position: dict[str, Any] = {}
        """The `after` parameter's fields (`value_name`, AFTER_ID)."""
        if cursor is not None:
            values, task_id = decode(self.scope, keys, cursor)
            self.after = tuple(value is None for value in values)
            self.position = {
                str(index): value
                for index, value in enumerate(values)
                if value is not None
            }
            self.position["id"] = task_id

    def next_cursor(self, rows: Sequence[Record], size: int) -> str | None:
        """The next page's cursor (None on the last page), from the list
        statement's rows: a page of `size` tasks, and one more if any
        follows. It holds the sort keys and id of the page's last task."""
        if len(rows) <= size:
            return None
        last = rows[size - 1]
        values = [last[column.name] for column, _ in self.keys]
        return encode(self.scope, self.keys, values, last["id"])
