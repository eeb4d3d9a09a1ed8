"""Database errors are mapped by SQLSTATE in one place (impl/http/errors.py)."""

import asyncio

import asyncpg
import pytest

from impl.db.urls import asyncpg_url
from impl.http.errors import database_error_status
from impl.settings import Settings


def real_error(settings: Settings, sql: str, *args: object) -> Exception:
    """The error asyncpg really raises for `sql`."""

    async def run() -> Exception:
        dsn, connect_args = asyncpg_url(settings.database_url)
        connection = await asyncpg.connect(dsn, **connect_args)
        try:
            await connection.fetch(sql, *args)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            failure: Exception = error
            return failure
        finally:
            await connection.close()
        raise AssertionError(f"{sql} did not fail")

    return asyncio.run(run())


def test_a_nul_in_a_text_value_is_422(settings: Settings, db: object) -> None:
    error = real_error(settings, "SELECT CAST($1 AS text)", "a\x00b")

    assert getattr(error, "sqlstate", None) == "22021"
    assert database_error_status(error) == 422


@pytest.mark.parametrize(
    ("sql", "status"),
    [
        ("SELECT 1 / 0", 422),  # 22012 division by zero
        ("SELECT 'x'::uuid", 422),  # 22P02 invalid text representation
        ("INSERT INTO tasks (user_id, title) VALUES ('nobody', 'x')", 422),  # 23503
        ("SELECT * FROM no_such_table", 500),  # 42P01: a bug, not the client
        ("SELECT chr(0)", 500),  # 54000: a server-side limit, not a client value
        # 26000: what a transaction pooler causes when it sends the execute of
        # a prepared statement to another server connection than its prepare.
        ("EXECUTE never_prepared", 503),
    ],
)
def test_sqlstate_classes_map_to_statuses(
    settings: Settings, db: object, sql: str, status: int
) -> None:
    assert database_error_status(real_error(settings, sql)) == status


def test_a_server_shutting_down_connections_is_503(
    settings: Settings, db: object
) -> None:
    error = real_error(settings, "SELECT pg_terminate_backend(pg_backend_pid())")

    assert database_error_status(error) == 503
