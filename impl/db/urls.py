"""PostgreSQL URLs as users paste them (a Neon one included), made into
what asyncpg and SQLAlchemy accept."""

import ssl
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# libpq's sslmode values, as asyncpg's `ssl` argument understands them.
VERIFIED_SSLMODES = {"require", "verify-ca", "verify-full"}
# Parameters libpq accepts but asyncpg rejects; asyncpg cannot do channel
# binding, and verified TLS gives the protection it was asked for.
DROPPED_PARAMETERS = {"channel_binding", "sslmode", "sslrootcert", "sslnegotiation"}


def asyncpg_url(url: str) -> tuple[str, dict[str, Any]]:
    """Normalize any PostgreSQL URL (a Neon one pasted as-is included).

    Returns a postgresql:// URL asyncpg accepts and the extra connect
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
    normalized = parts._replace(scheme="postgresql", query=urlencode(kept))
    return urlunsplit(normalized), connect_args


def sqlalchemy_url(url: str) -> tuple[str, dict[str, Any]]:
    """The same, for SQLAlchemy's asyncpg driver (Alembic's migrations)."""
    dsn, connect_args = asyncpg_url(url)
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1), connect_args
