"""Facts of openapi.yaml that the implementation acts on, read from it once.

The contract states them for clients; the service reads them here rather
than restating them, so a change to the contract changes the service:

- the largest request body (`x-max-body-bytes` of the 413 response);
- how long an Idempotency-Key is kept (`x-lifetime-seconds` of its
  parameter);
- where a task lives (getTask's path), for the `Location` of a new one;
- the status and `type` of a problem the contract names (an example of
  that name);
- what a browser may send and read (CORS): every method of an operation,
  every header parameter, the Authorization the security schemes need and
  the Content-Type of a body; every response header the contract documents.
"""

from datetime import timedelta
from functools import cache
from typing import Any

from generated.routes import OPERATIONS
from impl.http.contract import contract


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = contract()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations() -> list[dict[str, Any]]:
    return [
        {**item[method], "shared": item.get("parameters", [])}
        for item in contract()["paths"].values()
        for method in ("get", "put", "post", "delete", "patch")
        if method in item
    ]


def max_body_bytes() -> int:
    return int(
        contract()["components"]["responses"]["PayloadTooLarge"]["x-max-body-bytes"]
    )


def idempotency_key_lifetime() -> timedelta:
    parameter = contract()["components"]["parameters"]["IdempotencyKey"]
    return timedelta(seconds=parameter["x-lifetime-seconds"])


def task_location(user_id: str, task_id: object) -> str:
    """The URL of a task, as getTask's path has it."""
    return TASK_PATH.format(user_id=user_id, task_id=task_id)


[TASK_PATH] = [o.path for o in OPERATIONS if o.operation_id == "getTask"]


class ProblemNotInContract(LookupError):
    """The service names a problem that the contract's examples do not."""


@cache
def problem(name: str) -> tuple[int, str]:
    """The status and type URI of the problem the contract's examples call
    `name`."""
    for response in contract()["components"]["responses"].values():
        for content in response.get("content", {}).values():
            example = content.get("examples", {}).get(name)
            if example is not None:
                return int(example["value"]["status"]), str(example["value"]["type"])
    raise ProblemNotInContract(
        f"openapi.yaml names no problem example {name!r}: add one, with its"
        " status and type, to the examples of the response that carries it"
    )


@cache
def cors_methods() -> list[str]:
    return sorted({o.method for o in OPERATIONS})


@cache
def cors_request_headers() -> list[str]:
    headers = (
        {"Content-Type"} if any("requestBody" in o for o in _operations()) else set()
    )
    schemes = contract()["components"].get("securitySchemes", {}).values()
    if any(s.get("type") == "http" or s.get("in") == "header" for s in schemes):
        headers.add("Authorization")
    for operation in _operations():
        for raw in [*operation["shared"], *operation.get("parameters", [])]:
            parameter = _resolve(raw)
            if parameter["in"] == "header":
                headers.add(parameter["name"])
    return sorted(headers)


@cache
def cors_response_headers() -> list[str]:
    return sorted(
        {
            name
            for operation in _operations()
            for response in operation["responses"].values()
            for name in _resolve(response).get("headers", {})
        }
    )
