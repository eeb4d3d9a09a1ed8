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
from datetime import date, datetime, timedelta
from functools import partial
from typing import (
    Annotated,
    Any,
    ClassVar,
    NamedTuple,
    Union,
    get_args,
    get_origin,
)
from uuid import UUID

from pydantic import (
    AfterValidator,
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


Reader = Callable[[Any], Any]
"""Takes a field's value as it came and returns what pydantic should read."""


def _read_format(expected: Format, value: Any) -> Any:
    """The value held to the format's grammar, and read if it is text."""
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


def _read_integer(value: Any) -> Any:
    # JSON Schema counts 603.0 as an integer; pydantic's strict int does not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _reader_of(annotation: Any) -> Reader | None:
    """What a field of this type reads first, looking through Annotated,
    `| None` and lists; None when pydantic reads it as the contract means."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _reader_of(get_args(annotation)[0])
    if annotation in FORMATS:
        return partial(_read_format, FORMATS[annotation])
    if annotation is int:
        return _read_integer
    if origin in (Union, types.UnionType):
        found = [r for r in map(_reader_of, get_args(annotation)) if r is not None]
        return found[0] if found else None
    if origin is list:
        item = _reader_of(get_args(annotation)[0])
        if item is not None:
            return partial(_each, item)
    return None


def _each(read: Reader, value: Any) -> Any:
    return [read(item) for item in value] if isinstance(value, list) else value


def _is_date_time(annotation: Any) -> bool:
    if annotation in (AwareDatetime, datetime):
        return True
    return any(_is_date_time(arg) for arg in get_args(annotation))


class _Fields(NamedTuple):
    readers: dict[str, Reader]
    date_times: frozenset[str]


_fields_by_model: dict[type[BaseModel], _Fields] = {}


def _fields(model: type[BaseModel]) -> _Fields:
    if model not in _fields_by_model:
        fields = model.model_fields.items()
        _fields_by_model[model] = _Fields(
            readers={
                name: found
                for name, field in fields
                if (found := _reader_of(field.annotation)) is not None
            },
            date_times=frozenset(
                name for name, field in fields if _is_date_time(field.annotation)
            ),
        )
    return _fields_by_model[model]


def _in_utc_range(value: Any) -> None:
    """An instant of the years 1 to 9999 in UTC, as the contract's date-time
    patterns state it: on 0001-01-01 no offset east of UTC, on 9999-12-31
    none west of it (any other day is in range whatever its offset)."""
    if isinstance(value, list):
        for item in value:
            _in_utc_range(item)
    elif isinstance(value, datetime) and value.tzinfo is not None:
        offset = value.utcoffset() or timedelta(0)
        first, last = value.date() == date.min, value.date() == date.max
        if (first and offset > timedelta(0)) or (last and offset < timedelta(0)):
            raise ValueError(
                "should be a date-time between the years 1 and 9999 in UTC"
            )


class ContractModel(BaseModel):
    __not_nullable__: ClassVar[set[str]] = set()
    """Fields that may be left out but not sent as null: pydantic types them
    `X | None`, the contract does not (tools/generate.py names them)."""

    @field_validator("*", mode="before")
    @classmethod
    def _exact_format(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.__not_nullable__:
            raise ValueError("should not be null: leave the field out instead")
        read = _fields(cls).readers.get(info.field_name or "")
        return value if read is None else read(value)

    __unique_items__: ClassVar[set[str]] = set()
    """Arrays whose items must be distinct (`uniqueItems`), which pydantic
    types as plain lists (tools/generate.py names them)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in _fields(cls).date_times:
            _in_utc_range(value)
        if (
            info.field_name in cls.__unique_items__
            and isinstance(value, list)
            and len(set(value)) != len(value)
        ):
            raise ValueError("should hold distinct items")
        return value


def one_of(*allowed: object) -> AfterValidator:
    """An inline `enum` of a parameter that is not a string (`enum: [true]`):
    the value read as its type, then held to the listed ones."""

    def check(value: object) -> object:
        if value not in allowed:
            listed = ", ".join(repr(v).lower() for v in allowed)
            raise ValueError(f"should be {listed}")
        return value

    return AfterValidator(check)
