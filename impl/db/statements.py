"""Statements: SQLAlchemy Core, compiled once for asyncpg.

SQLAlchemy Core builds every statement from the SQLModel tables;
`compile_statement` turns each one, once, at import, into asyncpg SQL with
positional parameters, checked against a TypedDict of its parameters.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, get_type_hints

from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]

Record = Mapping[str, Any]
"""An asyncpg record: its columns by name, and `dict(record)`."""


ParamsT = TypeVar("ParamsT", bound=Mapping[str, Any])
"""A statement's parameters: a TypedDict, so that mypy checks every call."""


class StatementParameterError(TypeError):
    """A statement binds a name its parameters type does not declare."""


@dataclass(frozen=True, slots=True)
class Statement(Generic[ParamsT]):
    """One SQLAlchemy Core statement, compiled once for asyncpg.

    Its bind parameters are the keys of `ParamsT`. A key whose value is a
    dict (such as `new`, a request body's fields) fills every bind named
    `<key>_<field>`.
    """

    sql: str
    names: tuple[str, ...]
    """The bind parameters, in the order of $1, $2, ..."""
    sources: tuple[tuple[str, str | None], ...]
    """Where each comes from: (key of the parameters, field of its dict or None)."""
    defaults: Mapping[str, Any]
    """Values SQLAlchemy bound itself (literals such as `version + 1`)."""
    converters: Mapping[str, Callable[[Any], Any]]
    """SQLAlchemy's bind processors, for the few types that have one."""
    idempotent: bool
    """Safe to run again after a lost connection (see `Database.fetch`)."""
    operation: "SqlOperation"
    summary: str
    """Its operation, then what it works on (`SELECT task`): the statement's
    name in metrics and traces."""

    def __call__(self, params: ParamsT) -> "Bound":
        """The statement with its arguments, ready to run: `GET({...})`."""
        return Bound(
            self.sql,
            self.arguments(params),
            self.idempotent,
            self.operation,
            self.summary,
        )

    def arguments(self, params: ParamsT) -> list[Any]:
        values = []
        for name, (key, field) in zip(self.names, self.sources, strict=True):
            if name in self.defaults:
                value = self.defaults[name]
            elif field is None:
                value = params[key]
            else:
                value = params[key][field]
            converter = self.converters.get(name)
            values.append(value if converter is None else converter(value))
        return values


@dataclass(frozen=True, slots=True)
class Bound:
    """A statement's SQL and its arguments in the order of $1, $2, ..."""

    sql: str
    arguments: list[Any]
    idempotent: bool
    operation: "SqlOperation"
    summary: str


SqlOperation = Literal["SELECT", "INSERT", "UPDATE", "DELETE"]
"""What a statement does, as OpenTelemetry's `db.operation.name` has it."""


def _source(name: str, keys: frozenset[str]) -> tuple[str, str | None] | None:
    if name in keys:
        return name, None
    prefix, _, field = name.partition("_")
    return (prefix, field) if prefix in keys and field else None


def compile_statement(
    statement: ClauseElement,
    params: type[ParamsT],
    *,
    idempotent: bool,
    operation: SqlOperation,
    target: str,
) -> Statement[ParamsT]:
    """Compile once, at import: building SQL per request costs more than
    running it. StatementParameterError names any bind `params` lacks.

    The operation and its `target` (what it works on) name the statement in
    metrics and traces, as OpenTelemetry's `db.query.summary` does
    (`SELECT task`). A write that SQL spells as a SELECT over data-modifying
    CTEs is named by the write (`DELETE task`).
    """
    compiled = statement.compile(dialect=DIALECT)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    defaults = {
        name: bind.effective_value
        for name, bind in compiled.binds.items()
        if name in names and not bind.required
    }
    keys = frozenset(get_type_hints(params))
    sources = {name: _source(name, keys) for name in names}
    unknown = sorted(
        n for n, src in sources.items() if src is None and n not in defaults
    )
    if unknown:
        raise StatementParameterError(
            f"{params.__name__} has no key for the bind parameters {unknown}: "
            f"add them to {params.__name__}, or correct their names"
        )
    # Tuple-valued processors serve only expanding IN lists, which these
    # statements never use (arrays bind as one value: `= ANY($n)`).
    processors: Mapping[str, Any] = compiled._bind_processors
    return Statement(
        sql=compiled.string,
        names=names,
        sources=tuple(sources[name] or (name, None) for name in names),
        defaults=defaults,
        converters={name: processors[name] for name in names if name in processors},
        idempotent=idempotent,
        operation=operation,
        summary=f"{operation} {target}",
    )
