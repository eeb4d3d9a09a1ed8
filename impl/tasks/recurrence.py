"""Recurring tasks: the contract's RFC 5545 rules, evaluated by
python-dateutil's `rrule` in the task's time zone.

The contract's pattern fixes a rule's shape: its parts in order, each at
most once, COUNT or UNTIL, BYDAY ordinals only where a month or a year has
weeks to count. dateutil evaluates every rule of that shape (UNTIL is read
here, leniently); tests/test_recurrence.py fuzzes the pattern to show it.

A rule starts at the task's due date and is evaluated in wall time: a
weekly 09:00 task in Europe/Berlin falls due at 09:00 there, whatever the
offset that week.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

LEAP_YEAR_DAYS = {month: calendar.monthrange(2024, month)[1] for month in range(1, 13)}
"""The most days each month can have (February in a leap year)."""
LAST_YEAR = 9999
"""The last year a date-time of the contract holds."""


def _parts(rule: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in rule.split(";"))


def _never(parts: dict[str, str]) -> bool:
    """Whether no calendar has a day the rule names (BYMONTH=2;BYMONTHDAY=30):
    dateutil would look for one until the year 9999, for seconds."""
    if "BYMONTHDAY" not in parts:
        return False
    months = [int(m) for m in parts.get("BYMONTH", "1,3").split(",")]
    longest = max(LEAP_YEAR_DAYS[m] for m in months)
    return all(abs(int(d)) > longest for d in parts["BYMONTHDAY"].split(","))


def _until(value: str) -> date | datetime:
    """UNTIL as the contract reads it: a day past the end of its month is
    the month's last day."""
    year, month = int(value[:4]), int(value[4:6])
    day = min(int(value[6:8]), calendar.monthrange(year, month)[1])
    if "T" not in value:
        return date(year, month, day)
    hour, minute, second = int(value[9:11]), int(value[11:13]), int(value[13:15])
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """The next occurrence's due date (one of the two) and its rule."""

    due_date: date | None
    due_at: datetime | None
    recurrence: str


def _wall_until(value: str, zone: ZoneInfo) -> datetime | None:
    """UNTIL in the task's wall time: a UTC instant converted, a date to the
    end of that day; None past the last year (no bound)."""
    until = _until(value)
    if not isinstance(until, datetime):
        return datetime.combine(until, time.max)
    try:
        return until.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return None


def next_occurrence(
    rule: str, due_date: date | None, due_at: datetime | None, time_zone: str
) -> Occurrence | None:
    """The occurrence after the one due at `due_date` or `due_at`, or None
    when the rule has no further instance (COUNT used up, past UNTIL)."""
    parts = _parts(rule)
    zone = ZoneInfo(time_zone)
    count = parts.pop("COUNT", None)
    if (count is not None and int(count) <= 1) or _never(parts):
        return None
    until = parts.pop("UNTIL", None)
    if due_at is not None:
        try:
            start = due_at.astimezone(zone).replace(tzinfo=None)
        except OverflowError:  # the first or the last hours of the calendar
            return None
    elif due_date is not None:
        start = datetime.combine(due_date, time())
    else:
        return None
    rules = rrulestr(
        "RRULE:" + ";".join(f"{k}={v}" for k, v in parts.items()),
        dtstart=start,
        ignoretz=True,
    )
    assert isinstance(rules, rrule)  # one RRULE, no set
    if until is not None:
        rules = rules.replace(until=_wall_until(until, zone))
    instance = rules.after(start)
    if instance is None or instance.year >= LAST_YEAR:
        # The year 9999 is left out whole: its instants may lie past the
        # last one in UTC.
        return None
    if count is not None:
        rule = ";".join(
            f"{k}={int(v) - 1 if k == 'COUNT' else v}" for k, v in _parts(rule).items()
        )
    if due_at is not None:
        # In a gap (clocks going forward), the wall time is read with the
        # offset before the change: 02:30 becomes 03:30.
        try:
            return Occurrence(None, instance.replace(tzinfo=zone).astimezone(UTC), rule)
        except OverflowError:
            return None
    return Occurrence(instance.date(), None, rule)
