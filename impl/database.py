"""The async engine on asyncpg, and the per-request session.

The engine runs in AUTOCOMMIT: every handler issues exactly one statement, so
PostgreSQL's implicit transaction per statement is all the atomicity a request
needs, and no BEGIN or COMMIT round trip is spent around it.
"""

import ssl
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlmodel import SQLModel

from impl.settings import Settings

# libpq's sslmode values, as asyncpg's `ssl` argument understands them.
VERIFIED_SSLMODES = {"require", "verify-ca", "verify-full"}
# Parameters libpq accepts but asyncpg rejects; asyncpg cannot do channel
# binding, and verified TLS gives the protection it was asked for.
DROPPED_PARAMETERS = {"channel_binding", "sslmode", "sslrootcert", "sslnegotiation"}
# Taken with pg_advisory_xact_lock so that workers starting together do not
# race to create the same tables.
SCHEMA_LOCK_KEY = 7_204_519


def asyncpg_url(url: str) -> tuple[str, dict[str, Any]]:
    """Normalize any PostgreSQL URL (a Neon one pasted as-is included).

    Returns the SQLAlchemy URL for the asyncpg driver and the extra connect
    arguments that replace the libpq-only query parameters.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "postgresql+asyncpg"}:
        raise ValueError(
            f"DATABASE_URL must be a postgresql:// URL, got {parts.scheme}://"
        )
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    sslmode = query.get("sslmode", "")
    connect_args: dict[str, Any] = {}
    if sslmode in VERIFIED_SSLMODES:
        connect_args["ssl"] = ssl.create_default_context()
    elif sslmode == "disable":
        connect_args["ssl"] = False
    elif sslmode in {"allow", "prefer"}:
        connect_args["ssl"] = "prefer"
    kept = {k: v for k, v in query.items() if k not in DROPPED_PARAMETERS}
    normalized = parts._replace(scheme="postgresql+asyncpg", query=urlencode(kept))
    return urlunsplit(normalized), connect_args


def create_engine(settings: Settings, url: str) -> AsyncEngine:
    sqlalchemy_url, connect_args = asyncpg_url(url)
    return create_async_engine(
        sqlalchemy_url,
        isolation_level="AUTOCOMMIT",
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        # Recycle before Neon suspends an idle compute (5 minutes).
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=False,
        connect_args={
            **connect_args,
            "timeout": settings.db_connect_timeout,
            "command_timeout": settings.db_command_timeout,
            # SQLAlchemy's cache of prepared statements per connection; 0 for
            # poolers that cannot prepare statements (DB_STATEMENT_CACHE_SIZE).
            "prepared_statement_cache_size": settings.db_statement_cache_size,
        },
    )


async def create_tables(engine: AsyncEngine) -> None:
    """Create missing tables and indexes; existing ones are left as they are."""
    transactional = engine.execution_options(isolation_level="READ COMMITTED")
    async with transactional.begin() as connection:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY}
        )
        await connection.run_sync(SQLModel.metadata.create_all)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, closed (its connection returned) in any case."""
    engine: AsyncEngine = request.app.state.engine
    # SQLAlchemy's AsyncSession: the handlers run Core statements on the
    # SQLModel tables and read rows as mappings, not ORM objects.
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session
