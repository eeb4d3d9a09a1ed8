"""The async engine on asyncpg, and the per-request session.

The engine runs in AUTOCOMMIT: every handler issues exactly one statement, so
PostgreSQL's implicit transaction per statement is all the atomicity a request
needs, and no BEGIN or COMMIT round trip is spent around it.
"""

import ssl
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import Request
from sqlalchemy import Executable, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from impl.settings import Settings

# libpq's sslmode values, as asyncpg's `ssl` argument understands them.
VERIFIED_SSLMODES = {"require", "verify-ca", "verify-full"}
# Parameters libpq accepts but asyncpg rejects; asyncpg cannot do channel
# binding, and verified TLS gives the protection it was asked for.
DROPPED_PARAMETERS = {"channel_binding", "sslmode", "sslrootcert", "sslnegotiation"}


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
        # Stricter than libpq's `require`, which skips verification: Neon's
        # certificates are publicly trusted, so verifying costs nothing.
        context = ssl.create_default_context(cafile=query.get("sslrootcert"))
        context.check_hostname = sslmode != "verify-ca"
        connect_args["ssl"] = context
    elif sslmode == "disable":
        connect_args["ssl"] = False
    elif sslmode in {"allow", "prefer"}:
        connect_args["ssl"] = "prefer"
    kept = {k: v for k, v in query.items() if k not in DROPPED_PARAMETERS}
    normalized = parts._replace(scheme="postgresql+asyncpg", query=urlencode(kept))
    return urlunsplit(normalized), connect_args


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def create_engine(settings: Settings, url: str) -> AsyncEngine:
    sqlalchemy_url, connect_args = asyncpg_url(url)
    if settings.db_statement_cache_size == 0:
        # A pooler that cannot prepare statements may hand the next statement
        # to another server connection: never reuse a statement name.
        connect_args["prepared_statement_name_func"] = _unique_statement_name
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


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, closed (its connection returned) in any case."""
    engine: AsyncEngine = request.app.state.engine
    # SQLAlchemy's AsyncSession: the handlers run Core statements on the
    # SQLModel tables and read rows as mappings, not ORM objects.
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session


async def execute(
    session: AsyncSession,
    statement: Executable,
    params: Mapping[str, Any] | None = None,
    *,
    idempotent: bool,
) -> Sequence[Row[Any]]:
    """Run one statement (with RETURNING, if it writes) and return its rows.

    The connection goes back to the pool as soon as the rows are in, not at
    the end of the request, so a pool as large as the number of statements in
    flight serves any number of concurrent requests. (With AUTOCOMMIT, ending
    the session's transaction sends nothing to the server.)

    After a lost connection (a backend killed, a Neon compute suspended) an
    idempotent statement runs once more: SQLAlchemy has invalidated the whole
    pool, so the retry gets a fresh connection. A statement that is not
    idempotent is not retried, since the server may have committed it just
    before the connection dropped; the caller gets 503, and nothing is
    half-written, since one statement is atomic.
    """
    try:
        result = await session.execute(statement, params)
    except DBAPIError as error:
        if not (idempotent and error.connection_invalidated):
            raise
        await session.rollback()
        result = await session.execute(statement, params)
    rows = result.all()
    await session.commit()
    return rows
