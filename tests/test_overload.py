"""Past capacity, requests take turns at the pool in arrival order, and past
DB_MAX_WAITING one is refused at once (503 with Retry-After) instead of
being left to wait; `make bench`'s overload scenario measures the rest.
"""

import asyncio
import time
from typing import Any

import httpx
import pytest

from impl.db.database import AtCapacity, open_database
from impl.db.statements import Bound
from impl.settings import Settings
from tests.support import Database, Keys, LiveServer, changed, lock_waits, row_locked

SLEEP = Bound(
    "SELECT pg_sleep(0.2)",
    [],
    idempotent=True,
    operation="SELECT",
    summary="SELECT sleep",
)


# `db`: the server's startup has created the tables that a new connection
# of the pool reads once (impl/db/pool.py's WARM_UP).
def test_past_db_max_waiting_a_statement_is_refused_at_once(
    settings: Settings, db: Database
) -> None:
    one_at_a_time = changed(settings, db_pool_size=1, db_max_waiting=1)

    async def run() -> list[object]:
        async with open_database(one_at_a_time, settings.database_url) as database:
            running = asyncio.create_task(database.fetch(SLEEP))
            waiting = asyncio.create_task(database.fetch(SLEEP))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            with pytest.raises(AtCapacity):
                await database.fetch(SLEEP)
            assert time.monotonic() - started < 0.05
            return list(await asyncio.gather(running, waiting))

    assert len(asyncio.run(run())) == 2


def test_waiting_statements_take_turns_in_arrival_order(
    settings: Settings, db: Database
) -> None:
    one_at_a_time = changed(settings, db_pool_size=1)
    finished: list[int] = []

    async def run() -> None:
        async with open_database(one_at_a_time, settings.database_url) as database:

            async def numbered(number: int) -> None:
                sleep = Bound(
                    "SELECT pg_sleep(0.02)", [], True, "SELECT", "SELECT sleep"
                )
                await database.fetch(sleep)
                finished.append(number)

            tasks = []
            for number in range(8):
                tasks.append(asyncio.create_task(numbered(number)))
                await asyncio.sleep(0.001)
            await asyncio.gather(*tasks)

    asyncio.run(run())
    assert finished == list(range(8))


def test_a_refused_request_gets_503_with_retry_after(
    settings: Settings, keys: Keys
) -> None:
    tight = changed(settings, db_pool_size=1, db_max_waiting=1)
    headers = {"Authorization": f"Bearer {keys.token('crowd')}"}

    async def crowd(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            return list(
                await asyncio.gather(
                    *(client.get("/api/crowd/tasks") for _ in range(40))
                )
            )

    with LiveServer.serve(tight) as live:
        responses = asyncio.run(crowd(live.base_url))
    refused = [r for r in responses if r.status_code != 200]
    assert refused, "40 concurrent requests on one connection all waited"
    for response in refused:
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json()["detail"] == "The service is at capacity."


def test_a_users_requests_beyond_its_lane_wait_while_others_go_ahead(
    settings: Settings, keys: Keys, db: Database
) -> None:
    """DB_CONNECTIONS_PER_USER=1: while alice's PATCH waits on a row lock,
    her next request waits for her lane with its body unread (a body that
    fails validation is refused only once her turn comes), and bob's is
    answered."""
    one_each = changed(settings, db_connections_per_user=1)
    answered: list[str] = []

    async def run(base: str) -> tuple[httpx.Response, ...]:
        alice = {"Authorization": f"Bearer {keys.token('alice')}"}
        bob = {"Authorization": f"Bearer {keys.token('bob')}"}
        async with (
            httpx.AsyncClient(base_url=base, headers=alice) as as_alice,
            httpx.AsyncClient(base_url=base, headers=bob) as as_bob,
        ):
            task = (await as_alice.post("/api/alice/tasks", json={"title": "x"})).json()

            async def send(name: str, request: Any) -> httpx.Response:
                response: httpx.Response = await request
                answered.append(name)
                return response

            async with row_locked(db.url, task["id"]) as holder:
                patch = asyncio.create_task(
                    send(
                        "alice's patch",
                        as_alice.patch(
                            f"/api/alice/tasks/{task['id']}",
                            content=b'{"title": "y"}',
                            headers={"Content-Type": "application/merge-patch+json"},
                        ),
                    )
                )
                for _ in range(500):
                    if await lock_waits(holder):
                        break
                    await asyncio.sleep(0.01)
                else:
                    pytest.fail("alice's PATCH never reached the locked row")
                alices_post = asyncio.create_task(
                    send(
                        "alice's post",
                        as_alice.post("/api/alice/tasks", json={"title": 5}),
                    )
                )
                bobs_list = await send("bob's list", as_bob.get("/api/bob/tasks"))
                await asyncio.sleep(0.2)
                assert answered == ["bob's list"]
            return bobs_list, await patch, await alices_post

    with LiveServer.serve(one_each) as live:
        responses = asyncio.run(run(live.base_url))
    assert [r.status_code for r in responses] == [200, 200, 422]
    assert answered == ["bob's list", "alice's patch", "alice's post"]
