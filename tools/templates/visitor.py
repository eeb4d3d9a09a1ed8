"""fastapi-code-generator visitor: what the route template needs per operation.

The stock argument list drops path-parameter constraints when annotations are
used, so this visitor reads the contract itself and hands the template, per
operationId: each parameter's Python type, constraints and location, the
request body's model and media type, the success
status and model, every documented error status with its description, and
whether the operation is public (`security: []`).
"""

import re
from pathlib import Path
from typing import Any

from fastapi_code_generator.parser import OpenAPIParser

from tools.openapi import METHODS, operations, resolve

PYTHON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
# The types datamodel-code-generator gives these formats in generated/models.py,
# so that a parameter and a body field of one format read alike
# (runtime/models.py holds both to the format's grammar).
FORMAT_TYPES = {
    "uuid": "UUID",
    "date": "date",
    "date-time": "AwareDatetime",
    "email": "EmailStr",
    "uri": "AnyUrl",
}
TYPE_IMPORTS = {
    "UUID": "from uuid import UUID",
    "date": "from datetime import date",
    "AwareDatetime": "from pydantic import AwareDatetime",
    "EmailStr": "from pydantic import EmailStr",
    "AnyUrl": "from pydantic import AnyUrl",
}
CONSTRAINTS = {
    "pattern": "pattern",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
}
# An array's bounds, as a list's constraints (pydantic's length bounds).
ITEMS = {"minItems": "minLength", "maxItems": "maxLength"}
# FastAPI's order: the path's parameters, then the query's, then headers.
LOCATIONS = ("path", "query", "header")


def _annotated(python_type: str, schema: dict[str, Any]) -> str:
    constraints = [
        f"{py}={schema[key]!r}" for key, py in CONSTRAINTS.items() if key in schema
    ]
    if not constraints:
        return python_type
    return f"Annotated[{python_type}, Field({', '.join(constraints)})]"


def _scalar_type(spec: dict[str, Any], raw_schema: dict[str, Any]) -> tuple[str, str]:
    """A scalar parameter's annotation, and the type it names."""
    schema = resolve(spec, raw_schema)
    if "enum" in schema and "$ref" in raw_schema:
        # Shared enumerations keep their name, so handlers can name the type.
        name = str(raw_schema["$ref"].rsplit("/", 1)[-1])
        return name, name
    base = FORMAT_TYPES.get(schema.get("format", ""), PYTHON_TYPES[schema["type"]])
    if base in TYPE_IMPORTS:
        # A format's reader holds it to its grammar and range
        # (runtime/models.py); pydantic applies no pattern to a datetime.
        schema = {k: v for k, v in schema.items() if k != "pattern"}
    if "enum" in schema:
        # An inline enumeration (`enum: [true]`): read as its type, lax as
        # every parameter is ('true' is True), then held to its values.
        return (
            f"Annotated[{base}, one_of({', '.join(map(repr, schema['enum']))})]",
            base,
        )
    return _annotated(base, schema), base


