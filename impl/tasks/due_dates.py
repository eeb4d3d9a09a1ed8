"""Due dates: a task falls due on a day (`due_date`, in its `time_zone`) or
at an instant (`due_at`), never both; `due`, when it falls due, is what the
sort key and listTasks' due filters read.

The rules are stated here and held by the table (impl/tasks/tables.py): the
instant a task falls due is computed by PostgreSQL on every write
(FALLS_DUE), and the one-of-two rule is a CHECK constraint, which holds for
every write, a merge patch's too; the contract states it in its request
schemas as well (`not` both), for clients and their validators.
"""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import (
    BindParameter,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    false,
    func,
    or_,
)

from impl.problems import Problem, ProblemName, body_errors, shown

FALLS_DUE = "COALESCE(due_at, timezone(time_zone, (due_date + 1)::timestamp))"
"""The instant a task falls due: its due_at, or the end of its due_date (the
start of the next day) in its time zone; computed by PostgreSQL on every
write, so that every sort, filter and index reads one column."""


def falls_due(
    due_date: date | None, due_at: datetime | None, time_zone: str
) -> datetime | None:
    """FALLS_DUE in Python, for a task the service has not written yet."""
    if due_at is not None:
        return due_at
    if due_date is None:
        return None
    return datetime.combine(due_date + timedelta(days=1), time(), ZoneInfo(time_zone))


ONE_DUE = "ck_tasks_one_due"


def one_due() -> CheckConstraint:
    """A task has a due date or a due time, not both."""
    return CheckConstraint("due_date IS NULL OR due_at IS NULL", name=ONE_DUE)


class DueDateAndTime(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.DUE_DATE_AND_TIME,
            "A task has a due_date or a due_at, not both.",
            errors=body_errors(
                "due_date and due_at are both set", "due_date", "due_at"
            ),
        )


CONSTRAINT_PROBLEMS = {ONE_DUE: DueDateAndTime}
"""The problem each of the room's constraints answers for (impl/http/errors.py)."""

_ZONES_BY_LOWER = {name.lower(): name for name in available_timezones()}


def unknown_time_zone(value: str) -> str:
    """What is wrong with a time zone the contract's list lacks."""
    spelt = _ZONES_BY_LOWER.get(value.strip().lower())
    if spelt is not None:
        return f"unknown time zone {shown(value)}; did you mean {spelt}?"
    return (
        f"unknown time zone {shown(value)}; use an IANA name such as"
        " America/Los_Angeles"
    )


EXPLAINERS = {"time_zone": unknown_time_zone}
"""What the room says of a value the contract's schema refused."""


def _overdue(tasks: Table, value: BindParameter[Any]) -> ColumnElement[bool]:
    """Not completed and fell due before now; a task with no due date never is."""
    fell_due = and_(~tasks.c.completed, tasks.c.due < func.now())
    return func.coalesce(fell_due, false()) == value


def _due_on(tasks: Table, value: BindParameter[Any]) -> ColumnElement[bool]:
    """Due on the day `value` in the zone `zone` names: an all-day task on
    that date; a timed one from that day's 00:00 there, included, to the
    next day's, excluded. PostgreSQL reads a local midnight in the zone
    (`timezone(zone, timestamp)`), both sides of a daylight-saving change."""
    zone = bindparam(f"filter_{DUE_ON_ZONE}", type_=Text())
    day = cast(value, Date())
    starts = func.timezone(zone, cast(day, DateTime()))
    ends = func.timezone(zone, cast(day + 1, DateTime()))
    return or_(
        tasks.c.due_date == day,
        and_(tasks.c.due_at >= starts, tasks.c.due_at < ends),
    )


DUE_ON_ZONE = "zone"

FILTERS = {
    "due_before": lambda tasks, value: tasks.c.due < value,
    "due_after": lambda tasks, value: tasks.c.due > value,
    "due_on": _due_on,
    "overdue": _overdue,
}
"""listTasks' due filters (impl/tasks/statements.py)."""
QUALIFIERS = {DUE_ON_ZONE: "due_on"}
"""listTasks' parameters that say how a filter reads its value: `zone` is
where `due_on`'s day is, and is bound only with it."""
