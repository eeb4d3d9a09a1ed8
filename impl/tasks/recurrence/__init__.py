"""Recurring tasks: the contract's RFC 5545 rules, evaluated by
python-dateutil's `rrule` in the task's time zone, in bounded time.

The contract's pattern fixes a rule's shape: its parts in order, each at
most once, COUNT or UNTIL, BYDAY ordinals only where a month or a year has
weeks to count. A rule starts at the task's due date and is evaluated in
wall time: a weekly 09:00 task in Europe/Berlin falls due at 09:00 there,
whatever the offset that week.

**Bounded.** impl/tasks/recurrence/instances.py finds the next day a rule
names in at most a few milliseconds of CPU, whatever the rule, and only
within HORIZON_YEARS of the due date: a rule with no instance there is
refused when written (`recurrence-never-occurs`).

The room holds the whole feature: the rule (here and instances.py), the
CHECK that a recurring task has a due date (`needs_due`, held by the table),
the statement that creates a next occurrence (occurrences.py), and the
completion that runs it (completion.py).
"""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint

from generated.models import TaskCreate
from impl.problems import Problem, ProblemName, body_errors, shown
from impl.tasks.recurrence.instances import HORIZON_YEARS, next_day, rule_of

__all__ = [
    "CONSTRAINT_PROBLEMS",
    "EXPLAINERS",
    "HORIZON_YEARS",
    "RULE_FIELDS",
    "Occurrence",
    "RecurrenceNeverOccurs",
    "needs_due",
    "next_occurrence",
    "occurs",
    "require_occurrence",
]


RECURRENCE_NEEDS_DUE = "ck_tasks_recurrence_needs_due"


def needs_due() -> CheckConstraint:
    """A rule recurs from the task's due date, so it needs one."""
    return CheckConstraint(
        "recurrence IS NULL OR due_date IS NOT NULL OR due_at IS NOT NULL",
        name=RECURRENCE_NEEDS_DUE,
    )


class RecurrenceNeedsDue(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.RECURRENCE_NEEDS_DUE,
            "A recurring task needs a due_date or a due_at.",
            errors=body_errors("the task has no due date to recur from", "recurrence"),
        )


class RecurrenceNeverOccurs(Problem):
    def __init__(self, rule: str, due: str, years: int) -> None:
        super().__init__(
            ProblemName.RECURRENCE_NEVER_OCCURS,
            f"The recurrence has no instance within {years} years of the task's"
            " due date.",
            errors=body_errors(
                f"no instance of {rule} within {years} years of {due}", "recurrence"
            ),
        )


CONSTRAINT_PROBLEMS = {RECURRENCE_NEEDS_DUE: RecurrenceNeedsDue}
"""The problem each of the room's constraints answers for (impl/http/errors.py)."""


def _pattern(field: str) -> str:
    [pattern] = [
        str(rule.pattern)
        for rule in TaskCreate.model_fields[field].metadata
        if getattr(rule, "pattern", None)
    ]
    return pattern


PARTS = tuple(dict.fromkeys(re.findall(r"([A-Z]+)=", _pattern("recurrence"))))
"""The rule's parts, in the order the contract's pattern takes them."""
ALLOWED = "FREQ, INTERVAL, COUNT or UNTIL, BYMONTH, BYMONTHDAY, BYDAY"
if tuple(re.findall(r"[A-Z]+", ALLOWED)) != PARTS:
    raise RuntimeError(
        f"openapi.yaml's Recurrence pattern takes the parts {', '.join(PARTS)}:"
        f" say so in ALLOWED, in impl/tasks/recurrence/__init__.py"
    )


def explain_rule(value: str) -> str:
    """What is wrong with a rule the contract's pattern refused, in one
    sentence: the first unsupported, repeated or misplaced part, or else
    the part whose value is wrong."""
    names = [part.partition("=")[0] for part in value.split(";")]
    for name in names:
        if name not in PARTS:
            return f"{shown(name)} is not supported; parts allowed: {ALLOWED}"
    if names[0] != "FREQ":
        return (
            "a rule starts with FREQ (DAILY, WEEKLY, MONTHLY or YEARLY),"
            " such as FREQ=WEEKLY;BYDAY=MO"
        )
    if "COUNT" in names and "UNTIL" in names:
        return "a rule has COUNT or UNTIL, not both"
    for earlier, later in pairwise(names):
        if later == earlier:
            return f"{later} is given twice; give each part once"
        if PARTS.index(later) < PARTS.index(earlier):
            return f"{later} comes before {earlier}; parts go in this order: {ALLOWED}"
    return (
        f"a value in {shown(value)} is not one its part takes: FREQ is DAILY,"
        " WEEKLY, MONTHLY or YEARLY, INTERVAL and COUNT 1 to 999, UNTIL a date"
        " or a UTC date-time ending in Z, BYDAY days such as MO,WE or -1SU"
    )