def describe(spec: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    parameter = resolve(spec, raw)
    schema = resolve(spec, parameter["schema"])
    many = schema["type"] == "array"
    # OpenAPI's default for the query is form style, exploded (`tag=a&tag=b`);
    # unexploded, the values are comma-separated in one (`sort=a,b`).
    delimited = many and parameter.get("explode", True) is False
    if many:
        items, base = _scalar_type(spec, schema["items"])
        python_type = _annotated(
            f"list[{items}]",
            {ITEMS[key]: value for key, value in schema.items() if key in ITEMS},
        )
    else:
        python_type, base = _scalar_type(spec, parameter["schema"])
    name = parameter["name"]
    required = parameter.get("required", False)
    default = None if required else _default(base, schema.get("default"))
    # The handler's view: the type without the contract's constraints,
    # which the parameters model has already checked.
    plain = f"list[{base}]" if many else base
    if not required and "default" not in schema:
        python_type = f"{python_type} | None"
        plain = f"{plain} | None"
    annotation = python_type
    return {
        "name": name.lower().replace("-", "_"),
        "annotation": annotation if default is None else f"{annotation} = {default}",
        "key": name,
        "location": parameter["in"],
        "required": required,
        "many": many,
        "delimited": delimited,
        "base": base,
        "type": plain,
        "default": default,
    }


def model_name(spec: dict[str, Any], holder: dict[str, Any]) -> str | None:
    for media in resolve(spec, holder).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref")
        if ref:
            return str(ref.rsplit("/", 1)[-1])
    return None


def media_type(spec: dict[str, Any], holder: dict[str, Any]) -> str | None:
    for media in resolve(spec, holder).get("content", {}):
        return str(media)
    return None


EVENT_STREAM = "text/event-stream"


def event_models(spec: dict[str, Any], holder: dict[str, Any]) -> dict[str, str]:
    """An event stream's events, by name (each event schema's `const`), and
    the model of each one's data (its `contentSchema`): the schema of one
    event is a `oneOf` of them."""
    media = resolve(spec, holder).get("content", {}).get(EVENT_STREAM, {})
    if "schema" not in media:
        return {}
    models = {}
    for option in resolve(spec, media["schema"]).get("oneOf", []):
        fields = resolve(spec, option)["properties"]
        name = fields["event"]["const"]
        models[name] = str(fields["data"]["contentSchema"]["$ref"].rsplit("/", 1)[-1])
    return models


def body_type(spec: dict[str, Any], holder: dict[str, Any]) -> str | None:
    """The Python type of a body: its schema's model, `EventStream` for
    Server-Sent Events, or `str` for a string in a media type of its own
    (Prometheus' text format)."""
    if media_type(spec, holder) == EVENT_STREAM:
        return "EventStream"
    model = model_name(spec, holder)
    if model:
        return model
    for media in resolve(spec, holder).get("content", {}).values():
        if media.get("schema", {}).get("type") == "string":
            return "str"
    return None


def everywhere(spec: dict[str, Any]) -> set[str]:
    """The headers that every response of every operation carries, such as
    X-Request-ID: the HTTP layer's, set around the handlers, not by them."""
    found: set[str] | None = None
    for path_item in spec["paths"].values():
        for method in METHODS:
            for response in path_item.get(method, {}).get("responses", {}).values():
                names = set(resolve(spec, response).get("headers", {}))
                found = names if found is None else found & names
    return found or set()


def describe_operation(
    spec: dict[str, Any], shared: list[dict[str, Any]], operation: dict[str, Any]
) -> dict[str, Any]:
    security = operation.get("security", spec.get("security", []))
    raws = [*shared, *operation.get("parameters", [])]
    responses = {
        int(code): resolve(spec, r) for code, r in operation["responses"].items()
    }
    success = min(code for code in responses if code < 400)
    body = operation.get("requestBody")
    return {
        "public": security == [],
        "security": security,
        "parameters": sorted(
            (describe(spec, raw) for raw in raws),
            key=lambda p: LOCATIONS.index(p["location"]),
        ),
        "body_model": model_name(spec, body) if body else None,
        "body_media_type": media_type(spec, body) if body else None,
        "success_code": success,
        "success_model": None
        if media_type(spec, responses[success]) == EVENT_STREAM
        else model_name(spec, responses[success]),
        "success_type": body_type(spec, responses[success]),
        "success_media_type": media_type(spec, responses[success]),
        "events": event_models(spec, responses[success]),
        "success_headers": {
            name: resolve(spec, header).get("required", False)
            for name, header in responses[success].get("headers", {}).items()
            if name not in everywhere(spec)
        },
        # A stream's events are no JSON body: each one's data has its model
        # (`events`).
        "responses": {
            code: None
            if media_type(spec, responses[code]) == EVENT_STREAM
            else model_name(spec, responses[code])
            for code in sorted(responses)
        },
        "subject": next(
            (
                p["name"]
                for p in map(lambda raw: resolve(spec, raw), raws)
                if p.get("x-token-subject") and p["in"] == "path"
            ),
            None,
        ),
    }


def _default(python_type: str, value: Any) -> str:
    if isinstance(value, list):
        return f"[{', '.join(_default(python_type, item) for item in value)}]"
    if python_type[0].isupper() and isinstance(value, str):
        return f"{python_type}({value!r})"
    return repr(value)


def get_operation_details(parser: OpenAPIParser, model_path: Path) -> dict[str, object]:
    spec: dict[str, Any] = parser.raw_obj
    details: dict[str, dict[str, Any]] = {}
    for path_item in spec["paths"].values():
        shared = path_item.get("parameters", [])
        for method in METHODS:
            if method in path_item:
                operation = path_item[method]
                details[operation["operationId"]] = describe_operation(
                    spec, shared, operation
                )
    used = {p["base"] for d in details.values() for p in d["parameters"]}
    models = sorted(
        {
            d[key]
            for d in details.values()
            for key in ("body_model", "success_model")
            if d[key]
        }
        | {
            model
            for d in details.values()
            for model in d["responses"].values()
            if model
        }
        | {model for d in details.values() for model in d["events"].values()}
        | {name for name in used if name[0].isupper() and name not in TYPE_IMPORTS}
    )
    uses_one_of = any(
        "one_of(" in p["annotation"] for d in details.values() for p in d["parameters"]
    )
    imports = sorted(TYPE_IMPORTS[name] for name in used & TYPE_IMPORTS.keys())
    optional_headers = any(
        not required
        for d in details.values()
        for required in d["success_headers"].values()
    )
    return {
        "details": details,
        "streams": any(d["events"] for d in details.values()),
        "models": models,
        "type_imports": imports,
        "optional_headers": optional_headers,
        "uses_one_of": uses_one_of,
        "facts": contract_facts(spec),
    }


def constant_name(name: str) -> str:
    """`IdempotencyKey` or `createTask` as a constant's name: IDEMPOTENCY_KEY."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def contract_facts(spec: dict[str, Any]) -> dict[str, Any]:
    """What generated/facts.py states: the contract's values that the service
    acts on, so that it never reads them from the YAML at run time."""
    components = spec.get("components", {})
    responses = components.get("responses", {})
    limits = [
        r["x-max-body-bytes"] for r in responses.values() if "x-max-body-bytes" in r
    ]
    if len(limits) != 1:
        raise ValueError(
            "openapi.yaml must give one response (the 413) an x-max-body-bytes, "
            f"the largest request body; it gives {len(limits)}"
        )
    all_operations = operations(spec)
    return {
        "title": spec["info"]["title"],
        "version": spec["info"]["version"],
        "max_body_bytes": limits[0],
        "lifetimes": {
            constant_name(name): parameter["x-lifetime-seconds"]
            for name, parameter in components.get("parameters", {}).items()
            if "x-lifetime-seconds" in parameter
        },
        "locations": _locations(spec, all_operations),
        "cors_methods": sorted({method.upper() for _, method, _ in all_operations}),
        "cors_request_headers": _request_headers(spec, all_operations),
        "cors_response_headers": sorted(
            {
                name
                for _, _, operation in all_operations
                for response in operation["responses"].values()
                for name in resolve(spec, response).get("headers", {})
            }
        ),
        "problems": _problems(responses),
    }


def _locations(
    spec: dict[str, Any], all_operations: list[tuple[str, str, dict[str, Any]]]
) -> dict[str, str]:
    """Per operation whose success has a Location header, the path of the GET
    its response links to: where what it created lives."""
    paths = {o["operationId"]: (path, method) for path, method, o in all_operations}
    found = {}
    for _, _, operation in all_operations:
        codes = sorted(int(code) for code in operation["responses"])
        success = resolve(spec, operation["responses"][str(min(codes))])
        if "Location" not in success.get("headers", {}):
            continue
        targets = [
            paths[link["operationId"]][0]
            for link in success.get("links", {}).values()
            if paths[link["operationId"]][1] == "get"
        ]
        if not targets:
            raise ValueError(
                f"{operation['operationId']} answers with a Location: link its "
                "success response to the GET operation of what it creates"
            )
        found[f"{constant_name(operation['operationId'])}_LOCATION"] = targets[0]
    return found


def _request_headers(
    spec: dict[str, Any], all_operations: list[tuple[str, str, dict[str, Any]]]
) -> list[str]:
    """What a browser may send: every header parameter, the Authorization the
    security schemes need and the Content-Type of a body."""
    headers = (
        {"Content-Type"}
        if any("requestBody" in o for _, _, o in all_operations)
        else set()
    )
    schemes = spec.get("components", {}).get("securitySchemes", {}).values()
    if any(s.get("type") == "http" or s.get("in") == "header" for s in schemes):
        headers.add("Authorization")
    for _, _, operation in all_operations:
        for raw in operation["parameters"]:
            parameter = resolve(spec, raw)
            if parameter["in"] == "header":
                headers.add(parameter["name"])
    return sorted(headers)


def _problems(responses: dict[str, Any]) -> list[dict[str, Any]]:
    """Every problem the contract names: an example of a problem response."""
    found: dict[str, dict[str, Any]] = {}
    for response in responses.values():
        for media, content in response.get("content", {}).items():
            if media != "application/problem+json":
                continue
            for name, example in content.get("examples", {}).items():
                value = example["value"]
                found[name] = {
                    "member": constant_name(name),
                    "name": name,
                    "status": int(value["status"]),
                    "type": value["type"],
                    "title": value["title"],
                }
    return [found[name] for name in sorted(found)]


visit = get_operation_details
