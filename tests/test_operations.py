"""Each operation behaves as openapi.yaml describes it."""

import asyncio
import io
import json
import logging
from datetime import datetime
from typing import Any

import pytest
from pythonjsonlogger.json import JsonFormatter

from impl.db.database import open_database
from impl.http.logs import JSON_FIELDS, RequestIdFilter, request_id
from impl.settings import Settings
from impl.tasks.idempotency import purge_expired_keys
from tests.contract import problems
from tests.support import Api, Database

ISO_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"


def count_tasks(db: Database, user_id: str) -> int:
    rows = asyncio.run(
        db.fetch("SELECT count(*) FROM tasks WHERE user_id = $1", user_id)
    )
    return int(rows[0][0])


# createTask


def test_create_returns_201_with_location_etag_and_server_fields(alice: Api) -> None:
    response = alice.create({"title": "Buy milk"})

    assert response.status_code == 201
    task = response.json()
    assert response.headers["Location"] == f"/api/alice/tasks/{task['id']}"
    assert response.headers["ETag"] == '"1"'
    assert task["user_id"] == "alice"
    assert task["title"] == "Buy milk"
    assert task["description"] is None
    assert task["completed"] is False
    assert task["created_at"] == task["updated_at"]
    assert datetime.strptime(task["created_at"], ISO_UTC)


def test_create_stores_every_field(alice: Api) -> None:
    body = {"title": "File taxes", "description": "Before April.", "completed": True}

    task = alice.create(body).json()

    assert {k: task[k] for k in body} == body
    assert alice.get(task["id"]).json() == task


def test_create_makes_the_user_row_once(alice: Api, db: Database) -> None:
    alice.new_task("one")
    alice.new_task("two")

    rows = asyncio.run(db.fetch("SELECT id FROM users"))
    assert [row["id"] for row in rows] == ["alice"]


def test_task_ids_are_random_uuid4(alice: Api) -> None:
    ids = [alice.new_task()["id"] for _ in range(3)]

    assert len(set(ids)) == 3
    assert all(task_id[14] == "4" for task_id in ids)


# getTask


def test_get_returns_the_task_with_its_etag(alice: Api) -> None:
    task = alice.new_task()

    response = alice.get(task["id"])

    assert response.status_code == 200
    assert response.json() == task
    assert response.headers["ETag"] == '"1"'


