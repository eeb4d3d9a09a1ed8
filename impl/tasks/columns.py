"""The contract's task schemas and sort keys, bound to the tasks table.

Every statement in impl/tasks/handlers.py takes its column list from here: what
it writes from TaskCreate and TaskUpdate, what it returns from Task, what a
list is ordered by from TaskSort. A field or a sort key that has a column is
therefore carried by every operation with no handler edit, and one without
a column stops the app at startup, naming it and saying what to add where,
as a missing handler does.
"""

from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Table,
    Text,
    cast,
    func,
    literal_column,
)
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from generated.models import Task, TaskCreate, TaskPatch, TaskSort, TaskUpdate
from impl.db.tables import SORT_KEYS, tasks
from impl.tasks.binding import check_columns


def columns(table: Table, schema: type[BaseModel]) -> list[Column[Any]]:
    return [table.c[field] for field in schema.model_fields]


def sort_column(sort: TaskSort) -> tuple[Column[Any], bool]:
    """The column a sort value orders by, and whether it is descending."""
    return tasks.c[sort.value.removeprefix("-")], sort.value.startswith("-")


check_columns(tasks, Task, TaskCreate, TaskUpdate, TaskPatch, sort_keys=SORT_KEYS)

RETURNED = columns(tasks, Task)
"""What every statement returns, a list included: the Task's fields, its
version (the ETag) among them."""
CREATED = tuple(TaskCreate.model_fields)
"""The fields a create writes; the rest take their server defaults."""
REPLACED = tuple(TaskUpdate.model_fields)
"""The fields a replacement writes; a merge patch writes those it names of
TaskPatch's."""


def _json_value(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A column as a task's JSON has it. A timestamp is written in UTC with
    `Z`, as the service always wrote it (PostgreSQL's own JSON gives the
    session's offset): the JSON string of the UTC time, with `Z` added."""
    if isinstance(column.type, DateTime) and column.type.timezone:
        utc = func.timezone(literal_column("'UTC'"), column)
        text = func.btrim(cast(func.to_json(utc), Text), literal_column("'\"'"))
        return text.op("||")(literal_column("'Z'"))
    return column


def task_json(source: ReadOnlyColumnCollection[str, Any]) -> ColumnElement[Any]:
    """A task as its JSON body, built by PostgreSQL from the Task's columns
    in `source` (the table, or a statement's RETURNING): one text value the
    service sends as it is, with no row decoded into Python."""
    pairs: list[ColumnElement[Any]] = []
    for column in RETURNED:
        pairs += [literal_column(f"'{column.name}'"), _json_value(source[column.name])]
    return func.json_build_object(*pairs, type_=JSON)
