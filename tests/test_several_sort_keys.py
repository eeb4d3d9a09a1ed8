"""`sort` with two and three keys pages every task exactly once, in order.

The keys come from the contract's TaskSort and the bounds from listTasks'
`sort` parameter: every pair of keys in every pair of directions, and
three-key sorts that put each key first, second and third in every mix of
directions. The tasks tie on each key and on every two (titles, priorities
and due instants repeat; an all-day task falls due at the same instant as a
timed one) and have no due date at all, so each later key and the id, in
the first key's direction, decide. Limit 3.
"""

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from tests import contract
from tests.support import Api

TASKS = 16
PAGE = 3
SORTED_BY = {"due": "falls_due"}
"""The Task field holding a sort key's value, where it has another name."""

TITLES = ["b", "a"]
PRIORITIES = ["high", "none", "low"]
DUE: list[dict[str, Any]] = [
    {},
    {"due_at": "2026-12-08T17:00:00Z"},
    # Falls due at the end of its day in Los Angeles: 2026-12-09T08:00Z...
    {"due_date": "2026-12-08", "time_zone": "America/Los_Angeles"},
    # ...as this one does.
    {"due_at": "2026-12-09T00:00:00-08:00"},
]


def keys() -> list[str]:
    return list(dict.fromkeys(s.removeprefix("-") for s in contract.sort_values()))


def sort_bounds() -> tuple[int, int]:
    [listing] = [o for o in contract.operations() if o.operation_id == "listTasks"]
    [sort] = [p for p in listing.parameters if p["name"] == "sort"]
    schema = contract.resolve(sort["schema"])
    return schema["minItems"], schema["maxItems"]


def two_key_sorts() -> Iterator[str]:
    for first, second in itertools.permutations(keys(), 2):
        for signs in itertools.product("-+", repeat=2):
            yield ",".join(
                s.strip("+") + k for s, k in zip(signs, (first, second), strict=True)
            )


def three_key_sorts() -> Iterator[str]:
    found = keys()
    for start in range(len(found)):
        trio = [found[(start + n) % len(found)] for n in range(3)]
        for signs in itertools.product("-+", repeat=3):
            yield ",".join(s.strip("+") + k for s, k in zip(signs, trio, strict=True))


def position(key: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    """A task's place by one key, ascending: its value, NULL after all."""
    name = SORTED_BY.get(key, key)
    field, _ = contract.unwrap(contract.schema("Task")["properties"][name])
    read: Callable[[Any], Any] = str
    if field.get("x-ordered"):
        read = list(field["enum"]).index
    elif field.get("format") == "date-time":
        read = datetime.fromisoformat

    def place(task: dict[str, Any]) -> tuple[bool, Any]:
        value = task[name]
        return (value is None, None if value is None else read(value))

    return place


def expected_order(tasks: list[dict[str, Any]], sort: str) -> list[str]:
    """The contract's order: each key in its direction, NULLs after every
    value ascending (so before them descending), then id in the first
    key's direction. Sorted stably from the last criterion to the first."""
    ordered = sorted(tasks, key=lambda t: UUID(t["id"]), reverse=sort[0] == "-")
    for part in reversed(sort.split(",")):
        place = position(part.removeprefix("-"))
        ordered = sorted(ordered, key=place, reverse=part.startswith("-"))
    return [task["id"] for task in ordered]


def page_through(alice: Api, sort: str) -> list[str]:
    seen: list[str] = []
    params: dict[str, Any] = {"sort": sort, "limit": PAGE}
    while True:
        response = alice.list(**params)
        assert response.status_code == 200, (sort, response.text)
        page = response.json()
        seen += [task["id"] for task in page["items"]]
        if page["next_cursor"] is None:
            return seen
        params["cursor"] = page["next_cursor"]
        assert len(seen) <= TASKS, f"{sort}: the pages do not end"


@pytest.fixture
def tasks(alice: Api) -> list[dict[str, Any]]:
    return [
        alice.new_task(
            TITLES[n % len(TITLES)],
            priority=PRIORITIES[n % len(PRIORITIES)],
            **DUE[n % len(DUE)],
        )
        for n in range(TASKS)
    ]


def test_every_key_has_a_field_to_check_the_order_by() -> None:
    fields = contract.schema("Task")["properties"]
    assert all(SORTED_BY.get(key, key) in fields for key in keys())
    assert sort_bounds() == (1, 3), "this test pages sorts of two and three keys"


@pytest.mark.parametrize("sorts", [two_key_sorts, three_key_sorts])
def test_several_keys_page_every_task_once_in_order(
    alice: Api, tasks: list[dict[str, Any]], sorts: Callable[[], Iterator[str]]
) -> None:
    for sort in sorts():
        seen = page_through(alice, sort)
        assert sorted(seen) == sorted(t["id"] for t in tasks), sort
        assert seen == expected_order(tasks, sort), sort


def test_the_tasks_tie_on_every_two_keys_and_have_nulls(
    tasks: list[dict[str, Any]],
) -> None:
    """The data above makes the test above mean something."""
    assert any(task["falls_due"] is None for task in tasks)
    instants = [t["falls_due"] for t in tasks if t["due_date"] is not None]
    assert any(t["due_at"] is not None and t["falls_due"] in instants for t in tasks)
    triples = [(t["title"], t["priority"], t["falls_due"]) for t in tasks]
    assert len(set(triples)) < len(triples)


def test_repeating_sort_means_the_same_as_commas(
    alice: Api, tasks: list[dict[str, Any]]
) -> None:
    commas = alice.list(sort="title,-priority", limit=TASKS)
    repeated = alice.client.get(
        alice.tasks_url(), params=[("sort", "title"), ("sort", "-priority")]
    )
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["items"] == commas.json()["items"]


@pytest.mark.parametrize("sort", ["due,title,priority,created_at", "due,", "sideways"])
def test_a_sort_the_contract_refuses_gets_422_naming_it(alice: Api, sort: str) -> None:
    response = alice.list(sort=sort)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"].startswith("/sort")


def test_a_cursor_of_one_sort_is_refused_by_another(
    alice: Api, tasks: list[dict[str, Any]]
) -> None:
    first = alice.list(sort="title,due", limit=PAGE).json()
    response = alice.list(sort="title,-due", limit=PAGE, cursor=first["next_cursor"])
    assert response.status_code == 400, response.text
