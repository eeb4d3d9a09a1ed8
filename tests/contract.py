"""openapi.yaml as tests read it: operations, parameters, body fields, sort
keys, and for every schema the values it refuses.

Tests that enumerate what the contract declares read it here, so that a
change to the contract changes what they check, never leaves them asserting
yesterday's contract.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tools import openapi

CONTRACT: dict[str, Any] = openapi.load()
Schema = dict[str, Any]


def resolve(node: Schema) -> Schema:
    """A node with its $ref chain followed; sibling keywords win, as in 3.1."""
    return openapi.resolve(CONTRACT, node)


def types(schema: Schema) -> list[str]:
    declared = resolve(schema).get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def unwrap(field: Schema) -> tuple[Schema, bool]:
    """A field's schema without its null, and whether null is allowed: for
    `type: [..., 'null']` and for `anyOf`/`oneOf` with a `type: 'null'`."""
    field = resolve(field)
    for key in ("anyOf", "oneOf"):
        if key in field:
            options = [resolve(option) for option in field[key]]
            rest = [option for option in options if types(option) != ["null"]]
            if len(rest) == 1:
                return rest[0], len(rest) < len(options)
    return field, "null" in types(field)


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    spec: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec["operationId"])

    @property
    def parameters(self) -> list[Schema]:
        return [resolve(p) for p in self.spec["parameters"]]

    @property
    def media_type(self) -> str | None:
        """The body's media type: application/json, or a JSON one such as
        application/merge-patch+json."""
        body = self.spec.get("requestBody")
        if body is None:
            return None
        [media_type] = resolve(body)["content"]
        return str(media_type)

    @property
    def body_schema(self) -> Schema | None:
        body = self.spec.get("requestBody")
        if body is None or self.media_type is None:
            return None
        return resolve(resolve(body)["content"][self.media_type]["schema"])


def operations() -> list[Operation]:
    return [
        Operation(path, method, operation)
        for path, method, operation in openapi.operations(CONTRACT)
    ]


def schema(name: str) -> Schema:
    return resolve(CONTRACT["components"]["schemas"][name])


def problems() -> dict[str, dict[str, Any]]:
    """Every problem the contract names: each example of a problem response,
    by its name, with its type, title and status."""
    return {
        name: example["value"]
        for response in CONTRACT["components"]["responses"].values()
        for media in response.get("content", {}).values()
        if media["schema"].get("$ref") == "#/components/schemas/Problem"
        for name, example in media.get("examples", {}).items()
    }


def documented_response_headers() -> list[str]:
    """Every response header the contract documents, on any response."""
    return sorted(
        {
            name
            for operation in operations()
            for response in operation.spec["responses"].values()
            for name in resolve(response).get("headers", {})
        }
    )


def sort_values() -> list[str]:
    """Every value of TaskSort: each key, ascending and descending."""
    return list(schema("TaskSort")["enum"])


LIST_CONTROLS = {"limit", "cursor", "sort"}
"""The parameters of listTasks that page and order; every other query
parameter of it is a filter."""


def list_filters() -> dict[str, Schema]:
    """Every filter of listTasks, by name, with its schema."""
    [listing] = [o for o in operations() if o.operation_id == "listTasks"]
    return {
        p["name"]: resolve(p["schema"])
        for p in listing.parameters
        if p["in"] == "query" and p["name"] not in LIST_CONTROLS
    }


def filter_values(field: Schema) -> list[Any]:
    """Values to filter by, as a query string carries them: both of a
    boolean, one of anything else (a list for a repeatable parameter)."""
    schema, _ = unwrap(field)
    if types(schema) == ["boolean"]:
        return ["true", "false"]
    return [another(schema, None)]


def example(field: Schema) -> Any:
    """A value the field's schema accepts, from its examples or default."""
    field = resolve(field)
    if "examples" in field:
        return field["examples"][0]
    if "example" in field:
        return field["example"]
    if "default" in field:
        return field["default"]
    if "enum" in field:
        return field["enum"][0]
    raise LookupError(f"give the schema an example: {field}")


def another(field: Schema, value: Any) -> Any:
    """A value the field accepts other than `value` (None: any value), for
    every type and format the contract uses, lists included."""
    schema, _ = unwrap(field)
    kinds = [kind for kind in types(schema) if kind != "null"]
    if "enum" in schema:
        return next(option for option in schema["enum"] if option != value)
    if kinds == ["boolean"]:
        return value is not True
    if kinds == ["integer"] or kinds == ["number"]:
        if value is None:
            return _example_or(schema, schema.get("minimum", 0))
        return value - 1 if value + 1 > schema.get("maximum", value + 1) else value + 1
    if kinds == ["array"]:
        item = resolve(schema["items"])
        if value:
            return [another(item, value[0]), *value[1:]]
        return [another(item, None)] * max(1, schema.get("minItems", 1))
    if kinds == ["string"]:
        return _another_string(schema, value)
    raise LookupError(f"tests/contract.py: say how to vary a {kinds} field: {schema}")


def _example_or(schema: Schema, fallback: Any) -> Any:
    try:
        return example(schema)
    except LookupError:
        return fallback


FORMATTED = {"date-time": "2026-03-08T09:00:00Z", "date": "2026-03-08"}
"""A value of each format, for a schema that shows none."""


