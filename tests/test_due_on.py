"""listTasks' `due_on` and `zone`: the tasks due on a day as the user sees
it in a time zone, both daylight-saving days of New York and a zone east of
UTC+12 included, with every sort key and the cursor; and `falls_due`, the
instant each task falls due."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import contract
from tests.support import Api

NEW_YORK = "America/New_York"
KIRITIMATI = "Pacific/Kiritimati"  # UTC+14


def at(day: date, hour: int, minute: int, zone: str, fold: int = 0) -> str:
    local = datetime.combine(day, time(hour, minute), ZoneInfo(zone)).replace(fold=fold)
    return local.astimezone(UTC).isoformat()


def due_on(api: Api, day: date, zone: str, **params: Any) -> list[str]:
    response = api.list(due_on=day.isoformat(), zone=zone, limit=200, **params)
    assert response.status_code == 200, response.text
    return sorted(t["title"] for t in response.json()["items"])


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (NEW_YORK, date(2026, 3, 8)),  # 23 hours: 02:00 springs to 03:00
        (NEW_YORK, date(2026, 11, 1)),  # 25 hours: 02:00 falls back to 01:00
        (NEW_YORK, date(2026, 12, 7)),
        (KIRITIMATI, date(2026, 12, 7)),
    ],
)
def test_due_on_is_the_day_in_the_zone(alice: Api, zone: str, day: date) -> None:
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    for title, fields in {
        "all day": {"due_date": day.isoformat(), "time_zone": zone},
        "all day elsewhere": {"due_date": day.isoformat(), "time_zone": "Etc/GMT+12"},
        "all day before": {"due_date": before.isoformat()},
        "all day after": {"due_date": after.isoformat()},
        "at its 00:00": {"due_at": at(day, 0, 0, zone)},
        "at 01:30": {"due_at": at(day, 1, 30, zone)},
        "at 01:30 again": {"due_at": at(day, 1, 30, zone, fold=1)},
        "at 23:59": {"due_at": at(day, 23, 59, zone)},
        "at the next 00:00": {"due_at": at(after, 0, 0, zone)},
        "the day before at 23:59": {"due_at": at(before, 23, 59, zone)},
        "undated": {},
    }.items():
        alice.new_task(title, **fields)

    assert due_on(alice, day, zone) == sorted(
        [
            "all day",
            "all day elsewhere",
            "at its 00:00",
            "at 01:30",
            "at 01:30 again",
            "at 23:59",
        ]
    )


def test_zone_defaults_to_utc(alice: Api) -> None:
    day = date(2026, 12, 7)
    alice.new_task("UTC midnight", due_at="2026-12-07T00:00:00Z")
    alice.new_task("New York midnight", due_at=at(day, 0, 0, NEW_YORK))

    response = alice.list(due_on=day.isoformat())

    assert [t["title"] for t in response.json()["items"]] == [
        "New York midnight",
        "UTC midnight",
    ]


@pytest.mark.parametrize("sort", contract.sort_values())
def test_due_on_pages_with_every_sort_key_each_task_once(alice: Api, sort: str) -> None:
    day = date(2026, 3, 8)
    wanted = {
        alice.new_task(
            f"task {n}",
            priority=["high", "low"][n % 2],
            due_at=at(day, n, 15, NEW_YORK),
        )["id"]
        for n in (0, 1, 3, 5, 8, 13, 21)
    } | {alice.new_task("all day", due_date=day.isoformat())["id"]}
    alice.new_task("next day", due_at=at(day + timedelta(days=1), 0, 0, NEW_YORK))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "due_on": day.isoformat(),
            "zone": NEW_YORK,
            "sort": sort,
            "limit": 3,
        }
        response = alice.list(**params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        seen += [t["id"] for t in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen))
    assert set(seen) == wanted


def test_a_task_carries_when_it_falls_due(alice: Api) -> None:
    timed = alice.new_task("timed", due_at="2026-12-07T17:00:00Z")
    all_day = alice.new_task("all day", due_date="2026-12-07", time_zone=KIRITIMATI)
    undated = alice.new_task("undated")

    assert datetime.fromisoformat(timed["falls_due"]) == datetime(
        2026, 12, 7, 17, tzinfo=UTC
    )
    # The end of the 7th in Kiritimati (UTC+14): the 8th, 00:00 there.
    assert datetime.fromisoformat(all_day["falls_due"]) == datetime(
        2026, 12, 7, 10, tzinfo=UTC
    )
    assert undated["falls_due"] is None
    listed = {t["title"]: t["falls_due"] for t in alice.list().json()["items"]}
    assert listed == {t["title"]: t["falls_due"] for t in (timed, all_day, undated)}
