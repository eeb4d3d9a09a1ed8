"""The first day after a due date that a recurrence rule names, found in
bounded time, within HORIZON_YEARS.

**Bounded.** dateutil looks for a rule's next instance period by period,
and stops only at one or at the year 9999: a rule that no calendar meets
soon (`FREQ=MONTHLY;BYMONTHDAY=1;BYDAY=5MO`, the 1st never being a fifth
Monday) costs it seconds of CPU, during which the event loop serves no one.
So the rule is taken apart, without writing a calendar of our own:

- Its BY parts name days that depend only on the kind of month: its length
  and the weekday of its 1st (28 kinds); or, for BYDAY ordinals counted
  within a year, on the kind of year (14). dateutil lists them in a sample
  month (or year) of the kind among the calendar's last 400 years (the
  Gregorian calendar repeats every 400 years), stepping 400 years, so that
  it passes 9999 and stops after that one. Each kind costs about 0.05 ms
  of dateutil, once: it is cached.
- INTERVAL keeps every k-th day, week, month or year from the due date's:
  arithmetic on day numbers. Which days of a year it keeps depends on the
  year's phase in that cycle, so a year of a kind and phase that held
  nothing is not tried again.

A rule whose calendar has no instance within HORIZON_YEARS of the due date
is refused when written (`recurrence-never-occurs`), and a completion looks
no further. tests/test_recurrence.py checks every answer against dateutil's
own search, and bounds the CPU time of every rule the pattern admits.
"""

import calendar
from dataclasses import dataclass
from datetime import MAXYEAR, date, datetime
from functools import lru_cache
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekday

HORIZON_YEARS = 100
"""How far after its due date a rule's next instance must fall."""
HORIZON_DAYS = HORIZON_YEARS * 36_525 // 100
LAST_YEAR = 9999
"""The last year a date-time of the contract holds; it is left out whole,
as its instants may lie past the last one in UTC."""
_LAST_DAY = date(LAST_YEAR - 1, 12, 31).toordinal()

_FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_CYCLE_YEARS = 400
"""The Gregorian calendar repeats every 400 years, weekdays included."""
_LAST_CYCLE = range(MAXYEAR, MAXYEAR - _CYCLE_YEARS, -1)

YearKind = tuple[bool, int]
"""A year's leap-ness and the weekday of its 1 January."""
MonthKind = tuple[int, int]
"""A month's length and the weekday of its 1st."""


def _year_kind(year: int) -> YearKind:
    return calendar.isleap(year), date(year, 1, 1).weekday()


def _month_kind(year: int, month: int) -> MonthKind:
    weekday, length = calendar.monthrange(year, month)
    return length, weekday


_ALL_MONTHS = frozenset(range(1, 13))
_SAMPLE_YEAR = {_year_kind(year): year for year in _LAST_CYCLE}
_SAMPLE_MONTH = {
    _month_kind(year, month): (year, month)
    for year in _LAST_CYCLE
    for month in range(1, 13)
}
"""A year and a month of each kind in the calendar's last 400 years:
dateutil, stepping 400 years from there, passes MAXYEAR and stops."""


def _ints(value: str | None) -> tuple[int, ...] | None:
    return None if value is None else tuple(int(v) for v in value.split(","))


@dataclass(frozen=True, slots=True)
class Days:
    """A rule's BY parts other than BYMONTH, every gap filled in from the
    due date as RFC 5545 (and dateutil) fill it: which days of a month (or,
    with `in_year`, of a year) the rule names."""

    bymonthday: tuple[int, ...] | None
    byday: tuple[tuple[int | None, int], ...] | None
    """(ordinal or None, weekday)."""
    in_year: bool
    """BYDAY ordinals count within the year (YEARLY without BYMONTH)."""

    def dateutil(self) -> list[dict[str, Any]]:
        """dateutil's arguments: one set for each kind of BYDAY value. RFC
        5545 takes `BYDAY=TU,5SA` as every Tuesday and the fifth Saturday;
        dateutil, given both, keeps only days that are each (none)."""
        if self.byday is None:
            return [{"bymonthday": self.bymonthday}]
        kinds = {n is None for n, _ in self.byday}
        return [
            {
                "bymonthday": self.bymonthday,
                "byweekday": [
                    weekday(d, n) for n, d in self.byday if (n is None) == plain
                ],
            }
            for plain in sorted(kinds)
        ]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's calendar: every `interval`-th day, week (from Monday), month
    or year from the start's, on the days `days` names in `months`."""

    freq: int
    interval: int
    months: frozenset[int]
    days: Days


def rule_of(parts: dict[str, str], start: date) -> Rule | None:
    """The rule's calendar from this start; None when no day of its
    periods can be one it names."""
    freq = _FREQUENCIES[parts["FREQ"]]
    interval = int(parts.get("INTERVAL", "1"))
    months = _ints(parts.get("BYMONTH"))
    monthdays = _ints(parts.get("BYMONTHDAY"))
    days = None
    if "BYDAY" in parts:
        days = tuple(
            (int(day[:-2]) if day[:-2] else None, _WEEKDAYS.index(day[-2:]))
            for day in parts["BYDAY"].split(",")
        )
    if monthdays is None and days is None:
        if freq == YEARLY:
            months = months or (start.month,)
            monthdays = (start.day,)
        elif freq == MONTHLY:
            monthdays = (start.day,)
        elif freq == WEEKLY:
            days = ((None, start.weekday()),)
        else:
            monthdays = tuple(range(1, 32))
    if freq == DAILY and interval % 7 == 0:
        # Every day of its periods is the start's weekday.
        if days is not None and (None, start.weekday()) not in days:
            return None
        days = ((None, start.weekday()),)
    in_year = (
        freq == YEARLY and months is None and any(n is not None for n, _ in days or ())
    )
    return Rule(
        freq,
        interval,
        frozenset(months or _ALL_MONTHS),
        Days(monthdays, days, in_year),
    )


