"""listTasks' `q`: every word of it begins a word of the task's title or
description, ignoring case (`mil sho` finds "Buy milk at the shop").

PostgreSQL's text search parser splits both into words, with the `simple`
configuration (lowercased; no stemming, no stop words): the task's once per
write, into the column `words` (WORDS); q's in the statement,
once per query. Each word of q then costs a binary search in the task's
sorted words, however long the task is. A substring search (ILIKE) reads
the whole text once per word instead: a `q` of 50 one-letter words over
1,000 tasks of 10,000 characters cost PostgreSQL 3 s of CPU per request
(make bench-worst), which one user could repeat ten times a second.
"""

from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    Text,
    column,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import TSQUERY

WORDS = (
    "strip(to_tsvector('simple'::regconfig, title || ' ' || coalesce(description, '')))"
)
"""The words of a task's title and description, lowercased and sorted, as
PostgreSQL's text search parser splits them; computed on every write
(impl/tasks/tables.py), so that `q` looks words up rather than reading the
text."""

SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


def _sql(value: str) -> ColumnElement[str]:
    """A constant string, written into the statement (not a parameter)."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def _begun(q: BindParameter[Any]) -> ColumnElement[Any]:
    """q's words as a text search query: each, quoted, as the start of a
    word (`':*`), all of them (`&`); NULL when q has no word (only
    punctuation)."""
    word: ColumnElement[str] = column("word")
    quoted = func.replace(
        func.replace(word, _sql("\\"), _sql("\\\\")), _sql("'"), _sql("''")
    )
    return (
        select(func.string_agg(_sql("'") + quoted + _sql("':*"), _sql(" & ")))
        .select_from(
            func.unnest(func.tsvector_to_array(func.to_tsvector(SIMPLE, q))).alias(
                "word"
            )
        )
        .scalar_subquery()
        .cast(TSQUERY)
    )


def matches(tasks: Table, q: BindParameter[Any]) -> ColumnElement[bool]:
    """The condition of `q`: a q without words leaves every task in."""
    return func.coalesce(tasks.c.words.bool_op("@@")(_begun(q)), true())


FILTERS = {"q": matches}
"""listTasks' search (impl/tasks/statements.py)."""
