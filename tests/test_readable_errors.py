"""Errors a person can read: every 422 names the field (`pointer`) and says
what is wrong in one sentence, never the schema's 600 zone names or its
regular expression; a typo is repeated back only when short and printable."""

from typing import Any

import pytest

from impl.problems import SHOWN_CHARACTERS
from tests import contract
from tests.support import Api


def refused(api: Api, **fields: Any) -> dict[str, str]:
    """The one error of a create that the schema refuses."""
    response = api.create({"title": "Water the plants", **fields})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    return dict(error)


def test_an_unknown_time_zone_says_what_a_time_zone_is(alice: Api) -> None:
    error = refused(alice, time_zone="PST")

    assert error["pointer"] == "/time_zone"
    assert error["detail"] == (
        "unknown time zone 'PST'; use an IANA name such as America/Los_Angeles"
    )


def test_a_time_zone_in_the_wrong_case_gets_its_spelling(alice: Api) -> None:
    error = refused(alice, time_zone="europe/berlin")

    assert (
        error["detail"]
        == "unknown time zone 'europe/berlin'; did you mean Europe/Berlin?"
    )


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        (
            "FREQ=WEEKLY;BYHOUR=9",
            "'BYHOUR' is not supported; parts allowed: FREQ, INTERVAL, COUNT or"
            " UNTIL, BYMONTH, BYMONTHDAY, BYDAY",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;INTERVAL=2",
            "INTERVAL comes before BYDAY; parts go in this order: FREQ, INTERVAL,"
            " COUNT or UNTIL, BYMONTH, BYMONTHDAY, BYDAY",
        ),
        ("BYDAY=MO;FREQ=WEEKLY", "a rule starts with FREQ (DAILY, WEEKLY, MONTHLY"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "a rule has COUNT or UNTIL, not both"),
        ("FREQ=DAILY;COUNT=2;COUNT=3", "COUNT is given twice; give each part once"),
        ("FREQ=HOURLY", "a value in 'FREQ=HOURLY' is not one its part takes"),
    ],
)
def test_a_refused_rule_names_what_is_wrong_with_it(
    alice: Api, rule: str, detail: str
) -> None:
    error = refused(alice, due_date="2026-12-07", recurrence=rule)

    assert error["pointer"] == "/recurrence"
    assert error["detail"].startswith(detail), error["detail"]


def test_a_nul_is_named_whatever_the_field(alice: Api) -> None:
    for field in ["title", "time_zone", "recurrence"]:
        error = refused(alice, due_date="2026-12-07", **{field: "a\u0000b"})
        assert error["pointer"] == f"/{field}"
        assert error["detail"] == (
            "Input holds a NUL character (U+0000), which no text may hold"
        )


def test_a_long_or_binary_value_is_not_repeated_back(alice: Api) -> None:
    long_zone = "X" * (SHOWN_CHARACTERS + 1)

    assert "X" * SHOWN_CHARACTERS not in refused(alice, time_zone=long_zone)["detail"]
    assert "\x07" not in refused(alice, time_zone="Bell\x07")["detail"]


def test_every_refused_value_gets_one_readable_sentence(alice: Api) -> None:
    """Each body field sent each value its schema refuses: one sentence,
    short, no regular expression, no list of hundreds."""
    body = contract.schema("TaskCreate")
    for field, schema in body["properties"].items():
        for what, value in contract.refused(schema):
            response = alice.create({"title": "t", field: value})
            assert response.status_code == 422, (field, what, response.text)
            for error in response.json()["errors"]:
                detail = error["detail"]
                assert len(detail) <= 200, (field, what, detail)
                assert "^" not in detail, (field, what, detail)
                assert "(?:" not in detail, (field, what, detail)
