"""Every sort key the contract declares pages every task exactly once, in order.

The sort values and the type of each field come from openapi.yaml, so a new
sort key (nullable or not, of any type) is paged here as soon as it is in the
contract: both directions, limit 3, over ties and, for a nullable field,
NULLs, which the contract's TaskSort places after every value ascending and
before every value descending. Ties are broken by id in the sort's direction.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import pytest

from tests import contract
from tests.support import Api

TASKS = 10
PAGE = 3

# Per format or type: values with ties (two equal, one apart), in the order
# the service must sort them, and how to read one back for comparing.
DATE_TIMES = [
    "2026-12-02T10:00:00+01:00",
    "2026-12-01T00:00:00Z",
    # The same instant as the first, in another offset: a tie.
    "2026-12-02T09:00:00Z",
]
SAMPLES: dict[str, tuple[list[Any], Callable[[Any], Any]]] = {
    "date-time": (DATE_TIMES, datetime.fromisoformat),
    "date": (["2026-12-02", "2026-12-01", "2026-12-02"], date.fromisoformat),
    "uuid": (
        [
            "00000000-0000-4000-8000-000000000002",
            "00000000-0000-4000-8000-000000000001",
            "00000000-0000-4000-8000-000000000002",
        ],
        UUID,
    ),
    "string": (["b", "a", "b"], str),
    "integer": ([2, 1, 2], int),
    "number": ([2.5, -1.0, 2.5], float),
    "boolean": ([True, False, True], bool),
}


def kind(field: contract.Schema) -> str:
    field, _ = contract.unwrap(field)
    if field.get("format") in SAMPLES:
        return str(field["format"])
    [found] = [t for t in contract.types(field) if t != "null"]
    return found


def samples(field: contract.Schema) -> list[Any]:
    """Values of the field for the tasks to create: ties, and NULLs if allowed."""
    field, nullable = contract.unwrap(field)
    members = [member for member in field.get("enum", []) if member is not None]
    values = members[::-1][:2] * 2 if members else SAMPLES[kind(field)][0]
    if nullable:
        values = [*values, None]
    return [values[n % len(values)] for n in range(TASKS)]


def reader(field: contract.Schema) -> Callable[[Any], Any]:
    field, _ = contract.unwrap(field)
    if field.get("x-ordered"):
        # An enumeration that sorts by rank, its members in order.
        return list(field["enum"]).index
    return str if "enum" in field else SAMPLES[kind(field)][1]


DERIVED_KEYS = {"due": "tests/test_due_dates.py"}
"""Sort keys that order by a value the service derives from a task's fields,
not by one of them, each paged by a test of its own."""


def expected_order(
    tasks: list[dict[str, Any]], key: str, descending: bool
) -> list[str]:
    field = contract.schema("Task")["properties"][key]
    read = reader(field)

    def position(task: dict[str, Any]) -> tuple[bool, Any, UUID]:
        value = task[key]
        # NULLs last ascending, and so first descending.
        return (value is None, None if value is None else read(value), UUID(task["id"]))

    ordered = sorted(tasks, key=position, reverse=descending)
    return [task["id"] for task in ordered]


def page_through(alice: Api, sort: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        response = alice.list(**params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= PAGE
        seen += [task["id"] for task in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        assert len(seen) <= TASKS, "the pages do not end"


FIELD_SORTS = [
    sort
    for sort in contract.sort_values()
    if sort.removeprefix("-") not in DERIVED_KEYS
]


def test_every_sort_key_is_a_field_or_paged_elsewhere() -> None:
    fields = contract.schema("Task")["properties"]
    for sort in contract.sort_values():
        key = sort.removeprefix("-")
        assert key in fields or key in DERIVED_KEYS, f"page {key!r} in a test"


@pytest.mark.parametrize("sort", FIELD_SORTS)
def test_every_sort_key_pages_every_task_once_in_order(alice: Api, sort: str) -> None:
    key = sort.removeprefix("-")
    schema = contract.schema("TaskCreate")
    writable = schema["properties"]
    bodies = [contract.minimal_body(schema) for _ in range(TASKS)]
    if key in writable:
        for body, value in zip(bodies, samples(writable[key]), strict=True):
            body[key] = value
    responses = [alice.create(body) for body in bodies]
    assert all(r.status_code == 201 for r in responses), responses[0].text
    created = [response.json() for response in responses]

    seen = page_through(alice, sort)

    assert sorted(seen) == sorted(task["id"] for task in created)
    assert seen == expected_order(created, key, sort.startswith("-"))


def test_the_samples_hold_ties_and_nulls() -> None:
    """The values above make the test above mean something."""
    nullable = {"type": ["string", "null"], "format": "date-time"}
    values = samples(nullable)
    assert None in values
    read = reader(nullable)
    instants = [read(v) for v in values if v is not None]
    assert len(set(instants)) < len(instants)
