"""Database errors are mapped by SQLSTATE in one place (impl/errors.py)."""

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from impl.database import create_engine
from impl.errors import database_error_status
from impl.settings import Settings


def real_error(settings: Settings, sql: str, **params: object) -> DBAPIError:
    """The DBAPIError PostgreSQL really raises for `sql`."""

    async def run() -> DBAPIError:
        engine = create_engine(settings, settings.database_url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text(sql), params)
        except DBAPIError as error:
            return error
        finally:
            await engine.dispose()
        raise AssertionError(f"{sql} did not fail")

    return asyncio.run(run())


def test_a_nul_in_a_text_value_is_422(settings: Settings, db: object) -> None:
    error = real_error(settings, "SELECT CAST(:value AS text)", value="a\x00b")

    assert error.orig is not None
    assert getattr(error.orig, "sqlstate", None) == "22021"
    assert database_error_status(error) == 422


@pytest.mark.parametrize(
    ("sql", "status"),
    [
        ("SELECT 1 / 0", 422),  # 22012 division by zero
        ("SELECT 'x'::uuid", 422),  # 22P02 invalid text representation
        ("INSERT INTO tasks (user_id, title) VALUES ('nobody', 'x')", 422),  # 23503
        ("SELECT * FROM no_such_table", 500),  # 42P01: a bug, not the client
        ("SELECT chr(0)", 500),  # 54000: a server-side limit, not a client value
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


def test_no_prepared_statement_names_are_reused_without_a_cache(
    settings: Settings, db: object
) -> None:
    no_cache = replace(settings, db_statement_cache_size=0)

    async def run() -> list[int]:
        engine = create_engine(no_cache, settings.database_url)
        try:
            async with engine.connect() as connection:
                return [
                    (await connection.execute(text("SELECT 1"))).scalar_one()
                    for _ in range(3)
                ]
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == [1, 1, 1]
