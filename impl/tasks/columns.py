"""The contract's task schemas and sort keys, bound to the tasks table.

Every statement in impl/tasks/statements.py takes its column list from here: what
it writes from TaskCreate and TaskUpdate, what it returns from Task, what a
list is ordered by from TaskSort. A field or a sort key that has a column is
therefore carried by every operation with no handler edit, and one without
a column stops the app at startup, naming it and saying what to add where,
as a missing handler does.
"""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Table

from generated.models import Task, TaskCreate, TaskPatch, TaskSort, TaskUpdate
from impl.tasks.binding import check_columns
from impl.tasks.pagination import SortKey
from impl.tasks.tables import SORT_KEYS, tasks

HELD_BY = {"falls_due": "due"}
"""A Task field whose column has another name: when a task falls due is the
column the sort key `due` orders by (impl/tasks/due_dates.py)."""


def columns(table: Table, schema: type[BaseModel]) -> list[Column[Any]]:
    return [table.c[HELD_BY.get(field, field)] for field in schema.model_fields]


def sort_columns(sort: Sequence[TaskSort]) -> tuple[SortKey, ...]:
    """The columns a sort orders by, each with whether it is descending."""
    return tuple(
        (tasks.c[key.value.removeprefix("-")], key.value.startswith("-"))
        for key in sort
    )


check_columns(
    tasks, Task, TaskCreate, TaskUpdate, TaskPatch, sort_keys=SORT_KEYS, held_by=HELD_BY
)

RETURNED = columns(tasks, Task)
"""What every statement of tasks returns, a list included, first and in the
contract's order (impl/tasks/bodies.py reads a row by position): the Task's
fields, its version (the ETag) among them."""
CREATED = tuple(TaskCreate.model_fields)
"""The fields a create writes; the rest take their server defaults."""
REPLACED = tuple(TaskUpdate.model_fields)
"""The fields a replacement writes; a merge patch writes those it names of
TaskPatch's."""