@lru_cache(maxsize=4096)
def _in_month(days: Days, kind: MonthKind) -> frozenset[int]:
    """The days of a month of this kind (0 for its 1st) that `days` names,
    as dateutil lists them in a sample month of the kind."""
    year, month = _SAMPLE_MONTH[kind]
    return frozenset(
        instance.day - 1
        for arguments in days.dateutil()
        for instance in rrule(
            MONTHLY,
            interval=12 * _CYCLE_YEARS,
            dtstart=datetime(year, month, 1),
            **arguments,
        )
    )


@lru_cache(maxsize=1024)
def _in_year(days: Days, months: frozenset[int], kind: YearKind) -> tuple[int, ...]:
    """The days of a year of this kind (0 for 1 January) that the rule
    names in `months`, in order. dateutil lists them a
    month of a kind at a time in a sample month; or, for ordinals that
    count within the year, in a sample year of the kind."""
    year = _SAMPLE_YEAR[kind]
    first = date(year, 1, 1).toordinal()
    if days.in_year:
        instances = {
            instance
            for arguments in days.dateutil()
            for instance in rrule(
                YEARLY,
                interval=_CYCLE_YEARS,
                dtstart=datetime(year, 1, 1),
                **arguments,
            )
        }
        return tuple(sorted(instance.toordinal() - first for instance in instances))
    return tuple(
        date(year, month, 1).toordinal() - first + day
        for month in sorted(months)
        for day in sorted(_in_month(days, _month_kind(year, month)))
    )


class _Periods:
    """Which days lie in the rule's periods: every `interval`-th day, week
    (from Monday), month or year from the start's. A year's phase in their
    cycle decides, with the year's kind, which of its days are in."""

    def __init__(self, rule: Rule, start: date) -> None:
        self.freq, self.interval, self.year = rule.freq, rule.interval, start.year
        self.day = start.toordinal()
        self.monday = self.day - start.weekday()
        self.month = start.month

    def phase(self, year: int, first: int) -> int:
        if self.freq == DAILY:
            return (self.day - first) % self.interval
        if self.freq == WEEKLY:
            return (self.monday - first) % (7 * self.interval)
        return (year - self.year) * (12 if self.freq == MONTHLY else 1) % self.interval

    def months(self, year: int) -> frozenset[int]:
        """The months of `year` that hold days of the periods."""
        if self.freq == MONTHLY:
            after = (self.month - 1 - (year - self.year) * 12) % self.interval
            return frozenset(range(after + 1, 13, self.interval))
        if self.freq == YEARLY and (year - self.year) % self.interval:
            return frozenset()
        return _ALL_MONTHS

    def meets(self, year: int, first: int) -> bool:
        """Whether any day of the year lies in the periods."""
        phase = self.phase(year, first)
        length = 366 if calendar.isleap(year) else 365
        if self.freq == DAILY:
            return phase < length
        if self.freq == WEEKLY:  # a period may start in the year before
            return phase < length or phase > 7 * self.interval - 7
        return bool(self.months(year))

    def holds(self, ordinal: int) -> bool:
        """Whether a day of a month that `months` gave lies in the periods."""
        if self.freq == DAILY:
            return (ordinal - self.day) % self.interval == 0
        if self.freq == WEEKLY:
            return (ordinal - self.monday) // 7 % self.interval == 0
        return True


def next_day(rule: Rule, start: date, after: date | None = None) -> date | None:
    """The first day after `start` (or after `after`, when that is later),
    within HORIZON_DAYS of it, that the rule starting at `start` names in
    one of its periods.

    What a year holds depends on its kind and its phase alone, so a pair
    that held nothing is not tried again: a century costs at most the 14
    kinds of year (or 28 of month) in dateutil, and some arithmetic."""
    since = start if after is None else max(start, after)
    after_ordinal = since.toordinal()
    last = min(after_ordinal + HORIZON_DAYS, _LAST_DAY)
    periods = _Periods(rule, start)
    barren: set[tuple[YearKind, int]] = set()
    for year in range(since.year, date.fromordinal(last).year + 1):
        first = date(year, 1, 1).toordinal()
        key = (_year_kind(year), periods.phase(year, first))
        if key in barren or not periods.meets(year, first):
            continue
        months = rule.months & periods.months(year)
        held = False
        for day in _in_year(rule.days, months, key[0]) if months else ():
            ordinal = first + day
            if rule.interval == 1 or periods.holds(ordinal):
                if ordinal > after_ordinal:
                    return date.fromordinal(ordinal) if ordinal <= last else None
                held = True
        if not held:
            barren.add(key)
    return None
