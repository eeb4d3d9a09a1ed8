"""listTasks' `priority`: one value, or repeated for any of several
(`priority=high&priority=medium`), with every sort key and the cursor."""

import pytest

from tests import contract
from tests.support import Api

PRIORITIES = contract.schema("Priority")["enum"]


def ids(response: object) -> list[str]:
    return [t["id"] for t in response.json()["items"]]  # type: ignore[attr-defined]


@pytest.fixture
def one_of_each(alice: Api) -> dict[str, str]:
    return {p: alice.new_task(f"a {p} task", priority=p)["id"] for p in PRIORITIES}


def test_one_priority_lists_its_tasks(alice: Api, one_of_each: dict[str, str]) -> None:
    for priority, task_id in one_of_each.items():
        assert ids(alice.list(priority=priority)) == [task_id]


@pytest.mark.parametrize("sort", contract.sort_values())
def test_a_repeated_priority_lists_any_of_them_page_by_page(
    alice: Api, one_of_each: dict[str, str], sort: str
) -> None:
    wanted = PRIORITIES[-2:]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"priority": wanted, "sort": sort, "limit": 1}
        response = alice.list(**params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        seen += ids(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(one_of_each[p] for p in wanted)
