"""Conditional reads (RFC 9110 13.1.2): a client holding a task or a list
page sends its ETag in If-None-Match and gets 304 without a body while
nothing changed, the whole answer once something did. A list page's ETag
is a digest of its bytes; its 304 costs PostgreSQL the page's one
statement (tests/test_round_trips.py)."""

import httpx
import pytest

from tests.support import Api


def get(api: Api, task_id: str, if_none_match: str) -> httpx.Response:
    return api.client.get(
        api.task_url(task_id), headers={"If-None-Match": if_none_match}
    )


def listed(api: Api, if_none_match: str, **params: str | int) -> httpx.Response:
    return api.client.get(
        api.tasks_url(), params=params, headers={"If-None-Match": if_none_match}
    )


def test_get_task_is_304_for_its_current_etag(alice: Api) -> None:
    task = alice.new_task()
    current = alice.get(task["id"]).headers["ETag"]

    for header in [current, f"W/{current}", f'"7", {current}', "*"]:
        response = get(alice, task["id"], header)
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["ETag"] == current


def test_get_task_is_200_once_the_task_changed(alice: Api) -> None:
    task = alice.new_task()
    held = alice.get(task["id"]).headers["ETag"]
    alice.patch(task["id"], {"title": "Changed"})

    response = get(alice, task["id"], held)

    assert response.status_code == 200
    assert response.json()["title"] == "Changed"
    assert response.headers["ETag"] != held


def test_a_missing_task_is_404_whatever_if_none_match_says(alice: Api) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    assert get(alice, missing, "*").status_code == 404


def test_a_list_page_carries_an_etag_and_is_304_while_unchanged(alice: Api) -> None:
    for title in ["a", "b", "c"]:
        alice.new_task(title)
    first = alice.list(limit=2)
    etag = first.headers["ETag"]

    again = listed(alice, etag, limit=2)

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    second = alice.list(limit=2, cursor=first.json()["next_cursor"])
    assert second.headers["ETag"] != etag


@pytest.mark.parametrize(
    "change",
    [
        lambda api, task: api.patch(task["id"], {"completed": True}),
        lambda api, task: api.delete(task["id"]),
        lambda api, task: api.new_task("newest"),
    ],
    ids=["patched", "deleted", "created"],
)
def test_a_list_page_is_200_once_it_changed(alice: Api, change: object) -> None:
    task = alice.new_task("a")
    etag = alice.list().headers["ETag"]
    change(alice, task)  # type: ignore[operator]

    response = listed(alice, etag)

    assert response.status_code == 200
    assert response.headers["ETag"] != etag


@pytest.mark.parametrize("header", ["1", "", '"1', "W/1"])
def test_a_malformed_if_none_match_is_400(alice: Api, header: str) -> None:
    task = alice.new_task()

    for response in [get(alice, task["id"], header), listed(alice, header)]:
        assert response.status_code == 400, response.text
        problem = response.json()
        assert problem["type"].endswith("/precondition-malformed")
        assert problem["detail"].startswith("If-None-Match must be")
