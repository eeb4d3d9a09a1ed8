"""The checks that bind the contract's schemas and sort keys to the tables.

impl/columns.py runs them when it is imported, so a field or a sort key
without a column stops the app before any statement is built; `python -m
impl` turns the error into one `refusing to start:` line.
"""

from pydantic import BaseModel
from sqlalchemy import Table

from impl import pagination


class ColumnBindingError(RuntimeError):
    """A property or sort key of the contract has no column to live in."""


def _add_column(table: Table, name: str) -> str:
    return (
        f"add a `{name}` column to the table `{table.name}` (impl/tables.py), "
        f'then write its migration with `make revision MESSAGE="add {name}"`'
    )


def check_columns(table: Table, *schemas: type[BaseModel]) -> None:
    """Raise ColumnBindingError naming every property without a column."""
    problems = [
        f"{schema.__name__}.{field}: {_add_column(table, field)}"
        for schema in schemas
        for field in schema.model_fields
        if field not in table.c
    ]
    if problems:
        raise ColumnBindingError(
            "openapi.yaml has fields the database cannot store: " + "; ".join(problems)
        )


def check_sort_keys(table: Table, keys: tuple[str, ...]) -> None:
    """Raise ColumnBindingError naming every sort key without a sortable column."""
    problems = []
    for key in keys:
        if key not in table.c:
            problems.append(f"TaskSort {key}: {_add_column(table, key)}")
            continue
        try:
            pagination.codec(table.c[key])
        except pagination.UnsortableColumn as error:
            problems.append(f"TaskSort {key}: {error}")
    if problems:
        raise ColumnBindingError(
            "openapi.yaml sorts by what the database cannot order: "
            + "; ".join(problems)
        )
