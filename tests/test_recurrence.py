"""Recurring tasks: completing one creates its next occurrence, once, in the
same transaction, due at the rule's next instance in the task's time zone."""

import asyncio
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.settings import PROJECT_ROOT
from impl.tasks.recurrence import next_occurrence
from tests.support import Api, Database

NEW_YORK = "America/New_York"


def complete(alice: Api, task: dict[str, Any]) -> dict[str, Any]:
    response = alice.patch(task["id"], {"completed": True})
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


def following(alice: Api, task: dict[str, Any]) -> dict[str, Any]:
    done = complete(alice, task)
    assert done["next_occurrence"] is not None
    response = alice.get(done["next_occurrence"])
    assert response.status_code == 200
    nxt: dict[str, Any] = response.json()
    return nxt


@pytest.mark.parametrize(
    ("due_at", "next_due_at"),
    [
        # Friday 09:00 EST, then Friday 09:00 EDT: spring forward between.
        ("2026-03-06T14:00:00Z", "2026-03-13T13:00:00Z"),
        # Friday 09:00 EDT, then Friday 09:00 EST: fall back between.
        ("2026-10-30T13:00:00Z", "2026-11-06T14:00:00Z"),
    ],
)
def test_a_weekly_0900_task_stays_at_0900_local_across_the_change(
    alice: Api, due_at: str, next_due_at: str
) -> None:
    task = alice.new_task(
        "Standup",
        description="weekly",
        due_at=due_at,
        time_zone=NEW_YORK,
        recurrence="FREQ=WEEKLY",
        priority="high",
        tags=["work", "team"],
    )

    nxt = following(alice, task)

    assert nxt["due_at"] == next_due_at
    kept = ("title", "description", "priority", "tags", "time_zone", "recurrence")
    assert {k: nxt[k] for k in kept} == {k: task[k] for k in kept}
    assert (nxt["completed"], nxt["next_occurrence"]) == (False, None)


def test_count_counts_down_and_a_rule_with_no_next_instance_creates_nothing(
    alice: Api, db: Database
) -> None:
    task = alice.new_task(
        "Pills", due_date="2026-10-31", recurrence="FREQ=DAILY;COUNT=2"
    )

    nxt = following(alice, task)
    assert (nxt["due_date"], nxt["recurrence"]) == ("2026-11-01", "FREQ=DAILY;COUNT=1")
    last = complete(alice, nxt)

    assert last["next_occurrence"] is None
    assert len(alice.list().json()["items"]) == 2


def test_until_ends_the_series(alice: Api) -> None:
    task = alice.new_task(
        "Trial", due_date="2026-12-30", recurrence="FREQ=DAILY;UNTIL=20261231"
    )
    nxt = following(alice, task)

    assert complete(alice, nxt)["next_occurrence"] is None


def test_completing_twice_or_uncompleting_creates_one_and_deletes_none(
    alice: Api,
) -> None:
    task = alice.new_task("Water", due_date="2026-12-01", recurrence="FREQ=DAILY")
    first = complete(alice, task)["next_occurrence"]

    assert complete(alice, task)["next_occurrence"] == first
    reopened = alice.put(
        task["id"],
        {"title": "Water", "due_date": "2026-12-01", "recurrence": "FREQ=DAILY"},
    )
    assert reopened.json()["completed"] is False
    assert complete(alice, task)["next_occurrence"] == first
    assert len(alice.list().json()["items"]) == 2


def test_racing_completions_create_one_next_occurrence(alice: Api) -> None:
    task = alice.new_task("Bins", due_date="2026-12-01", recurrence="FREQ=WEEKLY")

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=str(alice.client.base_url), headers=alice.client.headers
        ) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.patch(
                            alice.task_url(task["id"]),
                            content=b'{"completed": true}',
                            headers={"Content-Type": "application/merge-patch+json"},
                        )
                        for _ in range(12)
                    )
                )
            )

    responses = asyncio.run(race())

    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["next_occurrence"] for r in responses}) == 1
    assert len(alice.list().json()["items"]) == 2


def test_a_rule_needs_a_due_date(alice: Api, db: Database) -> None:
    task = alice.new_task("x", due_date="2026-12-01", recurrence="FREQ=DAILY")
    before = db.snapshot()

    response = alice.patch(task["id"], {"due_date": None})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/recurrence-needs-due")
    assert db.snapshot() == before


RULE = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())["components"][
    "schemas"
]["Recurrence"]["pattern"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rule=st.from_regex(RULE, fullmatch=True).filter(
        # No BYMONTHDAY with BYDAY: a pair no month has (1 and 5MO) is
        # searched for until the year 9999, half a second.
        lambda rule: len(rule) <= 255 and not ("BYMONTHDAY" in rule and "BYDAY" in rule)
    ),
    timed=st.booleans(),
)
def test_every_rule_of_the_contract_is_evaluated(rule: str, timed: bool) -> None:
    """dateutil evaluates every rule the pattern admits: no 500 waits."""
    from datetime import UTC, date, datetime

    if timed:
        next_occurrence(rule, None, datetime(2026, 3, 8, 6, 30, tzinfo=UTC), NEW_YORK)
    else:
        next_occurrence(rule, date(2026, 1, 31), None, NEW_YORK)