EXPLAINERS = {"recurrence": explain_rule}
"""What the room says of a value the contract's schema refused."""

RULE_FIELDS = frozenset({"recurrence", "due_date", "due_at", "time_zone"})
"""What a rule's next instance depends on: a patch of any of them is checked
against the task it makes (require_occurrence)."""


def _parts(rule: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in rule.split(";"))


def _wall_start(
    due_date: date | None, due_at: datetime | None, zone: ZoneInfo
) -> datetime | None:
    """The due date in the task's wall time; None without one, or where
    the zone's offset takes it past the calendar's ends."""
    if due_at is not None:
        try:
            return due_at.astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            return None
    if due_date is not None:
        return datetime.combine(due_date, time())
    return None


def _calendar_next(
    parts: dict[str, str], start: datetime, since: datetime | None = None
) -> datetime | None:
    """The rule's first instance after `start`, its first wall time, or
    after `since` when that is later: an instance on `since`'s own day
    counts when its time of day comes after `since`'s."""
    rule = rule_of(parts, start.date())
    if rule is None:
        return None
    if since is None or since <= start:
        day = next_day(rule, start.date())
    else:
        day = next_day(rule, start.date(), after=since.date() - timedelta(days=1))
        if day is not None and datetime.combine(day, start.time()) <= since:
            day = next_day(rule, start.date(), after=day)
    return None if day is None else datetime.combine(day, start.time())


def occurs(
    rule: str, due_date: date | None, due_at: datetime | None, time_zone: str
) -> bool:
    """Whether the rule's calendar (COUNT and UNTIL aside) has an instance
    within HORIZON_DAYS after the due date."""
    start = _wall_start(due_date, due_at, ZoneInfo(time_zone))
    return start is None or _calendar_next(_parts(rule), start) is not None


def require_occurrence(
    rule: str | None, due_date: date | None, due_at: datetime | None, time_zone: str
) -> None:
    """Refuse a rule whose calendar has no instance within HORIZON_YEARS
    after the due date (422 `recurrence-never-occurs`)."""
    if rule is not None and not occurs(rule, due_date, due_at, time_zone):
        due = due_date if due_date is not None else due_at
        raise RecurrenceNeverOccurs(rule, str(due), HORIZON_YEARS)


def _until(value: str) -> date | datetime:
    """UNTIL as the contract reads it: a day past the end of its month is
    the month's last day."""
    year, month = int(value[:4]), int(value[4:6])
    day = min(int(value[6:8]), calendar.monthrange(year, month)[1])
    if "T" not in value:
        return date(year, month, day)
    hour, minute, second = int(value[9:11]), int(value[11:13]), int(value[13:15])
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _wall_until(value: str, zone: ZoneInfo) -> datetime:
    """UNTIL in the task's wall time: a UTC instant converted, a date to the
    end of that day; past the last year, no bound."""
    until = _until(value)
    if not isinstance(until, datetime):
        return datetime.combine(until, time.max)
    try:
        return until.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return datetime.max


@dataclass(frozen=True, slots=True)
class Occurrence:
    """The next occurrence's due date (one of the two) and its rule."""

    due_date: date | None
    due_at: datetime | None
    recurrence: str


def next_occurrence(
    rule: str,
    due_date: date | None,
    due_at: datetime | None,
    time_zone: str,
    completed_at: datetime | None = None,
) -> Occurrence | None:
    """The occurrence after the one due at `due_date` or `due_at`, or after
    `completed_at` (recurrence_basis `completion`) when that is later, in
    the task's wall time; None when the rule has no further instance (COUNT
    used up, past UNTIL, or none within HORIZON_DAYS)."""
    parts = _parts(rule)
    zone = ZoneInfo(time_zone)
    count = parts.get("COUNT")
    if count is not None and int(count) <= 1:
        return None
    start = _wall_start(due_date, due_at, zone)
    since = None if completed_at is None else _wall_start(None, completed_at, zone)
    instance = None if start is None else _calendar_next(parts, start, since)
    if instance is None:
        return None
    if "UNTIL" in parts and instance > _wall_until(parts["UNTIL"], zone):
        return None
    if count is not None:
        rule = ";".join(
            f"{k}={int(v) - 1 if k == 'COUNT' else v}" for k, v in parts.items()
        )
    if due_at is None:
        return Occurrence(instance.date(), None, rule)
    # In a gap (clocks going forward), the wall time is read with the
    # offset before the change: 02:30 becomes 03:30.
    try:
        return Occurrence(None, instance.replace(tzinfo=zone).astimezone(UTC), rule)
    except OverflowError:
        return None