def _another_string(schema: Schema, value: Any) -> str:
    formatted = schema.get("format")
    fallback = FORMATTED.get(str(formatted), "x" * max(1, schema.get("minLength", 1)))
    given = _example_or(schema, fallback) if value is None else value
    if value is None and formatted != "uuid":
        return str(given)
    if formatted == "date-time":
        instant = datetime.fromisoformat(given.replace("Z", "+00:00"))
        return (instant + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    if formatted == "date":
        return (date.fromisoformat(given) + timedelta(days=1)).isoformat()
    if formatted == "uuid":
        return str(uuid.uuid4())
    for candidate in [*schema.get("examples", []), _example_or(schema, fallback)]:
        if candidate != value:
            return str(candidate)
    shorter = given[:-1] if len(given) > schema.get("minLength", 0) + 1 else ""
    for changed in (f"{given}x"[: schema.get("maxLength")], shorter, "x"):
        pattern = schema.get("pattern")
        if (
            changed
            and changed != value
            and (not pattern or re.search(pattern, changed))
        ):
            return changed
    raise LookupError(f"tests/contract.py: say how to vary {value!r} of {schema}")


def minimal_body(body: Schema) -> dict[str, Any]:
    """A valid body with only the required fields."""
    return {
        name: example(body["properties"][name]) for name in body.get("required", [])
    }


# Values that break a format's grammar though pydantic, left to itself,
# would read them.
NOT_FORMATTED = {
    "date-time": [
        "2026-12-24T18:00Z",
        "2026-12-24T18:00:00",
        "2026-12-24 18:00:00Z",
        "2026-12-25",
        "1796150000",
        "0.5",
        "-1",
    ],
    "date": ["2026-12-24T00:00:00Z", "20261224", "1796150000"],
    "uuid": [
        "3f8e7c1a4b2d4e6f9a1b2c3d4e5f6a7b",
        "{3f8e7c1a-4b2d-4e6f-9a1b-2c3d4e5f6a7b}",
        "urn:uuid:3f8e7c1a-4b2d-4e6f-9a1b-2c3d4e5f6a7b",
    ],
    "email": ["Pat <pat@example.com>", "pat"],
    "uri": ["not a uri", "/relative/path"],
}


def refused(field: Schema) -> Iterator[tuple[str, Any]]:
    """(what it is, a JSON value the schema refuses) for one field: the probe
    that fits its type, NUL for free text, a non-member for an enum, a
    non-RFC 3339 string for a date-time, and so on."""
    field, nullable = unwrap(field)
    kinds = types(field) + (["null"] if nullable else [])
    if "enum" in field:
        yield "a value outside the enum", "not-a-member-" + "x" * 8
    elif "string" in kinds and "format" in field:
        for value in NOT_FORMATTED.get(field["format"], []):
            yield f"not a {field['format']}: {value}", value
    elif "string" in kinds:
        yield "text holding NUL", "a\u0000b"
        if "maxLength" in field:
            yield "text over maxLength", "x" * (field["maxLength"] + 1)
    elif "array" in kinds:
        yield "not an array", "x"
        for what, item in refused(field["items"]):
            yield f"an item that is {what}", [item]
    elif "object" in kinds:
        yield "not an object", "x"
    if "string" not in kinds:
        yield "a string", "x"
    if "null" not in kinds:
        yield "null", None
    if "integer" in kinds:
        yield "a fraction", 1.5
        if "maximum" in field:
            yield "over the maximum", field["maximum"] + 1
    if "boolean" in kinds:
        yield "a number for a boolean", 1


def refused_in_request(parameter: Schema) -> Iterator[tuple[str, str]]:
    """(what it is, a raw value the parameter's schema refuses) for a
    parameter sent as text in a path, query or header."""
    field = resolve(parameter["schema"])
    pattern = field.get("pattern")
    for what, value in _refused_text(field, parameter["in"]):
        if (
            pattern is None
            or what != "text outside the pattern"
            or not re.search(pattern, value)
        ):
            yield what, value


def _refused_text(field: Schema, location: str) -> Iterator[tuple[str, str]]:
    kinds = types(field)
    if "enum" in field:
        yield "a value outside the enum", "not-a-member"
    elif "string" in kinds and "format" in field:
        for value in NOT_FORMATTED.get(field["format"], []):
            yield f"not a {field['format']}: {value}", value
    elif "string" in kinds:
        # Header values cannot carry NUL (RFC 9110, 5.5): they get the other
        # probes only.
        if location != "header":
            yield "text holding NUL", "a\u0000b"
        if "maxLength" in field:
            yield "text over maxLength", "x" * (field["maxLength"] + 1)
        if "pattern" in field and location == "header":
            yield "text outside the pattern", "has spaces"
    if "integer" in kinds:
        yield "not an integer", "ten"
        yield "a fraction", "1.5"
        if "maximum" in field:
            yield "over the maximum", str(field["maximum"] + 1)
        if "minimum" in field:
            yield "under the minimum", str(field["minimum"] - 1)
    if "boolean" in kinds:
        yield "not a boolean", "maybe"


def consistent(
    name: str, body: dict[str, Any], keep: str | None = None
) -> dict[str, Any]:
    """`body` made to hold the cross-field rules the schema `name` states:
    of the fields its `not` says cannot all be set, only `keep` (or the
    first) stays; and a field that its `if` makes need one of its `then`'s
    is dropped when `keep` is one of those, so that `keep` can change or be
    cleared alone."""
    rules = schema(name)
    body = dict(body)
    exclusive = rules.get("not", {}).get("required", [])
    if all(body.get(field) is not None for field in exclusive):
        kept = keep if keep in exclusive else exclusive[0]
        body.update({field: None for field in exclusive if field != kept})
    needed = [
        option["required"][0] for option in rules.get("then", {}).get("anyOf", [])
    ]
    if keep in needed:
        body.update({field: None for field in rules.get("if", {}).get("required", [])})
    return body


DATE_TIME_RANGE = schema("DueAt")["pattern"]
"""The pattern that keeps a request date-time within the years 1 to 9999 in
UTC, which `make generate` asks of every one (tools/generate.py)."""