def test_get_unknown_task_is_404_problem(alice: Api) -> None:
    response = alice.get("00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    expected = problems()["TaskNotFound"]
    assert response.json() == {
        "type": expected["type"],
        "title": "Not Found",
        "status": 404,
        "detail": "Task not found.",
    }


# updateTask


def test_put_replaces_every_mutable_field(alice: Api) -> None:
    task = alice.new_task("Draft", description="old", completed=True)

    response = alice.put(task["id"], {"title": "Final"})

    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "Final"
    assert updated["description"] is None
    assert updated["completed"] is False
    assert updated["id"] == task["id"]
    assert updated["created_at"] == task["created_at"]
    assert updated["updated_at"] > task["updated_at"]
    assert response.headers["ETag"] == '"2"'
    assert alice.get(task["id"]).json() == updated


def test_put_unknown_task_is_404(alice: Api) -> None:
    response = alice.put("00000000-0000-4000-8000-000000000000", {"title": "x"})

    assert response.status_code == 404


def test_put_with_current_etag_succeeds(alice: Api) -> None:
    task = alice.new_task()

    response = alice.put(task["id"], {"title": "New"}, headers={"If-Match": '"1"'})

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'


def test_put_with_stale_etag_is_412_and_changes_nothing(alice: Api) -> None:
    task = alice.new_task()
    alice.put(task["id"], {"title": "Second"})

    response = alice.put(task["id"], {"title": "Lost"}, headers={"If-Match": '"1"'})

    assert response.status_code == 412
    assert alice.get(task["id"]).json()["title"] == "Second"


def test_if_match_accepts_a_list_and_star(alice: Api) -> None:
    task = alice.new_task()

    listed = alice.put(task["id"], {"title": "a"}, headers={"If-Match": '"7", "1"'})
    star = alice.put(task["id"], {"title": "b"}, headers={"If-Match": "*"})

    assert (listed.status_code, star.status_code) == (200, 200)


def test_weak_etags_and_other_tags_never_match(alice: Api) -> None:
    task = alice.new_task()

    for header in ['W/"1"', '"one"', '"01x"', 'W/"1", "2"']:
        response = alice.put(task["id"], {"title": "x"}, headers={"If-Match": header})
        assert response.status_code == 412, header


@pytest.mark.parametrize("header", ["1", "", '"1', "1, 2", '"1" "2"', 'w/"1"', "**"])
def test_a_malformed_if_match_is_400_and_changes_nothing(
    alice: Api, header: str
) -> None:
    """A 412 only ever means the version differs: `If-Match: 1` holding the
    current version is a malformed header, not a stale one."""
    task = alice.new_task()
    url = alice.task_url(task["id"])

    answers = [
        alice.put(task["id"], {"title": "x"}, headers={"If-Match": header}),
        alice.patch(task["id"], {"title": "x"}, headers={"If-Match": header}),
        alice.client.delete(url, headers={"If-Match": header}),
    ]

    for response in answers:
        assert response.status_code == 400, response.text
        problem = response.json()
        assert problem["type"].endswith("/precondition-malformed")
        assert '"3"' in problem["detail"]
    assert alice.get(task["id"]).json() == task


def test_if_match_on_unknown_task_is_404(alice: Api) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    response = alice.put(missing, {"title": "x"}, headers={"If-Match": '"1"'})

    assert response.status_code == 404


# deleteTask


def test_delete_returns_204_and_the_task_is_gone(alice: Api) -> None:
    task = alice.new_task()

    response = alice.delete(task["id"])

    assert response.status_code == 204
    assert response.content == b""
    assert alice.get(task["id"]).status_code == 404
    assert alice.delete(task["id"]).status_code == 404


def test_delete_honours_if_match(alice: Api) -> None:
    task = alice.new_task()
    url = alice.task_url(task["id"])

    stale = alice.client.delete(url, headers={"If-Match": '"9"'})
    current = alice.client.delete(url, headers={"If-Match": '"1"'})

    assert (stale.status_code, current.status_code) == (412, 204)


# listTasks


def test_list_of_a_new_user_is_empty(alice: Api) -> None:
    response = alice.list()

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_list_is_newest_first_by_default(alice: Api) -> None:
    titles = ["first", "second", "third"]
    for title in titles:
        alice.new_task(title)

    items = alice.list().json()["items"]

    assert [item["title"] for item in items] == titles[::-1]


def walk(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Every task of the list, following next_cursor page by page."""
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page_params = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.list(**page_params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= int(str(params.get("limit", 50)))
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_pages_cover_every_task_once_in_order(alice: Api) -> None:
    created = [alice.new_task(f"task {i:02}")["id"] for i in range(7)]

    seen = walk(alice, limit=3)

    assert [task["id"] for task in seen] == created[::-1]


def test_a_full_last_page_has_no_next_cursor(alice: Api) -> None:
    for i in range(4):
        alice.new_task(f"t{i}")

    first = alice.list(limit=2).json()
    second = alice.list(limit=2, cursor=first["next_cursor"]).json()

    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


def test_sort_by_title_both_ways(alice: Api) -> None:
    for title in ["pear", "apple", "fig", "apple"]:
        alice.new_task(title)

    ascending = [t["title"] for t in walk(alice, sort="title", limit=2)]
    descending = [t["title"] for t in walk(alice, sort="-title", limit=3)]

    assert ascending == ["apple", "apple", "fig", "pear"]
    assert descending == ascending[::-1]


def test_sort_by_updated_at(alice: Api) -> None:
    old, new = alice.new_task("old"), alice.new_task("new")
    alice.put(old["id"], {"title": "old, edited"})

    ids = [t["id"] for t in walk(alice, sort="-updated_at", limit=1)]

    assert ids == [old["id"], new["id"]]


def test_filter_by_completed(alice: Api) -> None:
    alice.new_task("open")
    alice.new_task("done", completed=True)

    done = walk(alice, completed="true", limit=1)
    still_open = walk(alice, completed="false")

    assert [t["title"] for t in done] == ["done"]
    assert [t["title"] for t in still_open] == ["open"]


def test_pages_do_not_shift_when_tasks_are_added(alice: Api) -> None:
    for i in range(4):
        alice.new_task(f"t{i}")
    first = alice.list(limit=2).json()

    alice.new_task("newer than the cursor")
    second = alice.list(limit=2, cursor=first["next_cursor"]).json()

    assert [t["title"] for t in second["items"]] == ["t1", "t0"]


def test_a_cursor_is_bound_to_its_list(alice: Api) -> None:
    for i in range(3):
        alice.new_task(f"t{i}")
    cursor = alice.list(limit=1).json()["next_cursor"]

    other_sort = alice.list(limit=1, cursor=cursor, sort="title")
    other_filter = alice.list(limit=1, cursor=cursor, completed="false")

    assert (other_sort.status_code, other_filter.status_code) == (400, 400)


def test_a_tampered_cursor_is_400(alice: Api) -> None:
    for i in range(3):
        alice.new_task(f"t{i}")
    cursor = alice.list(limit=1).json()["next_cursor"]
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]

    for bad in [flipped, cursor[:-4], "AAAA", "x"]:
        response = alice.list(limit=1, cursor=bad)
        assert response.status_code == 400, bad
        assert response.headers["Content-Type"] == "application/problem+json"


# createTask with Idempotency-Key


def test_a_retried_post_returns_the_first_response_and_creates_one_task(
    alice: Api, db: Database
) -> None:
    headers = {"Idempotency-Key": "6a1f6a7e-retry"}

    first = alice.create({"title": "Once"}, headers=headers)
    again = alice.create({"title": "Once"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert count_tasks(db, "alice") == 1


def test_the_same_key_with_another_body_is_409(alice: Api, db: Database) -> None:
    headers = {"Idempotency-Key": "k-1"}
    alice.create({"title": "One"}, headers=headers)

    response = alice.create({"title": "Two"}, headers=headers)

    assert response.status_code == 409
    assert "another body" in response.json()["detail"]
    assert count_tasks(db, "alice") == 1


def test_idempotency_keys_are_scoped_per_user(alice: Api, bob: Api) -> None:
    headers = {"Idempotency-Key": "shared"}

    mine = alice.create({"title": "Same"}, headers=headers).json()
    theirs = bob.create({"title": "Same"}, headers=headers).json()

    assert mine["id"] != theirs["id"]
    assert theirs["user_id"] == "bob"


def test_deleting_the_task_forgets_its_key(alice: Api, db: Database) -> None:
    headers = {"Idempotency-Key": "gone"}
    first = alice.create({"title": "Again"}, headers=headers).json()
    alice.delete(first["id"])

    second = alice.create({"title": "Again"}, headers=headers)

    assert second.status_code == 201
    assert alice.get(second.json()["id"]).status_code == 200


def test_an_expired_key_creates_a_new_task(alice: Api, db: Database) -> None:
    headers = {"Idempotency-Key": "old"}
    first = alice.create({"title": "Daily"}, headers=headers).json()
    asyncio.run(
        db.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
        )
    )

    second = alice.create({"title": "Daily"}, headers=headers)

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert count_tasks(db, "alice") == 2


def test_expired_keys_are_purged(alice: Api, db: Database, settings: Settings) -> None:
    alice.create({"title": "a"}, headers={"Idempotency-Key": "stale"})
    alice.create({"title": "b"}, headers={"Idempotency-Key": "fresh"})
    asyncio.run(
        db.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
            " WHERE key = 'stale'"
        )
    )

    async def purge() -> int:
        async with open_database(settings, settings.database_url) as database:
            return await purge_expired_keys(database)

    assert asyncio.run(purge()) == 1
    remaining = asyncio.run(db.fetch("SELECT key FROM idempotency_keys"))
    assert [row["key"] for row in remaining] == ["fresh"]


# Probes


def test_health_and_readiness_answer_without_a_token(alice: Api) -> None:
    anonymous = alice.client.build_request("GET", "/health")
    anonymous.headers.pop("Authorization")

    assert alice.client.send(anonymous).json() == {"status": "ok"}
    ready = alice.client.get("/ready", headers={"Authorization": ""})
    assert ready.status_code == 200


def test_every_response_carries_a_request_id(alice: Api) -> None:
    echoed = alice.client.get("/health", headers={"X-Request-ID": "trace-42"})
    generated = alice.list()
    refused = alice.client.get("/health", headers={"X-Request-ID": "bad id\twith tab"})
    failed = alice.get("not-a-uuid")

    assert echoed.headers["X-Request-ID"] == "trace-42"
    assert len(generated.headers["X-Request-ID"]) == 32
    assert refused.headers["X-Request-ID"] != "bad id\twith tab"
    assert failed.status_code == 422
    assert failed.headers["X-Request-ID"]


def test_log_lines_carry_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(JSON_FIELDS))
    logger = logging.getLogger("tests.request_id")
    logger.addHandler(handler)
    token = request_id.set("trace-7")
    try:
        logger.warning("inside a request")
    finally:
        request_id.reset(token)
        logger.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert line["request_id"] == "trace-7"
    assert line["message"] == "inside a request"
