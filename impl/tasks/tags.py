"""Tags: a task's labels, listTasks' `tag` filter, and the user's tags with
how many tasks carry each (listTags)."""

from collections.abc import Sequence

import orjson
from sqlalchemy import func, select, true

from impl.db.statements import Record, Statement, compile_statement
from impl.tasks.statements import OWNER, OwnerParams
from impl.tasks.tables import tasks

FILTERS = {"tag": lambda tasks, value: tasks.c.tags.contains(value)}
"""listTasks' tag filter: tasks that carry every tag given
(impl/tasks/statements.py)."""


def _tags() -> Statement[OwnerParams]:
    """Each tag on the user's tasks and how many carry it, by name in code
    point order."""
    tags = func.unnest(tasks.c.tags).table_valued("name").alias("tag")
    name = tags.c.name
    return compile_statement(
        select(name, func.count().label("count"))
        .select_from(tasks.join(tags, true()))
        .where(tasks.c.user_id == OWNER)
        .group_by(name)
        .order_by(name.collate("C")),
        OwnerParams,
        idempotent=True,
        operation="SELECT",
        target="tags",
    )


TAGS = _tags()


def tags_json(rows: Sequence[Record]) -> bytes:
    """A TagList: each tag's name and how many tasks carry it, in order."""
    return orjson.dumps({"items": [{"name": n, "count": c} for n, c in rows]})
