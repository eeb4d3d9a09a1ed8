"""Due dates in the task's time zone: `due_date` (all day) falls due at the
end of that day there, `due_at` at its instant; `due` sorts by that instant,
`due_before`, `due_after` and `overdue` filter by it, on both sides of
America/New_York's daylight-saving changes (2026-03-08 and 2026-11-01)."""

from typing import Any

import pytest

from tests import contract
from tests.support import Api, Database

NEW_YORK = "America/New_York"
# Title: (fields, the instant it falls due).
TASKS: dict[str, tuple[dict[str, Any], str | None]] = {
    # The day before spring forward ends at 05:00Z (EST, -5).
    "C": ({"due_date": "2026-03-07"}, "2026-03-08T05:00:00Z"),
    "B": ({"due_at": "2026-03-09T03:30:00Z"}, "2026-03-09T03:30:00Z"),
    # Spring forward's day ends at 04:00Z (EDT, -4): after B.
    "A": ({"due_date": "2026-03-08"}, "2026-03-09T04:00:00Z"),
    # The day before fall back ends at 04:00Z (EDT).
    "F": ({"due_date": "2026-10-31"}, "2026-11-01T04:00:00Z"),
    "E": ({"due_at": "2026-11-01T23:30:00-05:00"}, "2026-11-02T04:30:00Z"),
    # Fall back's day ends at 05:00Z (EST): after E.
    "D": ({"due_date": "2026-11-01"}, "2026-11-02T05:00:00Z"),
    "N": ({}, None),
}
IN_ORDER = ["C", "B", "A", "F", "E", "D", "N"]
"""Ascending by when each falls due; no due date last."""


@pytest.fixture
def titles_by_id(alice: Api) -> dict[str, str]:
    found = {}
    for title, (fields, _) in TASKS.items():
        task = alice.new_task(title, time_zone=NEW_YORK, **fields)
        found[task["id"]] = title
    return found


def page_titles(alice: Api, titles: dict[str, str], **params: Any) -> list[str]:
    """Every page of the list, limit 3, as titles: each task must come once."""
    seen: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = alice.list(**query)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [titles[task["id"]] for task in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(seen) == len(set(seen))
            return seen


def test_due_is_a_sort_key_of_the_contract() -> None:
    assert {"due", "-due"} <= set(contract.sort_values())


def test_due_sorts_by_the_instant_across_both_changes(
    alice: Api, titles_by_id: dict[str, str]
) -> None:
    assert page_titles(alice, titles_by_id, sort="due") == IN_ORDER
    # Descending: no due date first, like every nullable key.
    assert page_titles(alice, titles_by_id, sort="-due") == IN_ORDER[::-1]


def test_due_before_and_after_compare_the_instant(
    alice: Api, titles_by_id: dict[str, str]
) -> None:
    # A falls due at 04:00Z exactly: not before it.
    before = page_titles(
        alice, titles_by_id, sort="due", due_before="2026-03-09T04:00:00Z"
    )
    assert before == ["C", "B"]
    after = page_titles(
        alice, titles_by_id, sort="due", due_after="2026-11-01T23:45:00-05:00"
    )
    assert after == ["D"]
    between = page_titles(
        alice,
        titles_by_id,
        sort="-due",
        due_after="2026-03-09T03:59:59Z",
        due_before="2026-11-02T04:30:01Z",
    )
    assert between == ["E", "F", "A"]


def test_overdue_is_not_completed_and_fell_due_before_now(
    alice: Api, titles_by_id: dict[str, str]
) -> None:
    ids = {title: task_id for task_id, title in titles_by_id.items()}
    assert alice.patch(ids["B"], {"completed": True}).status_code == 200
    future = alice.new_task("later", due_at="2999-01-01T00:00:00Z")
    titles_by_id[future["id"]] = "later"

    overdue = page_titles(alice, titles_by_id, sort="due", overdue="true")
    others = page_titles(alice, titles_by_id, sort="due", overdue="false")

    assert overdue == ["C", "A", "F", "E", "D"]
    assert others == ["B", "later", "N"]


def test_an_all_day_task_falls_due_at_the_end_of_its_day_in_its_zone(
    alice: Api,
) -> None:
    """The same day is overdue in Tokyo before it is in Honolulu."""
    tokyo = alice.new_task("tokyo", due_date="2026-01-01", time_zone="Asia/Tokyo")
    honolulu = alice.new_task(
        "honolulu", due_date="2026-01-01", time_zone="Pacific/Honolulu"
    )
    titles = {tokyo["id"]: "tokyo", honolulu["id"]: "honolulu"}

    # Tokyo's day ends at 15:00Z on Jan 1, Honolulu's at 10:00Z on Jan 2.
    assert page_titles(alice, titles, sort="due") == ["tokyo", "honolulu"]
    assert page_titles(alice, titles, due_before="2026-01-02T09:59:59Z") == ["tokyo"]


BOTH = {"due_date": "2026-12-24", "due_at": "2026-12-24T18:00:00Z"}


@pytest.mark.parametrize("write", ["create", "put", "patch"])
def test_due_date_with_due_at_is_refused_and_changes_nothing(
    alice: Api, db: Database, write: str
) -> None:
    """The rule each request schema states (TaskCreate's, TaskUpdate's and
    TaskPatch's `not`)."""
    task = alice.new_task("x")
    before = db.snapshot()

    if write == "create":
        response = alice.create({"title": "x", **BOTH})
    elif write == "put":
        response = alice.put(task["id"], {"title": "x", **BOTH})
    else:
        response = alice.patch(task["id"], BOTH)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/due-date-and-time")
    assert {e["pointer"] for e in problem["errors"]} == {"/due_date", "/due_at"}
    assert db.snapshot() == before


def test_an_unknown_time_zone_is_422(alice: Api) -> None:
    response = alice.create({"title": "x", "time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/time_zone"


def test_every_time_zone_of_the_contract_holds_a_due_date(alice: Api) -> None:
    """PostgreSQL and Python both know every name the contract lists."""
    zones = contract.schema("TimeZone")["enum"]
    for zone in zones:
        response = alice.create(
            {"title": zone, "due_date": "2026-03-08", "time_zone": zone}
        )
        assert response.status_code == 201, (zone, response.text)
        assert alice.delete(response.json()["id"]).status_code == 204
