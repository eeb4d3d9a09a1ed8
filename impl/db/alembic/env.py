"""Alembic's environment: the SQLModel metadata, on the connection it is given.

impl.db.migrate opens the connection (with the app's URL handling, Neon
included) and hands it over; there is no offline mode.
"""

from alembic import context
from sqlmodel import SQLModel

import impl.tasks.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m impl.db.migrate`")
context.configure(
    connection=connection, target_metadata=SQLModel.metadata, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
