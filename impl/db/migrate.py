"""The schema, managed by Alembic (impl/db/alembic/).

The app brings the schema to the latest revision at startup unless
DB_MIGRATE_ON_STARTUP=false; `make migrate` does the same from the command
line, for example against a Neon direct URL before a deploy.

    python -m impl.db.migrate upgrade           # to the latest revision
    python -m impl.db.migrate check             # fail if tables differ from revisions
    python -m impl.db.migrate revision "add due_at"   # autogenerate a revision
"""

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, NullPool, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from impl.db import embedded
from impl.db.urls import sqlalchemy_url
from impl.settings import PROJECT_ROOT, Settings

ALEMBIC_DIR = Path(__file__).resolve().parent / "alembic"
# Taken with pg_advisory_xact_lock so that workers starting together do not
# race to migrate.
SCHEMA_LOCK_KEY = 7_204_519


def create_engine(settings: Settings, url: str) -> AsyncEngine:
    """SQLAlchemy's engine on asyncpg, for Alembic; requests use impl.db.database."""
    dsn, connect_args = sqlalchemy_url(url)
    return create_async_engine(
        dsn,
        poolclass=NullPool,
        connect_args={**connect_args, "timeout": settings.db_connect_timeout},
    )


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the latest revision; a no-op when it is there."""
    transactional = engine.execution_options(isolation_level="READ COMMITTED")
    async with transactional.begin() as connection:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY}
        )
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync), "head")
        )


async def upgrade_url(settings: Settings, url: str) -> None:
    engine = create_engine(settings, url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def check(engine: AsyncEngine) -> None:
    """Raise if the tables in impl/tasks/tables.py differ from the latest revision."""
    async with engine.connect() as connection:
        await connection.run_sync(lambda sync: command.check(alembic_config(sync)))


async def revision(engine: AsyncEngine, message: str) -> list[Path]:
    """Autogenerate a revision from impl/tasks/tables.py; the files it wrote.

    Autogenerate compares the tables with a database at the latest revision,
    so the database is brought there first (on a fresh clone, the embedded
    one). The files are formatted as `make check` wants them.
    """
    await upgrade(engine)
    async with engine.connect() as connection:
        scripts = await connection.run_sync(
            lambda sync: command.revision(
                alembic_config(sync), message=message, autogenerate=True
            )
        )
    return [
        Path(script.path)
        for script in (scripts if isinstance(scripts, list) else [scripts])
        if script is not None
    ]


def format_revisions(paths: list[Path]) -> None:
    """Format what Alembic wrote as `make check` wants it (line length, imports)."""
    ruff = Path(sys.executable).parent / "ruff"
    for path in paths:
        # The project's own ruff, on files Alembic has just written.
        subprocess.run([ruff, "format", "--quiet", path], check=True)  # noqa: S603
        subprocess.run([ruff, "check", "--fix", "--quiet", path], check=True)  # noqa: S603
        print(f"wrote {path.relative_to(PROJECT_ROOT)}: read it before committing")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["upgrade", "check", "revision"])
    parser.add_argument("message", nargs="?", default="")
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = create_engine(
        settings, settings.database_url or embedded.start(settings.data_dir)
    )
    try:
        if args.action == "upgrade":
            await upgrade(engine)
        elif args.action == "check":
            await check(engine)
        else:
            format_revisions(await revision(engine, args.message))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
