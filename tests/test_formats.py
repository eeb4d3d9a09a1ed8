"""Every model the generator writes reads a value as the contract means it.

runtime/models.py holds each format to its grammar (RFC 3339 date-times
with an offset and full-dates, hyphenated uuids, addr-spec emails, absolute
URIs) and reads integers as JSON Schema does (603.0 is an integer). These
are the models' own rules, checked here without a server; the bad-input
tests send the same probes through HTTP for every field of the contract.
"""

import json
import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import AnyUrl, AwareDatetime, EmailStr, StrictInt, ValidationError

from runtime.models import ContractModel
from tests import contract
from tests.contract import NOT_FORMATTED


class Fields(ContractModel):
    at: AwareDatetime | None = None
    on: date | None = None
    id: UUID | None = None
    email: EmailStr | None = None
    link: AnyUrl | None = None
    count: StrictInt | None = None
    ats: list[AwareDatetime] | None = None


FIELDS = {
    "date-time": "at",
    "date": "on",
    "uuid": "id",
    "email": "email",
    "uri": "link",
}

ACCEPTED: list[tuple[str, Any, Any]] = [
    ("at", "2026-12-24T18:00:00Z", datetime(2026, 12, 24, 18, tzinfo=UTC)),
    ("at", "2026-12-24t18:00:00.5z", datetime(2026, 12, 24, 18, 0, 0, 500000, UTC)),
    ("at", "2026-12-24T19:00:00+01:00", datetime(2026, 12, 24, 18, tzinfo=UTC)),
    ("on", "2026-02-28", date(2026, 2, 28)),
    ("id", "3F8E7C1A-3F8E-7C1A-3F8E-7C1A3F8E7C1A", UUID(hex="3f8e7c1a" * 4)),
    ("count", 603.0, 603),
    ("count", 603, 603),
]  # fmt: skip


def read(field: str, value: Any) -> Any:
    model = Fields.model_validate_json(json.dumps({field: value}), strict=True)
    return getattr(model, field)


@pytest.mark.parametrize(("field", "value", "expected"), ACCEPTED)
def test_what_the_format_allows_is_read(field: str, value: Any, expected: Any) -> None:
    assert read(field, value) == expected


NOT_IN_FORMAT = [
    (FIELDS[name], value) for name, values in NOT_FORMATTED.items() for value in values
]
REFUSED = [
    *NOT_IN_FORMAT,
    ("at", "0001-01-01T00:00:00+01:00"),  # no such instant in UTC
    ("at", 1796150000),
    ("on", "2026-02-30"),
    ("id", 3),
    ("count", 603.5),
    ("count", "603"),
    ("count", True),
    ("ats", ["2026-12-24T18:00Z"]),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value"), REFUSED)
def test_what_the_format_refuses_is_a_field_error(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        read(field, value)

    [error] = refused.value.errors()
    assert error["loc"][0] == field


DATE_TIME_PATTERN = contract.schema("DueAt")["pattern"]
EDGES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00-00:00",
    "0001-01-01T23:59:59+00:01",
    "0001-01-01T05:00:00-05:00",
    "0001-01-02T00:00:00+23:59",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T00:00:00-00:01",
    "9999-12-31T23:59:59+05:00",
    "9999-12-30T23:00:00-23:59",
    "2026-12-24T18:00:00+01:00",
]


@pytest.mark.parametrize("value", EDGES)
def test_the_contracts_date_time_pattern_is_the_range_the_models_read(
    value: str,
) -> None:
    """A request date-time's pattern (the contract's) and the models' range
    rule refuse the same values: every instant the pattern allows is one
    Python holds in UTC."""
    allowed = re.search(DATE_TIME_PATTERN, value) is not None
    try:
        read = Fields.model_validate({"at": value}).at
    except ValidationError:
        assert not allowed, value
    else:
        assert allowed, value
        assert read is not None
        read.astimezone(UTC)
