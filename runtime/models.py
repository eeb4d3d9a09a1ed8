"""The base of every generated model: formats as exact as the contract's.

pydantic reads more than a format allows: a date-time from a count of
seconds ("1796150000"), without seconds ("2026-12-24T18:00Z") or from a
bare date; a uuid without hyphens or in braces; an email with a display
name. Every field typed by a format is held here to the format's grammar
first (RFC 3339 `date-time` with an offset and `full-date`, RFC 4122's
hyphenated uuid, an addr-spec email, an RFC 3986 URI), then pydantic reads
it. A date-time that exists in its own offset but not in UTC (year 1 at
+01:00) is refused at its field too, before it can reach the database.
"""

import re
import types
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Union, get_args, get_origin
from uuid import UUID

from pydantic import (
    AnyUrl,
    AwareDatetime,
    BaseModel,
    EmailStr,
    ValidationInfo,
    field_validator,
)

DATE = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
OFFSET = r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"


class Format(NamedTuple):
    grammar: re.Pattern[str]
    expected: str
    read: Callable[[str], Any]
    """Text of the grammar to the Python value (pydantic's strict mode takes
    no text for a date-time, a date or a uuid once a validator has seen it)."""


def _date_time(text: str) -> datetime:
    # fromisoformat reads "T" and "Z" only in upper case.
    return datetime.fromisoformat(text.upper())


DATE_TIME = Format(
    re.compile(rf"{DATE}[Tt]{TIME}{OFFSET}"),
    "an RFC 3339 date-time with an offset, such as 2026-12-24T18:00:00Z",
    _date_time,
)
FORMATS: dict[object, Format] = {
    AwareDatetime: DATE_TIME,
    datetime: DATE_TIME,
    date: Format(
        re.compile(DATE),
        "an RFC 3339 full-date, such as 2026-12-24",
        date.fromisoformat,
    ),
    UUID: Format(
        re.compile("-".join(f"[0-9a-fA-F]{{{n}}}" for n in (8, 4, 4, 4, 12))),
        "a UUID in its hyphenated form",
        UUID,
    ),
    EmailStr: Format(
        re.compile(r"[^\s<>@\x00]+@[^\s<>@\x00]+"), "an email address", str
    ),
    AnyUrl: Format(
        re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]*"),
        "an absolute URI",
        str,
    ),
}
"""The Python types the generators give each format, and the format's grammar."""


def _format_of(annotation: Any) -> Format | None:
    """The format of a field's type, looking through `| None` and lists."""
    if annotation in FORMATS:
        return FORMATS[annotation]
    if get_origin(annotation) in (Union, types.UnionType, list):
        found = [f for f in map(_format_of, get_args(annotation)) if f is not None]
        return found[0] if found else None
    return None


_formats_by_model: dict[type[BaseModel], dict[str, Format]] = {}


def _formats(model: type[BaseModel]) -> dict[str, Format]:
    if model not in _formats_by_model:
        _formats_by_model[model] = {
            name: found
            for name, field in model.model_fields.items()
            if (found := _format_of(field.annotation)) is not None
        }
    return _formats_by_model[model]


def _read(expected: Format, value: Any) -> Any:
    """The value held to the format's grammar, and read if it is text."""
    if isinstance(value, list):
        return [_read(expected, item) for item in value]
    if isinstance(value, str):
        if not expected.grammar.fullmatch(value):
            raise ValueError(f"should be {expected.expected}")
        try:
            return expected.read(value)
        except ValueError:
            # In the grammar, yet no such day or time (February 30, second 60).
            raise ValueError(f"should be {expected.expected}") from None
    if isinstance(value, int | float):
        # A JSON number, or a bool, never passes for a formatted string.
        raise ValueError(f"should be {expected.expected}, as a string")
    return value


def _in_utc_range(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _in_utc_range(item)
    elif isinstance(value, datetime) and value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError(
                "should be a date-time between the years 1 and 9999 in UTC"
            ) from None


class ContractModel(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _exact_format(cls, value: Any, info: ValidationInfo) -> Any:
        expected = _formats(cls).get(info.field_name or "")
        return value if expected is None else _read(expected, value)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if _formats(cls).get(info.field_name or "") is DATE_TIME:
            _in_utc_range(value)
        return value
