"""syncTasks: a full sync, then what changed since a token, deletions
included, for every write path; a token past retention gets 410; and no
change is missed when writes commit in another order than they started."""

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from impl.tasks.sync import tokens
from impl.tasks.sync.feed import PAGE_BYTES, PURGE, PURGE_MARGIN
from impl.tasks.sync.tokens import NIL, Token
from tests.support import Api, Database, lock_waits, row_locked

RETENTION = timedelta(days=30)
"""The suite's server runs with the default SYNC_RETENTION."""


class Replica:
    """A client's copy of one user's tasks, kept by applying sync pages as
    the contract tells a client to."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.token: str | None = None

    def apply(self, page: dict[str, Any], *, first: bool) -> None:
        if page["full"] and first:
            self.tasks.clear()
        for task in page["changed"]:
            self.tasks[task["id"]] = task
        for gone in page["deleted"]:
            self.tasks.pop(gone["id"], None)
        self.token = page["token"]

    async def sync(self, client: httpx.AsyncClient, user_id: str, limit: int) -> int:
        """Sync until `more` is false; how many pages it took."""
        first, pages = True, 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if self.token is not None:
                params["token"] = self.token
            response = await client.get(f"/api/{user_id}/sync", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            self.apply(page, first=first)
            first, pages = False, pages + 1
            if not page["more"]:
                return pages


def sync(api: Api, token: str | None = None, **params: Any) -> dict[str, Any]:
    if token is not None:
        params["token"] = token
    response = api.client.get(f"/api/{api.user_id}/sync", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def server_tasks(api: Api) -> dict[str, dict[str, Any]]:
    """Every task of the user, as listTasks pages them."""
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor is not None:
            params["cursor"] = cursor
        page = api.list(**params).json()
        found.update({task["id"]: task for task in page["items"]})
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_a_full_sync_pages_every_task_once_then_nothing_is_new(alice: Api) -> None:
    made = {alice.new_task(f"task {n}")["id"] for n in range(5)}
    seen: list[str] = []
    page = sync(alice, limit=2)
    pages = [page]
    while page["more"]:
        page = sync(alice, page["token"], limit=2)
        pages.append(page)
    seen = [task["id"] for p in pages for task in p["changed"]]

    assert sorted(seen) == sorted(made)
    assert [p["more"] for p in pages] == [True, True, False]
    assert all(p["full"] and p["deleted"] == [] for p in pages)
    caught_up = sync(alice, pages[-1]["token"])
    assert {key: value for key, value in caught_up.items() if key != "token"} == {
        "changed": [],
        "deleted": [],
        "more": False,
        "full": False,
    }


def test_every_write_path_feeds_the_sync(alice: Api) -> None:
    kept = alice.new_task("replace me")
    patched = alice.new_task("patch me")
    deleted = alice.new_task("delete me")
    done = alice.new_task("clear me", completed=True)
    chore = alice.new_task("Bins", due_date="2026-12-01", recurrence="FREQ=WEEKLY")
    token = sync(alice)["token"]

    created = alice.new_task("new")
    keyed = alice.create({"title": "keyed"}, headers={"Idempotency-Key": "k-1"})
    assert keyed.status_code == 201
    assert alice.put(kept["id"], {"title": "replaced"}).status_code == 200
    assert alice.patch(patched["id"], {"priority": "high"}).status_code == 200
    assert alice.delete(deleted["id"]).status_code == 204
    assert (
        alice.client.delete(alice.tasks_url(), params={"completed": "true"}).status_code
        == 200
    )
    completed = alice.patch(chore["id"], {"completed": True}).json()

    page = sync(alice, token)

    changed = {task["id"]: task for task in page["changed"]}
    assert set(changed) == {
        created["id"],
        keyed.json()["id"],
        kept["id"],
        patched["id"],
        chore["id"],
        completed["next_occurrence"],
    }
    assert changed[kept["id"]]["title"] == "replaced"
    assert changed[patched["id"]]["priority"] == "high"
    assert changed == {task_id: alice.get(task_id).json() for task_id in changed}
    assert {gone["id"] for gone in page["deleted"]} == {deleted["id"], done["id"]}
    assert (page["more"], page["full"]) == (False, False)


def test_changes_come_in_the_order_of_their_writes(alice: Api) -> None:
    first, second = alice.new_task("first"), alice.new_task("second")
    token = sync(alice)["token"]
    alice.patch(second["id"], {"title": "second, changed first"})
    alice.patch(first["id"], {"title": "first, changed second"})

    page = sync(alice, token)

    assert [task["id"] for task in page["changed"]] == [second["id"], first["id"]]


def test_a_task_deleted_during_a_full_sync_is_deleted_in_a_later_page(
    alice: Api,
) -> None:
    tasks = [alice.new_task(f"task {n}") for n in range(3)]
    page = sync(alice, limit=1)
    [served] = page["changed"]
    assert alice.delete(served["id"]).status_code == 204

    replica = Replica()
    replica.apply(page, first=True)
    while page["more"]:
        page = sync(alice, page["token"], limit=1)
        replica.apply(page, first=False)

    assert page["full"]
    assert set(replica.tasks) == {task["id"] for task in tasks} - {served["id"]}


def test_a_full_sync_leaves_out_tasks_deleted_before_it(alice: Api) -> None:
    gone = alice.new_task("gone")
    alice.delete(gone["id"])

    assert sync(alice)["deleted"] == []


def test_deletions_carry_the_id_and_when(alice: Api) -> None:
    task = alice.new_task()
    token = sync(alice)["token"]
    alice.delete(task["id"])

    [gone] = sync(alice, token)["deleted"]

    assert gone["id"] == task["id"]
    deleted_at = datetime.fromisoformat(gone["deleted_at"])
    assert abs(datetime.now(UTC) - deleted_at) < timedelta(minutes=1)


def problem_type(response: httpx.Response) -> str:
    assert response.status_code == 410, response.text
    kind: str = response.json()["type"]
    return kind


GONE = "https://todo-api.example/problems/sync-token-expired"


def test_a_token_past_retention_gets_410(alice: Api) -> None:
    alice.new_task()
    issued = datetime.now(UTC) - RETENTION - timedelta(seconds=5)
    old = tokens.issue(alice.user_id, Token(1, NIL, None, issued))
    recent = tokens.issue(
        alice.user_id, Token(1, NIL, None, issued + timedelta(seconds=60))
    )

    response = alice.client.get(f"/api/{alice.user_id}/sync", params={"token": old})

    assert problem_type(response) == GONE
    assert sync(alice, recent)["changed"] != []


def test_a_token_of_another_user_or_altered_gets_410(alice: Api, bob: Api) -> None:
    bobs = sync(bob)["token"]
    altered = sync(alice)["token"][:-2] + "AA"

    for token in (bobs, altered, "not-a-token"):
        response = alice.client.get(
            f"/api/{alice.user_id}/sync", params={"token": token}
        )
        assert problem_type(response) == GONE, token


def test_users_never_see_each_others_changes(alice: Api, bob: Api) -> None:
    token = sync(alice)["token"]
    bobs = bob.new_task("bob's")
    bob.delete(bob.new_task("bob's, deleted")["id"])
    bob.patch(bobs["id"], {"title": "still bob's"})

    assert sync(alice)["changed"] == []
    page = sync(alice, token)
    assert (page["changed"], page["deleted"]) == ([], [])


def test_the_purge_removes_only_tombstones_past_retention(
    alice: Api, db: Database
) -> None:
    old, recent = alice.new_task("old"), alice.new_task("recent")
    alice.delete(old["id"])
    alice.delete(recent["id"])
    asyncio.run(
        db.execute(
            "UPDATE deleted_tasks SET deleted_at = now() - $1::interval WHERE id = $2",
            RETENTION + PURGE_MARGIN + timedelta(minutes=1),
            old["id"],
        )
    )

    asyncio.run(db.execute(PURGE.sql, RETENTION + PURGE_MARGIN))

    left = asyncio.run(db.fetch("SELECT id::text FROM deleted_tasks"))
    assert [row["id"] for row in left] == [recent["id"]]


WRITERS = 8
RUNS = 20


async def race(api: Api, db_url: str, rng: random.Random) -> None:
    """One run: another connection locks one task's row and writes another
    task, uncommitted (its transaction took its id first); an HTTP write of
    the locked task waits behind it; 8 writers create, change and delete
    meanwhile, and a client syncs throughout; then the held transaction
    commits, and the waiting write after it. The client's copy must equal
    the server's tasks, the held write included: nothing written later
    covers it."""
    base, headers = str(api.client.base_url), dict(api.client.headers)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        url = f"/api/{api.user_id}/tasks"

        async def create(title: str) -> str:
            response = await client.post(url, json={"title": title})
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        held, locked = await create("held"), await create("locked")
        live = [await create(f"seed {n}") for n in range(8)]
        replica = Replica()
        await replica.sync(client, api.user_id, limit=3)

        async def writer(number: int) -> None:
            for step in range(6):
                choice = rng.random()
                if choice < 0.4 or not live:
                    live.append(await create(f"writer {number} step {step}"))
                elif choice < 0.75:
                    task = rng.choice(live)
                    response = await client.patch(
                        f"{url}/{task}",
                        content=f'{{"title": "w{number} s{step}"}}',
                        headers={"Content-Type": "application/merge-patch+json"},
                    )
                    assert response.status_code in (200, 404), response.text
                else:
                    task = live.pop(rng.randrange(len(live)))
                    response = await client.delete(f"{url}/{task}")
                    assert response.status_code in (204, 404), response.text

        async with row_locked(db_url, locked) as holder:
            await holder.execute(
                "UPDATE tasks SET title = 'held, written first' WHERE id = $1::uuid",
                held,
            )
            waiting = asyncio.create_task(
                client.patch(
                    f"{url}/{locked}",
                    content='{"priority": "high"}',
                    headers={"Content-Type": "application/merge-patch+json"},
                )
            )
            for _ in range(500):
                if await lock_waits(holder):
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the PATCH of the locked task never reached its row")
            writers = asyncio.gather(*(writer(n) for n in range(WRITERS)))
            while not writers.done():
                await replica.sync(client, api.user_id, limit=3)
            await writers
        assert (await waiting).status_code == 200
        await replica.sync(client, api.user_id, limit=3)

    truth = await asyncio.to_thread(server_tasks, api)
    assert replica.tasks == truth
    assert truth[held]["title"] == "held, written first"
    assert truth[locked]["priority"] == "high"


def test_racing_writers_with_a_commit_held_back_miss_nothing(
    alice: Api, db: Database
) -> None:
    rng = random.Random(38)  # noqa: S311 - a reproducible schedule, not a secret
    for _ in range(RUNS):
        asyncio.run(race(alice, db.url, rng))
        asyncio.run(db.execute("TRUNCATE users, tasks CASCADE"))


def test_a_held_transaction_holds_the_feed_back_and_then_lets_it_through(
    alice: Api, db: Database
) -> None:
    task = alice.new_task("held")
    token = sync(alice)["token"]

    async def run() -> None:
        holder = await asyncpg.connect(db.url)
        try:
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute(
                "UPDATE tasks SET title = 'late' WHERE id = $1::uuid", task["id"]
            )
            later = await asyncio.to_thread(alice.new_task, "committed meanwhile")
            page = await asyncio.to_thread(sync, alice, token)
            assert page["changed"] == [], "served past a running write"
            await transaction.commit()
            page = await asyncio.to_thread(sync, alice, token)
            titles = [changed["title"] for changed in page["changed"]]
            assert titles == ["late", later["title"]]
        finally:
            await holder.close()

    asyncio.run(run())


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_outside_1_to_500_is_refused(alice: Api, limit: int) -> None:
    response = alice.client.get(f"/api/{alice.user_id}/sync", params={"limit": limit})
    assert response.status_code == 422


def test_a_page_of_large_tasks_ends_at_its_byte_budget(
    alice: Api, db: Database
) -> None:
    """500 tasks of 10,000 characters would be a 5 MB page: it ends near
    PAGE_BYTES, and the next pages bring the rest, each task once."""
    asyncio.run(
        db.execute(
            "INSERT INTO users (id, task_count) VALUES ('alice', 500);"
            " INSERT INTO tasks (user_id, title, description)"
            " SELECT 'alice', 'large ' || n, repeat('x', 10000)"
            " FROM generate_series(1, 500) AS n"
        )
    )
    pages = [sync(alice, limit=500)]
    while pages[-1]["more"]:
        pages.append(sync(alice, pages[-1]["token"], limit=500))

    sizes = [len(json.dumps(page)) for page in pages]
    assert len(pages) == 3, sizes
    assert all(size < PAGE_BYTES + 20_000 for size in sizes), sizes
    served = [task["id"] for page in pages for task in page["changed"]]
    assert len(served) == len(set(served)) == 500
