"""The contract's task schemas, bound to the columns of the tasks table.

Every statement in impl/handlers.py takes its column list from here: what
it writes from TaskCreate and TaskUpdate, what it returns from Task. A field
that has a column is therefore carried by every operation with no handler
edit, and a field without one stops the app at startup, naming the schema
and the field and saying what to add where, as a missing handler does.
"""

from pydantic import BaseModel
from sqlalchemy import Column, Table

from generated.models import Task, TaskCreate, TaskUpdate
from impl.tables import tasks


class ColumnBindingError(RuntimeError):
    """A property of the contract has no column to live in."""


def check_columns(table: Table, *schemas: type[BaseModel]) -> None:
    """Raise ColumnBindingError naming every property without a column."""
    problems = [
        f"{schema.__name__}.{field}: add a `{field}` column to the table "
        f"`{table.name}` (impl/tables.py), then write its migration with "
        f'`make revision MESSAGE="add {field}"`'
        for schema in schemas
        for field in schema.model_fields
        if field not in table.c
    ]
    if problems:
        raise ColumnBindingError(
            "openapi.yaml has fields the database cannot store:\n  "
            + "\n  ".join(problems)
        )


def columns(table: Table, schema: type[BaseModel]) -> list[Column[object]]:
    return [table.c[field] for field in schema.model_fields]


check_columns(tasks, Task, TaskCreate, TaskUpdate)

RETURNED = [*columns(tasks, Task), tasks.c.version]
"""What every statement returns: the Task's fields, and the version (ETag)."""
LISTED = columns(tasks, Task)
CREATED = tuple(TaskCreate.model_fields)
"""The fields a create writes; the rest take their server defaults."""
REPLACED = tuple(TaskUpdate.model_fields)
"""The fields a replacement writes."""
