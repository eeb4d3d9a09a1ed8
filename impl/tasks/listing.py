"""listTasks' statement: the page's tasks, filtered, in order, from where the
cursor left off, one statement per shape of the query, compiled once.

Each filter is its feature's (due dates, tags, search), named as its query
parameter; impl/tasks/binding.py checks at import that every query
parameter but the paging ones has one, and that every one is a parameter.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypedDict

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    any_,
    bindparam,
    select,
    union_all,
)
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from generated.models import TaskSort
from generated.routes import OPERATIONS
from impl.db.statements import Statement, compile_statement
from impl.tasks import due_dates, pagination, search, tags
from impl.tasks.binding import check_filters
from impl.tasks.columns import RETURNED, sort_columns
from impl.tasks.statements import OWNER
from impl.tasks.tables import tasks


class ListParams(TypedDict):
    owner: str
    limit: int
    """The rows read: one more than the page, to tell whether one follows."""
    filter: dict[str, Any]
    """Each filter that is set, by name: the binds `filter_<name>`."""
    after: dict[str, Any]
    """Where the page starts (pagination.Keyset.position)."""


Filter = Callable[[Table, BindParameter[Any]], ColumnElement[bool]]
FILTERS: dict[str, Filter] = {
    "completed": lambda tasks, value: tasks.c.completed == value,
    # Any of the priorities given.
    "priority": lambda tasks, value: tasks.c.priority == any_(value),
    **due_dates.FILTERS,
    **tags.FILTERS,
    **search.FILTERS,
}
"""listTasks' filters: the condition each query parameter adds when it is set,
on the tasks table and a bind parameter of its name; each feature's from its
room. The handler passes on every one that is set, by name."""
QUALIFIERS: dict[str, str] = {**due_dates.QUALIFIERS}
"""The parameters that say how a filter reads its value, by the filter they
qualify: bound (`filter_<name>`) only where that filter is set."""
check_filters(
    FILTERS,
    next(o for o in OPERATIONS if o.operation_id == "listTasks").parameters,
    QUALIFIERS,
)


def bound(given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The filters set among listTasks' parameters (the statement's shape),
    and the values they bind, their qualifiers' included."""
    filters = {name: given[name] for name in FILTERS if given[name] is not None}
    qualified = {
        name: given[name] for name, filter in QUALIFIERS.items() if filter in filters
    }
    return filters, {**filters, **qualified}


LIST_TARGET = "page of tasks"
"""Every shape of the list query, as one statement in metrics and traces."""


@lru_cache(maxsize=4096)
def list_statement(
    sort: tuple[TaskSort, ...], filters: frozenset[str], after: pagination.After
) -> Statement[ListParams]:
    """The list query of one shape (sort, filters set, where it starts): the
    page's tasks, in order, and the one after them if there is one. The
    shapes a client can ask for are many (sorts of up to three keys, any
    filters, the cursor's NULLs): the cache keeps the ones in use."""
    return compile_statement(
        _page_rows(sort_columns(sort), filters, after),
        ListParams,
        idempotent=True,
        operation="SELECT",
        target=LIST_TARGET,
    )


def _page_rows(
    keys: tuple[pagination.SortKey, ...],
    filters: frozenset[str],
    after: pagination.After,
) -> Select[Any]:
    """The rows of a page and the one after it, in order."""
    # A sort key comes after the Task's fields when it is not one of them
    # (`due`): the next page's cursor holds it.
    extra = list(
        {k.name: k for k, _ in keys if not any(c is k for c in RETURNED)}.values()
    )
    statement = select(*RETURNED, *extra).where(
        tasks.c.user_id == OWNER,
        *(
            FILTERS[name](tasks, bindparam(f"filter_{name}"))
            for name in sorted(filters)
        ),
    )
    order = _in_order(tasks.c, keys)
    limit: BindParameter[int] = bindparam("limit")
    if after is None:
        return statement.order_by(*order).limit(limit)
    ranges = [
        statement.where(condition).order_by(*order).limit(limit)
        for condition in pagination.after(keys, tasks.c.id, after)
    ]
    if len(ranges) == 1:
        return ranges[0]
    merged = union_all(*ranges).subquery("merged")
    return select(*merged.c).order_by(*_in_order(merged.c, keys)).limit(limit)


def _in_order(
    columns: ReadOnlyColumnCollection[str, Any], keys: tuple[pagination.SortKey, ...]
) -> list[Any]:
    """ORDER BY the sort's keys, then id in the first key's direction, as
    `columns` (the table's, or a subquery's over it) name them."""
    by = [*keys, (tasks.c.id, keys[0][1])]
    return [columns[k.name].desc() if d else columns[k.name] for k, d in by]
