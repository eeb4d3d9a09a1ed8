"""The asyncpg pool: how its connections are opened, and what each session
is set to."""

import asyncpg

from impl.db import codecs
from impl.db.urls import asyncpg_url
from impl.settings import Settings


async def _keep_session_state(connection: asyncpg.Connection) -> None:
    """Handlers never change session state, so a released connection needs no
    reset query (asyncpg's default costs a round trip per release). Open
    transactions are still rolled back by the pool itself."""


WARM_UP = (
    "SELECT * FROM tasks WHERE user_id = '' AND id = gen_random_uuid()",
    "SELECT * FROM users WHERE id = ''",
)
"""Statements on the tables a request reads, run by each new connection: a
fresh server process loads their catalog entries on first use, several
milliseconds of PostgreSQL's CPU each; paid here, before the connection
serves a request (tests/test_fairness.py saw another user's read take 50 to
80 ms behind a burst of fresh connections without it). One table a
statement: each lock is let go before the next is taken, so that no DDL
waiting for them can deadlock with the warm-up."""


async def _new_connection(connection: asyncpg.Connection) -> None:
    await codecs.columns_as_json_has_them(connection)
    for statement in WARM_UP:
        await connection.fetch(statement)


async def connect_direct(settings: Settings, url: str) -> asyncpg.Connection:
    """A connection of its own, outside the pool, for a session that must
    last (LISTEN): `url` must not be a transaction pooler's."""
    dsn, connect_args = asyncpg_url(url)
    return await asyncpg.connect(
        dsn, timeout=settings.db_connect_timeout, statement_cache_size=0, **connect_args
    )


async def create_pool(settings: Settings, url: str) -> asyncpg.Pool:
    dsn, connect_args = asyncpg_url(url)
    return await asyncpg.create_pool(
        dsn,
        # Connections open on demand: a fresh worker or a cold Neon compute
        # costs nothing until the first request that needs one.
        min_size=0,
        max_size=settings.db_pool_size,
        # Close connections idle longer than this, before Neon suspends an
        # idle compute (5 minutes) and cuts them itself.
        max_inactive_connection_lifetime=settings.db_pool_recycle,
        timeout=settings.db_connect_timeout,
        command_timeout=settings.db_command_timeout,
        # 0 for poolers that cannot keep prepared statements: statements are
        # then unnamed and each runs in a transaction of its own.
        statement_cache_size=settings.db_statement_cache_size,
        # Timestamps are read as text (impl/db/codecs.py); in UTC they need no
        # conversion. A transaction pooler keeps these per client.
        server_settings={"TimeZone": "UTC", "DateStyle": "ISO"},
        init=_new_connection,
        reset=_keep_session_state,
        **connect_args,
    )
