"""The task operations' JSON bodies, written by the service from the rows
PostgreSQL found.

PostgreSQL only finds rows: building JSON there cost several times the
CPU of reading them, on the one server every instance shares (see README,
Benchmark). The driver hands each column over as the body has it (a uuid
and a timestamp as their text, impl/db/codecs.py), and orjson writes the
body with no object built per value.

A statement that returns a task returns the Task's fields first, in the
contract's order (`columns.RETURNED`), so a row becomes a task by position;
anything it returns after them (a conditional write's `found`, a replay's
request hash) is not part of the body.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from generated.models import Task
from impl.db.statements import Record

FIELDS = tuple(Task.model_fields)


def exact(value: object) -> Any:
    """What orjson leaves to the caller: a `numeric` column, written with
    every digit PostgreSQL holds."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def task(row: Record) -> dict[str, Any]:
    """The Task a row holds."""
    return dict(zip(FIELDS, row.values(), strict=False))


def task_json(row: Record) -> bytes:
    return orjson.dumps(task(row), default=exact)


def page_json(rows: Sequence[Record], next_cursor: str | None) -> bytes:
    """A TaskList: the tasks of `rows`, in order, and the next page's cursor."""
    return orjson.dumps(
        {"items": [task(row) for row in rows], "next_cursor": next_cursor},
        default=exact,
    )
