"""MAX_TASKS_PER_USER: a user holds at most that many tasks, exactly, however
many creates race; a delete makes room; a replay still gets its first answer.
"""

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from impl.settings import Settings
from tests.contract import operations, problems
from tests.support import Api, Database, Keys, LiveServer, changed

QUOTA = 3
QUOTA_PROBLEM = problems()["TaskQuotaExceeded"]
[CREATE] = [o for o in operations() if o.spec["operationId"] == "createTask"]


@pytest.fixture(scope="module")
def small_quota(settings: Settings, db: Database) -> Iterator[LiveServer]:
    with LiveServer.serve(changed(settings, max_tasks_per_user=QUOTA)) as live:
        yield live


@pytest.fixture
def carol(small_quota: LiveServer, keys: Keys, db: Database) -> Iterator[Api]:
    with Api.for_user(small_quota.base_url, "carol", keys) as api:
        yield api


def assert_quota_problem(response: httpx.Response) -> None:
    assert response.status_code == QUOTA_PROBLEM["status"], response.text
    assert str(response.status_code) in CREATE.spec["responses"]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == QUOTA_PROBLEM["type"] != "about:blank"
    assert body["title"] == QUOTA_PROBLEM["title"]
    assert str(QUOTA) in body["detail"]


def test_a_create_beyond_the_quota_is_refused_and_writes_nothing(
    carol: Api, db: Database
) -> None:
    for number in range(QUOTA):
        carol.new_task(f"task {number}")
    before = db.snapshot()
    assert_quota_problem(carol.create({"title": "one too many"}))
    assert_quota_problem(
        carol.create({"title": "keyed"}, headers={"Idempotency-Key": "k"})
    )
    assert db.snapshot() == before


def test_a_delete_makes_room_again(carol: Api) -> None:
    tasks = [carol.new_task(f"task {number}") for number in range(QUOTA)]
    assert carol.delete(tasks[0]["id"]).status_code == 204
    carol.new_task("fits again")
    assert_quota_problem(carol.create({"title": "full again"}))


def test_a_conditional_delete_makes_room_too(carol: Api) -> None:
    tasks = [carol.new_task(f"task {number}") for number in range(QUOTA)]
    first = carol.get(tasks[0]["id"])
    headers = {"If-Match": first.headers["ETag"]}
    gone = carol.client.delete(carol.task_url(tasks[0]["id"]), headers=headers)
    assert gone.status_code == 204
    carol.new_task("fits again")


def test_a_failed_delete_makes_no_room(carol: Api) -> None:
    tasks = [carol.new_task(f"task {number}") for number in range(QUOTA)]
    stale = {"If-Match": '"999"'}
    refused = carol.client.delete(carol.task_url(tasks[0]["id"]), headers=stale)
    assert refused.status_code == 412
    assert carol.delete("00000000-0000-4000-8000-000000000000").status_code == 404
    assert_quota_problem(carol.create({"title": "still full"}))


def test_a_replay_at_the_quota_gets_its_first_answer(carol: Api) -> None:
    key = {"Idempotency-Key": "first"}
    first = carol.create({"title": "kept"}, headers=key)
    assert first.status_code == 201
    for number in range(QUOTA - 1):
        carol.new_task(f"task {number}")
    replay = carol.create({"title": "kept"}, headers=key)
    assert replay.status_code == 201
    assert replay.json() == first.json()


def test_the_quota_is_each_users_own(
    carol: Api, small_quota: LiveServer, keys: Keys
) -> None:
    for number in range(QUOTA):
        carol.new_task(f"task {number}")
    with Api.for_user(small_quota.base_url, "dave", keys) as dave:
        dave.new_task("dave's first")


def test_concurrent_creates_stop_exactly_at_the_quota(
    carol: Api, small_quota: LiveServer, db: Database
) -> None:
    attempts = 4 * QUOTA

    async def race() -> Counter[int]:
        headers = dict(carol.client.headers)
        async with httpx.AsyncClient(
            base_url=small_quota.base_url, headers=headers
        ) as client:
            responses = await asyncio.gather(
                *(
                    client.post(carol.tasks_url(), json={"title": f"racer {n}"})
                    for n in range(attempts)
                )
            )
        return Counter(r.status_code for r in responses)

    assert asyncio.run(race()) == {201: QUOTA, 409: attempts - QUOTA}
    [row] = asyncio.run(
        db.fetch(
            "SELECT count(*) AS tasks, (SELECT task_count FROM users WHERE id = $1)"
            " AS counted FROM tasks WHERE user_id = $1",
            "carol",
        )
    )
    assert (row["tasks"], row["counted"]) == (QUOTA, QUOTA)


def test_completing_a_recurring_task_at_the_quota_changes_nothing(
    carol: Api, db: Database
) -> None:
    """Its next occurrence would pass the quota: 409, and the completion is
    rolled back with it (one transaction)."""
    weekly = carol.new_task("weekly", due_date="2026-12-01", recurrence="FREQ=WEEKLY")
    for number in range(QUOTA - 1):
        carol.new_task(f"task {number}")
    before = db.snapshot()

    assert_quota_problem(carol.patch(weekly["id"], {"completed": True}))

    assert db.snapshot() == before
    assert carol.get(weekly["id"]).json()["completed"] is False
