"""Alembic owns the schema: its latest revision is exactly impl/tasks/tables.py."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from impl.db import migrate
from impl.settings import Settings


@pytest.fixture
def engine(settings: Settings, db: object) -> AsyncEngine:
    return migrate.create_engine(settings, settings.database_url)


def test_the_latest_revision_matches_the_tables(engine: AsyncEngine) -> None:
    async def run() -> None:
        try:
            await migrate.check(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_upgrading_again_is_a_no_op(engine: AsyncEngine) -> None:
    async def run() -> None:
        try:
            await migrate.upgrade(engine)
            await migrate.check(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
