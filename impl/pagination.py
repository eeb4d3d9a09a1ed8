"""Opaque keyset cursors: the (created_at, id) of the last task on a page."""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from impl.errors import Problem

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Position:
    created_at: datetime
    id: UUID


def encode(position: Position) -> str:
    micros = (position.created_at - EPOCH) // timedelta(microseconds=1)
    raw = f"{micros}:{position.id.hex}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str) -> Position:
    """The position a cursor names; a 422 problem for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, _, task_id = raw.partition(":")
        return Position(EPOCH + timedelta(microseconds=int(micros)), UUID(hex=task_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise Problem(
            422, "The cursor is not one this service issued; start from the first page."
        ) from None
