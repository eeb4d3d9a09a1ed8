"""Behind a transaction pooler, concurrent traffic gets no error, the sync
feed misses nothing, and events and reminders arrive.

A real PgBouncer in transaction mode (Debian's `pgbouncer`) runs in front of
the test database with a pool smaller than the number of clients, so that
consecutive statements of one client land on different server connections.
The service is configured as the README says for such a pooler
(DB_STATEMENT_CACHE_SIZE=0).
"""

import asyncio
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from impl.settings import Settings
from tests.support import (
    Api,
    Database,
    Keys,
    LiveServer,
    accepts,
    changed,
    free_port,
    up_within,
    write_twice,
)
from tests.test_events import opened
from tests.test_reminders import FIRES_WITHIN, reminders, soon
from tests.test_sync import RUNS, race

pytestmark = [pytest.mark.needs_binary, pytest.mark.process]

INSTALL_HINT = (
    "PgBouncer is not installed: `sudo apt-get install pgbouncer` (Debian, "
    "Ubuntu) or `brew install pgbouncer` (macOS)"
)
CLIENTS = 8
SERVER_CONNECTIONS = 4


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (path for path in ("/usr/sbin/pgbouncer",) if os.path.exists(path)), None
    )


@pytest.fixture(scope="module")
def pgbouncer(database_url: str, db: object) -> Iterator[str]:
    """PgBouncer in transaction mode in front of the test database; its URL."""
    binary = pgbouncer_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    target = make_url(database_url)
    host = str(target.query.get("host") or target.host or "127.0.0.1")
    folder = Path(tempfile.mkdtemp(prefix="todo-pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text(f'"{target.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""
[databases]
* = host={host} port={target.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 200
pidfile = {folder}/pgbouncer.pid
logfile = {folder}/pgbouncer.log
"""
    )
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root: run it as whoever may reach the
        # server's socket (the embedded cluster's own user), or nobody.
        owner = os.stat(host).st_uid if host.startswith("/") else None
        user = pwd.getpwuid(owner) if owner else pwd.getpwnam("nobody")
        for path in (folder, *folder.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        command[1:1] = ["-u", user.pw_name]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        if not up_within(lambda: accepts(port), process, 10):
            log = folder / "pgbouncer.log"
            pytest.fail(f"PgBouncer did not start: {log.read_text()[-2000:]}")
        yield (
            f"postgresql://{target.username}@127.0.0.1:{port}/{target.database}"
            "?sslmode=disable"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pooled_app(settings: Settings, pgbouncer: str) -> Iterator[LiveServer]:
    # Migrations run over a direct URL, as the README says for Neon too; so
    # do the events' LISTEN and the reminders' lock (DATABASE_DIRECT_URL).
    pooled = changed(
        settings,
        database_url=pgbouncer,
        database_direct_url=settings.database_url,
        db_statement_cache_size=0,
        migrate_on_startup=False,
    )
    with LiveServer.serve(pooled) as live:
        yield live


def test_concurrent_traffic_through_a_transaction_pooler_gets_no_error(
    pooled_app: LiveServer, keys: Keys
) -> None:
    statuses: list[int] = []

    async def client_session(n: int) -> None:
        user = f"pooled-{n}"
        headers = {"Authorization": f"Bearer {keys.token(user)}"}
        tasks = f"/api/{user}/tasks"
        async with httpx.AsyncClient(
            base_url=pooled_app.base_url, headers=headers, timeout=10
        ) as client:
            for i in range(15):
                created = await client.post(tasks, json={"title": f"t{i}"})
                statuses.append(created.status_code)
                task = f"{tasks}/{created.json()['id']}"
                etag = created.headers["ETag"]
                for response in (
                    await client.get(task),
                    await client.get(tasks, params={"limit": 5}),
                    await client.put(
                        task, json={"title": "done"}, headers={"If-Match": etag}
                    ),
                    await client.post(
                        tasks, json={"title": "k"}, headers={"Idempotency-Key": task}
                    ),
                    await client.delete(task),
                ):
                    statuses.append(response.status_code)

    async def traffic() -> None:
        await asyncio.gather(*(client_session(n) for n in range(CLIENTS)))

    asyncio.run(traffic())

    assert len(statuses) == CLIENTS * 15 * 6
    assert set(statuses) <= {200, 201, 204}, {s: statuses.count(s) for s in statuses}


def test_a_transaction_through_the_pooler_commits_whole_or_not_at_all(
    settings: Settings, pgbouncer: str, db: Database
) -> None:
    """Each transaction keeps one server connection while others run beside
    it: half of them raise, and exactly the other half's writes are there."""
    pooled = changed(settings, database_url=pgbouncer, db_statement_cache_size=0)

    async def transactions() -> list[BaseException | None]:
        return await asyncio.gather(
            *(
                write_twice(pooled, f"tx-{n}", then_raise=n % 2 == 1)
                for n in range(CLIENTS)
            ),
            return_exceptions=True,
        )

    outcomes = asyncio.run(transactions())

    assert [type(o).__name__ for o in outcomes] == ["NoneType", "Undone"] * (
        CLIENTS // 2
    )
    rows = asyncio.run(
        db.fetch("SELECT user_id, count(*) AS n FROM tasks GROUP BY user_id")
    )
    assert {row["user_id"]: row["n"] for row in rows} == {
        f"tx-{n}": 2 for n in range(0, CLIENTS, 2)
    }


def test_sync_under_racing_writers_through_the_pooler_misses_nothing(
    pooled_app: LiveServer, keys: Keys, db: Database
) -> None:
    """tests/test_sync.py's race, 20 runs, every request through PgBouncer."""
    rng = random.Random(38)  # noqa: S311 - a reproducible schedule, not a secret
    with Api.for_user(pooled_app.base_url, "alice", keys) as alice:
        for _ in range(RUNS):
            asyncio.run(race(alice, db.url, rng))
            asyncio.run(db.execute("TRUNCATE users, tasks CASCADE"))


def test_events_and_reminders_through_the_pooler(
    pooled_app: LiveServer, keys: Keys, db: Database
) -> None:
    """A change reaches the stream within a second, and a reminder fires,
    with every statement through PgBouncer and the broker's connection
    direct."""
    with Api.for_user(pooled_app.base_url, "alice", keys) as alice:

        async def run() -> None:
            async with opened(pooled_app.base_url, alice) as stream:
                await stream.changed()
                began = time.monotonic()
                made = await asyncio.to_thread(alice.new_task, "pooled")
                page = await stream.changed(seconds=1.0)
                assert time.monotonic() - began < 1.0
                assert [t["id"] for t in page["changed"]] == [made["id"]]
                await asyncio.to_thread(alice.new_task, "remind me", remind_at=soon(1))
                [fired] = await reminders(stream, 1, seconds=1 + FIRES_WITHIN + 1)
                assert fired["title"] == "remind me"

        asyncio.run(run())
