"""How the pool's connections read and write uuids and timestamps
(impl/db/codecs.py): as the JSON bodies hold them, for every instant the
contract's date-time allows."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from impl.db.codecs import rfc3339
from impl.db.pool import create_pool
from impl.settings import Settings


def round_trip(database_url: str, sql: str, *args: Any) -> Any:
    async def run() -> Any:
        pool = await create_pool(Settings(), database_url)
        try:
            return await pool.fetchval(sql, *args)
        finally:
            await pool.close()

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("given", "read"),
    [
        (datetime(2026, 3, 8, 9, tzinfo=UTC), "2026-03-08T09:00:00Z"),
        (datetime(2026, 3, 8, 9, 0, 0, 120000, UTC), "2026-03-08T09:00:00.12Z"),
        (datetime(2026, 3, 8, 9, 0, 0, 1, UTC), "2026-03-08T09:00:00.000001Z"),
        # Offsets past PostgreSQL's 15:59, which RFC 3339 allows.
        (
            datetime(409, 2, 10, 11, 49, 43, tzinfo=timezone(timedelta(hours=20))),
            "0409-02-09T15:49:43Z",
        ),
        (
            datetime(2026, 1, 1, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
            "2026-01-01T23:59:00Z",
        ),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (
            datetime(9999, 12, 31, 23, 59, 59, 999999, UTC),
            "9999-12-31T23:59:59.999999Z",
        ),
    ],
)
def test_a_timestamp_is_written_and_read_as_rfc_3339_in_utc(
    database_url: str, given: datetime, read: str
) -> None:
    assert round_trip(database_url, "SELECT $1::timestamptz", given) == read


def test_a_uuid_is_read_as_its_hyphenated_text(database_url: str) -> None:
    text = "0dadad45-fb6c-44b7-a89e-243f85c369b5"

    assert round_trip(database_url, "SELECT $1::uuid", text) == text


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2026-12-24 19:00:00.5+01", "2026-12-24T18:00:00.5Z"),
        ("2026-12-24 13:30:00-05:30", "2026-12-24T19:00:00Z"),
    ],
)
def test_a_session_in_another_time_zone_still_reads_utc(
    written: str, read: str
) -> None:
    assert rfc3339(written) == read
