"""The SQLSTATEs the service acts on, by PostgreSQL's names (Appendix A)."""

from enum import StrEnum


class SqlState(StrEnum):
    INVALID_SQL_STATEMENT_NAME = "26000"
    DUPLICATE_PREPARED_STATEMENT = "42P05"
    PROTOCOL_VIOLATION = "08P01"


class SqlStateClass(StrEnum):
    """The first two characters of a SQLSTATE."""

    CONNECTION_EXCEPTION = "08"
    DATA_EXCEPTION = "22"
    INTEGRITY_CONSTRAINT_VIOLATION = "23"
    INSUFFICIENT_RESOURCES = "53"
    OPERATOR_INTERVENTION = "57"


def sqlstate(exc: BaseException) -> str:
    """An error's SQLSTATE, or "" for one that has none."""
    code = getattr(exc, "sqlstate", None)
    return code if isinstance(code, str) else ""
