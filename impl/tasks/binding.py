"""The checks that bind the contract's schemas and sort keys to the tables,
and listTasks' query parameters to its filters.

impl/tasks/columns.py runs it when it is imported, so a field or a sort key
without a column stops the app before any statement is built; `python -m
impl` turns the error into one `refusing to start:` line.
"""

from collections.abc import Iterable, Mapping

from pydantic import BaseModel
from sqlalchemy import Table

from impl.tasks import pagination
from runtime.parameters import Parameter


class ColumnBindingError(RuntimeError):
    """A property or sort key of the contract has no column to live in, or a
    query parameter no filter."""


def _add_column(table: Table, name: str) -> str:
    return (
        f"add a `{name}` column to the table `{table.name}` (impl/tasks/tables.py), "
        f'then write its migration with `make revision MESSAGE="add {name}"`'
    )


def _unbound_fields(
    table: Table, schemas: tuple[type[BaseModel], ...], held_by: Mapping[str, str]
) -> list[str]:
    return [
        f"{schema.__name__}.{field}: {_add_column(table, field)}"
        for schema in schemas
        for field in schema.model_fields
        if held_by.get(field, field) not in table.c
    ]


def _unbound_sort_keys(table: Table, keys: tuple[str, ...]) -> list[str]:
    problems = []
    for key in keys:
        if key not in table.c:
            problems.append(f"TaskSort {key}: {_add_column(table, key)}")
            continue
        try:
            pagination.codec(table.c[key])
        except pagination.UnsortableColumn as error:
            problems.append(f"TaskSort {key}: {error}")
    return problems


PAGING = frozenset({"limit", "cursor", "sort"})
"""listTasks' query parameters that page and order the list; each of the
others filters it."""


def check_filters(
    filters: Iterable[str],
    parameters: Iterable[Parameter],
    qualifiers: Mapping[str, str],
) -> None:
    """Raise FilterBindingError unless every query parameter of listTasks but
    PAGING and the qualifiers (a parameter that says how another filter
    reads its value: `zone` for `due_on`) has a filter of its name, and
    every filter a parameter."""
    queried = {p.name for p in parameters if p.location == "query"} - PAGING
    queried -= set(qualifiers)
    named = set(filters)
    problems = [
        f"listTasks' query parameter {name} filters nothing: add"
        f' `"{name}": lambda tasks, value: <its condition>` to FILTERS in'
        " impl/tasks/listing.py (or to its feature's room)"
        for name in sorted(queried - named)
    ] + [
        f"FILTERS' {name} is no query parameter of listTasks in openapi.yaml:"
        " add the parameter, or remove the filter"
        for name in sorted(named - queried)
    ]
    if problems:
        raise ColumnBindingError("; ".join(problems))


def check_columns(
    table: Table,
    *schemas: type[BaseModel],
    sort_keys: tuple[str, ...] = (),
    held_by: Mapping[str, str] | None = None,
) -> None:
    """Raise ColumnBindingError naming every property and sort key of the
    contract that has no column (or, for a sort key, no sortable one);
    `held_by` names the column of a field that lives under another name."""
    problems = _unbound_fields(table, schemas, held_by or {}) + _unbound_sort_keys(
        table, sort_keys
    )
    if problems:
        raise ColumnBindingError(
            "openapi.yaml names what the database cannot hold: " + "; ".join(problems)
        )
