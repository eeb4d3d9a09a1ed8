"""Every example in openapi.yaml holds to the schema it illustrates.

Examples are what readers copy and what schemathesis sends first, so one
that its own schema refuses misleads both: a field made required but left
out of the Task example, a date-time out of format. Checked with
jsonschema-rs (JSON Schema 2020-12, OpenAPI 3.1's dialect, formats too):
schema examples (`example`, `examples`) wherever a schema holds them, and
the `example` and `examples` of every parameter, request body and response.
"""

from collections.abc import Iterator
from typing import Any

import jsonschema_rs

from tools.openapi import METHODS, Node, operations, resolve

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SUBSCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else")
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _in_schema(where: str, schema: Node) -> Iterator[tuple[str, Node, Any]]:
    """(where, schema, example) for the examples a schema and the schemas
    inside it hold; a $ref's target is checked where it is defined."""
    if "$ref" in schema:
        return
    if "example" in schema:
        yield f"{where}/example", schema, schema["example"]
    for n, example in enumerate(schema.get("examples", [])):
        yield f"{where}/examples/{n}", schema, example
    for name, child in schema.get("properties", {}).items():
        yield from _in_schema(f"{where}/properties/{name}", child)
    for key in SUBSCHEMAS:
        if isinstance(schema.get(key), dict):
            yield from _in_schema(f"{where}/{key}", schema[key])
    for key in LISTS:
        for n, child in enumerate(schema.get(key, [])):
            yield from _in_schema(f"{where}/{key}/{n}", child)


def _of_holder(spec: Node, where: str, holder: Node) -> Iterator[tuple[str, Node, Any]]:
    """A parameter's or a media type's examples, against its schema."""
    schema = holder.get("schema")
    if schema is None:
        return
    yield from _in_schema(f"{where}/schema", schema)
    if "example" in holder:
        yield f"{where}/example", schema, holder["example"]
    for name, example in holder.get("examples", {}).items():
        example = resolve(spec, example)
        if "value" in example:
            yield f"{where}/examples/{name}", schema, example["value"]


def _of_content(spec: Node, where: str, node: Node) -> Iterator[tuple[str, Node, Any]]:
    """A request body's or a response's examples, each media type's."""
    if "$ref" in node:
        return
    for media, content in node.get("content", {}).items():
        yield from _of_holder(spec, f"{where}/content/{media}", content)


def examples(spec: Node) -> Iterator[tuple[str, Node, Any]]:
    """(where, schema, example) for every example of the document."""
    components = spec.get("components", {})
    for name, schema in components.get("schemas", {}).items():
        yield from _in_schema(f"#/components/schemas/{name}", schema)
    for name, parameter in components.get("parameters", {}).items():
        yield from _of_holder(spec, f"#/components/parameters/{name}", parameter)
    for kind in ("requestBodies", "responses"):
        for name, node in components.get(kind, {}).items():
            yield from _of_content(spec, f"#/components/{kind}/{name}", node)
    for path, method, operation in operations(spec):
        at = f"{method.upper()} {path}"
        for parameter in operation["parameters"]:
            if "$ref" not in parameter:
                where = f"{at} parameter {parameter['name']}"
                yield from _of_holder(spec, where, parameter)
        if "requestBody" in operation:
            yield from _of_content(spec, f"{at} requestBody", operation["requestBody"])
        for status, response in operation.get("responses", {}).items():
            yield from _of_content(spec, f"{at} response {status}", response)


def example_violations(spec: Node) -> list[str]:
    """One message per example its schema refuses, naming where it is."""
    found = []
    for where, schema, example in examples(spec):
        validator = jsonschema_rs.validator_for(
            {"$schema": DIALECT, **schema, "components": spec.get("components", {})},
            validate_formats=True,
        )
        for error in validator.iter_errors(example):
            at = "/".join(str(part) for part in error.instance_path)
            found.append(f"{where}: {error.message} (at /{at})")
    return found


def inline_problem_examples(spec: Node) -> list[str]:
    """Problem examples inside an operation's own responses, which the
    generator would not see: it reads the problems the contract names
    (generated/facts.py's ProblemName) from #/components/responses."""
    return [
        f"{method.upper()} {path} response {status}: move this problem+json "
        "response to #/components/responses and $ref it, so that make generate "
        "names its problem types"
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        for status, response in item.get(method, {}).get("responses", {}).items()
        if "$ref" not in response
        and response.get("content", {})
        .get("application/problem+json", {})
        .get("examples")
    ]
