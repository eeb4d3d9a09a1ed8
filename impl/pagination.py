"""Opaque keyset cursors: where the last page ended, for one list only.

A cursor holds the sort key and id of the last task on a page, and a digest
that binds it to the list it came from (the user, the sort, the filter). A
cursor that was altered, or that comes from another list, is refused with
400. The digest is an integrity check, not a secret: every query filters by
the caller's user_id, so no cursor can reach another user's rows.
"""

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from impl.errors import Problem

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DIGEST_BYTES = 12

SortValue = datetime | str


class InvalidCursor(Problem):
    def __init__(self) -> None:
        super().__init__(
            400, "The cursor is not one this list issued; start from the first page."
        )


def _digest(scope: str, payload: bytes) -> bytes:
    return hashlib.blake2b(
        scope.encode() + b"\0" + payload, digest_size=DIGEST_BYTES
    ).digest()


def _to_json(value: SortValue) -> Any:
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(microseconds=1)
    return value


def _from_json(raw: Any, like_datetime: bool) -> SortValue:
    if like_datetime and isinstance(raw, int) and not isinstance(raw, bool):
        return EPOCH + timedelta(microseconds=raw)
    if not like_datetime and isinstance(raw, str):
        return raw
    raise ValueError("sort value of the wrong type")


def encode(scope: str, value: SortValue, task_id: UUID) -> str:
    payload = json.dumps([_to_json(value), task_id.hex], separators=(",", ":")).encode()
    raw = _digest(scope, payload) + payload
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(scope: str, cursor: str, *, datetime_key: bool) -> tuple[SortValue, UUID]:
    """The (sort value, id) a cursor of this list names, or InvalidCursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        digest, payload = raw[:DIGEST_BYTES], raw[DIGEST_BYTES:]
        if digest != _digest(scope, payload):
            raise InvalidCursor
        value, task_id = json.loads(payload)
        return _from_json(value, datetime_key), UUID(hex=task_id)
    except (binascii.Error, ValueError, TypeError, OverflowError):
        raise InvalidCursor from None
