"""Tags (the `tag` filter, all of them, and listTags), search (`q`: every
word in the title or the description) and clearing the completed tasks."""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from generated.models import TaskSort
from impl.tasks.listing import list_statement
from tests import contract
from tests.support import Api, Database


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()["items"]]


def test_tag_repeated_selects_the_tasks_with_every_tag(alice: Api) -> None:
    both = alice.new_task("both", tags=["home", "errands"])
    alice.new_task("home only", tags=["home"])
    alice.new_task("none")

    assert ids(alice.list(tag=["home", "errands"])) == [both["id"]]
    assert len(ids(alice.list(tag="home"))) == 2


def test_list_tags_counts_each_tag_by_name(alice: Api, bob: Api) -> None:
    alice.new_task("a", tags=["work", "Home"])
    alice.new_task("b", tags=["work"])
    bob.new_task("c", tags=["secret"])

    response = alice.client.get(f"/api/{alice.user_id}/tags")

    assert response.status_code == 200
    assert response.json() == {
        "items": [{"name": "Home", "count": 1}, {"name": "work", "count": 2}]
    }


def test_q_finds_the_tasks_where_each_word_begins_a_word(alice: Api) -> None:
    split = alice.new_task("Call the SHOP", description="about the milk")
    alice.new_task("call the shop")
    joined = alice.new_task("100% done", description="shop_milk, it's 'quoted'")

    assert sorted(ids(alice.list(q="MIL  sho"))) == sorted([split["id"], joined["id"]])
    # Within a word, a q word is not found: words are looked up.
    assert ids(alice.list(q="ilk")) == []
    # Punctuation splits words, on both sides alike; quotes are words' own.
    assert ids(alice.list(q="it's 'quot 100%")) == [joined["id"]]
    # A q without words leaves every task in.
    assert len(ids(alice.list(q="%% _"))) == 3


def test_q_reads_the_tasks_words_not_their_text(alice: Api, db: Database) -> None:
    """A task's words are kept with it (the column `words`), so that the
    list's condition reads them, never the title or the description: each
    word of q costs a lookup, however long the task."""
    alice.new_task("Buy milk", description="milk " * 1999)
    bound = list_statement((TaskSort.CREATED_AT,), frozenset({"q"}), after=None)(
        {"owner": alice.user_id, "limit": 51, "filter": {"q": "mil"}, "after": {}}
    )

    [[plan]] = asyncio.run(
        db.fetch(f"EXPLAIN (VERBOSE, FORMAT JSON) {bound.sql}", *bound.arguments)
    )

    [scan] = [node for node in walk(json.loads(plan)[0]["Plan"]) if "Filter" in node]
    assert "words @@" in scan["Filter"]
    assert "description" not in scan["Filter"]
    assert "title" not in scan["Filter"]
    assert ids(alice.list(q="mil")) != []


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


@pytest.mark.parametrize("sort", contract.sort_values())
def test_q_and_tags_page_with_every_sort_key_each_task_once(
    alice: Api, sort: str
) -> None:
    matching = {
        alice.new_task(
            f"milk {n}",
            description=None if n % 2 else "from the shop",
            priority=["none", "low", "high"][n % 3],
            due_date=None if n % 3 else f"2026-12-0{n + 1}",
            tags=["home", "errands"] if n % 2 else ["errands", "home", "x"],
        )["id"]
        for n in range(7)
    }
    alice.new_task("bread", description="from the shop", tags=["home", "errands"])
    alice.new_task("milk, no tags")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {
            "q": "MILK",
            "tag": ["errands", "home"],
            "sort": sort,
            "limit": 3,
        }
        response = alice.list(**params, **({"cursor": cursor} if cursor else {}))
        seen += ids(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen))
    assert set(seen) == matching


def test_clear_completed_deletes_only_the_completed(
    alice: Api, bob: Api, db: Database
) -> None:
    kept = alice.new_task("open")
    alice.new_task("done", completed=True)
    alice.new_task("also done", completed=True)
    bobs = bob.new_task("bob's", completed=True)

    response = alice.client.delete(alice.tasks_url(), params={"completed": "true"})

    assert response.status_code == 200
    assert response.json() == {"deleted": 2}
    assert ids(alice.list()) == [kept["id"]]
    assert bob.get(bobs["id"]).status_code == 200


@pytest.mark.parametrize("params", [{}, {"completed": "false"}])
def test_clear_without_completed_true_is_refused_and_deletes_nothing(
    alice: Api, db: Database, params: dict[str, str]
) -> None:
    alice.new_task("done", completed=True)
    before = db.snapshot()

    response = alice.client.delete(alice.tasks_url(), params=params)

    assert response.status_code == 422
    assert db.snapshot() == before
