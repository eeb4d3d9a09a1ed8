"""How columns arrive from asyncpg: as the JSON bodies hold them.

The service writes every body from rows (impl/tasks/bodies.py). A uuid and a
timestamp are read as PostgreSQL's text, made into the contract's form, so
no Python object is built per value; every other type keeps asyncpg's own
codec (a date, a number, an array, a boolean are what orjson writes).
"""

from datetime import UTC, datetime

import asyncpg


def rfc3339(text: str) -> str:
    """A timestamptz as PostgreSQL writes it (`2026-12-24 18:00:00.5+00`)
    made into RFC 3339 in UTC (`2026-12-24T18:00:00.5Z`), as the contract's
    date-times are. The session's TimeZone is UTC (impl/db/pool.py), so
    the fast path only moves characters; any other offset is converted."""
    if text.endswith("+00"):
        return f"{text[:10]}T{text[11:-3]}Z"
    instant = datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
    fraction = f"{instant.microsecond:06d}".rstrip("0")
    whole = instant.isoformat(timespec="seconds")
    return f"{whole}.{fraction}Z" if fraction else f"{whole}Z"


def timestamptz(value: datetime) -> str:
    """A date-time as PostgreSQL reads it. In UTC: PostgreSQL takes offsets
    up to 15:59 only, RFC 3339 up to 23:59 (the contract's models refuse an
    instant that UTC cannot hold, runtime/models.py)."""
    return value.astimezone(UTC).isoformat()


async def columns_as_json_has_them(connection: asyncpg.Connection) -> None:
    """A uuid arrives as its text and a timestamp as RFC 3339 text: the
    values a response body holds, so the service writes the JSON with no
    object built per value. (asyncpg's binary timestamps cost about 0.8 µs
    each, a third of a 50-task page's decoding; see README, Benchmark.)
    PostgreSQL trims a timestamp's trailing zeros, as its JSON always did."""
    await connection.set_type_codec(
        "uuid", schema="pg_catalog", encoder=str, decoder=str, format="text"
    )
    await connection.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=timestamptz,
        decoder=rfc3339,
        format="text",
    )
