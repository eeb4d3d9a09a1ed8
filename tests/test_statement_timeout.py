"""No statement a request runs outlives DB_COMMAND_TIMEOUT: asyncpg cancels it
on the server at that point (a cancel request, which PgBouncer passes on to
the server connection the statement runs on), the request gets 503 with
Retry-After, nothing it began is written, and the pool serves on.
"""

import asyncio
import threading
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from impl.http.errors import database_error_status
from impl.settings import Settings
from tests.support import (
    Api,
    Database,
    Keys,
    LiveServer,
    changed,
    lock_waits,
    row_locked,
)
from tests.test_pooler import pgbouncer

__all__ = ["pgbouncer"]

TIMEOUT = 1.0


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def bounded(request: pytest.FixtureRequest, settings: Settings) -> Iterator[LiveServer]:
    """The service with a DB_COMMAND_TIMEOUT of one second: on the database
    directly, and through PgBouncer in transaction mode."""
    if request.param == "direct":
        configured = changed(settings, db_command_timeout=TIMEOUT)
    else:
        configured = changed(
            settings,
            db_command_timeout=TIMEOUT,
            database_url=request.getfixturevalue("pgbouncer"),
            db_statement_cache_size=0,
            migrate_on_startup=False,
        )
    with LiveServer.serve(configured) as live:
        yield live


def test_a_statement_past_the_timeout_is_cancelled_and_answers_503(
    bounded: LiveServer, keys: Keys, db: Database
) -> None:
    with Api.for_user(bounded.base_url, "waiter", keys) as waiter:
        task = waiter.new_task("locked")
        answered: list[httpx.Response] = []
        began = time.monotonic()

        async def hold_the_row() -> None:
            async with row_locked(db.url, task["id"]) as connection:
                patch = threading.Thread(
                    target=lambda: answered.append(
                        waiter.patch(task["id"], {"title": "late"})
                    )
                )
                patch.start()
                await asyncio.to_thread(patch.join, 10)
                # Still holding the lock: the statement is gone, not waiting.
                waiting = await lock_waits(connection)
            assert waiting == 0

        asyncio.run(hold_the_row())
        took = time.monotonic() - began

        [response] = answered
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "1"
        assert response.json()["type"].endswith("/database-unavailable")
        assert TIMEOUT <= took < TIMEOUT + 2
        time.sleep(0.2)
        assert waiter.get(task["id"]).json()["title"] == "locked"
        assert waiter.patch(task["id"], {"title": "now"}).status_code == 200


def test_a_statement_cancelled_by_the_server_is_503(
    settings: Settings, db: object
) -> None:
    """statement_timeout, set on the server (a role's or a database's
    default), cancels with 57014: the database's limit, not a fault."""

    async def cancelled() -> asyncpg.QueryCanceledError:
        connection = await asyncpg.connect(
            settings.database_url, server_settings={"statement_timeout": "50"}
        )
        try:
            await connection.fetch("SELECT pg_sleep(1)")
        except asyncpg.QueryCanceledError as error:
            failure: asyncpg.QueryCanceledError = error
            return failure
        finally:
            await connection.close()
        raise AssertionError("pg_sleep(1) was not cancelled")

    error = asyncio.run(cancelled())

    assert getattr(error, "sqlstate", None) == "57014"
    assert database_error_status(error) == 503
