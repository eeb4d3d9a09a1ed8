"""Past capacity, requests take turns at the pool in arrival order, and past
DB_MAX_WAITING one is refused at once (503 with Retry-After) instead of
being left to wait; `make bench`'s overload scenario measures the rest.
"""

import asyncio
import time

import httpx
import pytest

from impl.db.database import AtCapacity, open_database
from impl.db.statements import Bound
from impl.settings import Settings
from tests.support import Keys, LiveServer, changed

SLEEP = Bound(
    "SELECT pg_sleep(0.2)",
    [],
    idempotent=True,
    operation="SELECT",
    summary="SELECT sleep",
)


def test_past_db_max_waiting_a_statement_is_refused_at_once(settings: Settings) -> None:
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


def test_waiting_statements_take_turns_in_arrival_order(settings: Settings) -> None:
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
