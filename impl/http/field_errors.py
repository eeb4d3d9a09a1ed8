"""A 422's `errors`: one entry per refused value, naming its field and
saying what is wrong in one sentence (impl/http/errors.py answers with
them)."""

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError

from impl.problems import Explainers


def _pointer(location: Sequence[int | str]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "".join(f"/{part}" for part in escaped)


EXPLAINED_ERRORS = frozenset({"enum", "literal_error", "string_pattern_mismatch"})
"""The errors whose own message is the schema's (every member, the pattern)."""
LONG_ENUM = 10
LONG_PATTERN = 24
"""Past this, a pattern is no help to a person reading the error."""


def _detail(e: Mapping[str, Any], explainers: Explainers) -> str:
    """An error in one sentence: a room's, where it explains the field; an
    enum's length, not its members, where there are many."""
    names = [part for part in e["loc"] if isinstance(part, str)]
    explain = explainers.get(names[-1]) if names else None
    value = e.get("input")
    if isinstance(value, str) and "\x00" in value:
        return "Input holds a NUL character (U+0000), which no text may hold"
    if explain is not None and e["type"] in EXPLAINED_ERRORS and isinstance(value, str):
        return explain(value)
    if e["type"] == "enum":
        members = str(e.get("ctx", {}).get("expected", "")).count("'") // 2
        if members > LONG_ENUM:
            return f"Input should be one of the {members} values the contract lists"
    if (
        e["type"] == "string_pattern_mismatch"
        and len(str(e.get("ctx", {}).get("pattern", ""))) > LONG_PATTERN
    ):
        return "Input is not in the form this field takes (see its schema)"
    return str(e["msg"])


def field_errors(
    error: RequestValidationError, explainers: Explainers
) -> list[dict[str, str]]:
    """One entry per invalid value; the offending input is echoed back only
    by a room's explainer, short and printable (`impl.problems.shown`)."""
    return [
        {
            "in": str(e["loc"][0]) if e["loc"] else "body",
            "pointer": _pointer(e["loc"][1:]),
            "detail": _detail(e, explainers),
        }
        for e in error.errors()
    ]
