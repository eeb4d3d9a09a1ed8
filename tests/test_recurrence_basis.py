"""`recurrence_basis`: a recurring task's next occurrence counts from its due
date (`due`, the default) or from the moment it was completed
(`completion`), in the task's time zone and at its wall time, so that a
chore done late does not come back overdue."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support import Api
from tests.test_recurrence import following

NEW_YORK = ZoneInfo("America/New_York")


def today(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


def test_the_basis_is_due_unless_given(alice: Api) -> None:
    task = alice.new_task(
        "Water the plants", due_date="2026-12-07", recurrence="FREQ=DAILY"
    )

    assert task["recurrence_basis"] == "due"


@pytest.mark.parametrize(
    ("basis", "days_after_today"), [("due", -20), ("completion", 1)]
)
def test_a_daily_chore_done_three_weeks_late(
    alice: Api, basis: str, days_after_today: int
) -> None:
    late = today(NEW_YORK) - timedelta(days=21)
    task = alice.new_task(
        "Water the plants",
        due_date=late.isoformat(),
        time_zone="America/New_York",
        recurrence="FREQ=DAILY",
        recurrence_basis=basis,
    )

    nxt = following(alice, task)

    assert (
        nxt["due_date"]
        == (today(NEW_YORK) + timedelta(days=days_after_today)).isoformat()
    )
    assert nxt["recurrence_basis"] == basis


def next_monday_0900(after: datetime) -> datetime:
    """The first Monday 09:00 in New York after `after`."""
    local = after.astimezone(NEW_YORK)
    day = local.date()
    while True:
        candidate = datetime.combine(day, time(9), NEW_YORK)
        if day.weekday() == 0 and candidate > local:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def test_a_weekly_0900_chore_done_late_comes_back_on_its_next_monday(
    alice: Api,
) -> None:
    due = next_monday_0900(datetime.now(UTC) - timedelta(weeks=3))
    task = alice.new_task(
        "Take out the bins",
        due_at=due.isoformat(),
        time_zone="America/New_York",
        recurrence="FREQ=WEEKLY",
        recurrence_basis="completion",
    )

    nxt = following(alice, task)

    completed_at = datetime.fromisoformat(alice.get(task["id"]).json()["updated_at"])
    expected = next_monday_0900(completed_at)
    assert datetime.fromisoformat(nxt["due_at"]) == expected
    assert datetime.fromisoformat(nxt["due_at"]).astimezone(NEW_YORK).time() == time(9)
    assert expected > datetime.now(UTC)


def test_a_chore_done_early_comes_back_as_the_due_basis_has_it(alice: Api) -> None:
    ahead = today(NEW_YORK) + timedelta(days=10)
    task: dict[str, Any] = alice.new_task(
        "Renew the permit",
        due_date=ahead.isoformat(),
        time_zone="America/New_York",
        recurrence="FREQ=WEEKLY",
        recurrence_basis="completion",
    )

    nxt = following(alice, task)

    assert nxt["due_date"] == (ahead + timedelta(weeks=1)).isoformat()


def test_a_patch_changes_the_basis(alice: Api) -> None:
    task = alice.new_task("Stretch", due_date="2026-12-07", recurrence="FREQ=DAILY")

    patched = alice.patch(task["id"], {"recurrence_basis": "completion"})

    assert patched.status_code == 200
    assert patched.json()["recurrence_basis"] == "completion"
