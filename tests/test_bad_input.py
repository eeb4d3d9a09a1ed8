"""Bad input gets a clear 4xx problem and changes nothing, however odd it is."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from generated.facts import MAX_BODY_BYTES, PROBLEMS
from impl.http.errors import MALFORMED_HEADERS
from tests import contract
from tests.support import Api, Database

LIMIT = MAX_BODY_BYTES
MEDIA_TYPES = {
    o.method.upper(): o.media_type for o in contract.operations() if o.media_type
}
"""Each method that carries a body, and the body's media type."""
BODY_METHODS = list(MEDIA_TYPES)


@pytest.fixture
def existing(alice: Api) -> dict[str, Any]:
    return alice.new_task("Untouched", description="as created")


def send_body(
    api: Api,
    method: str,
    task: dict[str, Any],
    content: bytes,
    content_type: str | None,
) -> httpx.Response:
    url = api.tasks_url() if method == "POST" else api.task_url(task["id"])
    headers = {"Content-Type": content_type} if content_type else {}
    return api.client.request(method, url, content=content, headers=headers)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["detail"]
    return problem


MALFORMED = [
    b"{",
    b'{"title": "x"',
    b'{"title": "x"} trailing',
    b"",
    b"\xff\xfe not utf-8",
    b'{"title": "lone \\ud800 surrogate"}',
    b'{"title": "x", "title": }',
]


@pytest.mark.parametrize("method", BODY_METHODS)
@pytest.mark.parametrize("content", MALFORMED)
def test_malformed_json_is_400(
    alice: Api, existing: dict[str, Any], db: Database, method: str, content: bytes
) -> None:
    before = db.snapshot()

    response = send_body(alice, method, existing, content, MEDIA_TYPES[method])

    assert "not valid JSON" in assert_problem(response, 400)["detail"]
    assert db.snapshot() == before


@pytest.mark.parametrize("method", BODY_METHODS)
@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "json"]
)
def test_a_body_that_is_not_json_is_415(
    alice: Api,
    existing: dict[str, Any],
    db: Database,
    method: str,
    content_type: str | None,
) -> None:
    before = db.snapshot()

    response = send_body(alice, method, existing, b'{"title": "x"}', content_type)

    assert_problem(response, 415)
    assert db.snapshot() == before


def test_a_json_body_is_not_a_merge_patch_415(
    alice: Api, existing: dict[str, Any], db: Database
) -> None:
    before = db.snapshot()

    response = send_body(
        alice, "PATCH", existing, b'{"title": "x"}', "application/json"
    )

    assert "application/merge-patch+json" in assert_problem(response, 415)["detail"]
    assert db.snapshot() == before


def test_json_with_charset_is_accepted(alice: Api, existing: dict[str, Any]) -> None:
    response = send_body(
        alice, "POST", existing, b'{"title": "x"}', "application/json; charset=utf-8"
    )

    assert response.status_code == 201


INVALID_BODIES = {
    "empty title": {"title": ""},
    "blank title": {"title": " \t\n "},
    "title of 256 characters": {"title": "x" * 256},
    "description of 10,001 characters": {"title": "ok", "description": "d" * 10001},
    "missing title": {"description": "no title"},
    "null title": {"title": None},
    "number title": {"title": 123},
    "list title": {"title": ["a"]},
    "extra field": {"title": "ok", "priority": 1},
    "server field": {"title": "ok", "id": "3f8e7c1a-4b2d-4e6f-9a1b-2c3d4e5f6a7b"},
    "owner field": {"title": "ok", "user_id": "bob"},
    '"yes" as a bool': {"title": "ok", "completed": "yes"},
    '"true" as a bool': {"title": "ok", "completed": "true"},
    "0 as a bool": {"title": "ok", "completed": 0},
    "1 as a bool": {"title": "ok", "completed": 1},
    "null as a bool": {"title": "ok", "completed": None},
    "number description": {"title": "ok", "description": 5},
    "an array body": ["title"],
    "a string body": "title",
    "null body": None,
}


def url_of(operation: contract.Operation, api: Api, task: dict[str, Any]) -> str:
    return operation.path.format(user_id=api.user_id, task_id=task["id"])


def body_probes() -> Iterator[Any]:
    """Every field of every request body, with each value its schema refuses."""
    for operation in contract.operations():
        body = operation.body_schema
        if body is None:
            continue
        for name, field in body["properties"].items():
            for what, value in contract.refused(field):
                yield pytest.param(
                    operation,
                    name,
                    value,
                    id=f"{operation.operation_id}.{name}: {what}",
                )


@pytest.mark.parametrize(("operation", "field", "value"), list(body_probes()))
def test_every_body_field_refuses_what_its_schema_refuses(
    alice: Api,
    existing: dict[str, Any],
    db: Database,
    operation: contract.Operation,
    field: str,
    value: Any,
) -> None:
    assert operation.body_schema is not None
    before = db.snapshot()
    body = {**contract.minimal_body(operation.body_schema), field: value}

    response = alice.client.request(
        operation.method.upper(),
        url_of(operation, alice, existing),
        content=json.dumps(body),
        headers={"Content-Type": str(operation.media_type)},
    )

    errors = assert_problem(response, 422)["errors"]
    assert {error["in"] for error in errors} == {"body"}, errors
    assert all(error["pointer"].startswith(f"/{field}") for error in errors), errors
    assert db.snapshot() == before


def parameter_probes() -> Iterator[Any]:
    """Every parameter of every operation, with each value its schema refuses.

    The path's user_id is left to test_a_user_id_outside_the_pattern_is_422:
    a token must name the same user, or the answer is 403 first.
    """
    for operation in contract.operations():
        for parameter in operation.parameters:
            if parameter["name"] == "user_id":
                continue
            for what, raw in contract.refused_in_request(parameter):
                name = parameter["name"]
                yield pytest.param(
                    operation,
                    parameter,
                    raw,
                    id=f"{operation.operation_id}.{name}: {what}",
                )


@pytest.mark.parametrize(("operation", "parameter", "raw"), list(parameter_probes()))
def test_every_parameter_refuses_what_its_schema_refuses(
    alice: Api,
    existing: dict[str, Any],
    db: Database,
    operation: contract.Operation,
    parameter: dict[str, Any],
    raw: str,
) -> None:
    before = db.snapshot()
    name, location = parameter["name"], parameter["in"]
    task = {**existing, "id": quote(raw, safe="")} if name == "task_id" else existing
    body = operation.body_schema

    headers = {name: raw} if location == "header" else {}
    if operation.media_type:
        headers["Content-Type"] = operation.media_type

    response = alice.client.request(
        operation.method.upper(),
        url_of(operation, alice, task),
        params={name: raw} if location == "query" else None,
        headers=headers,
        content=None if body is None else json.dumps(contract.minimal_body(body)),
    )

    if location == "header" and name in MALFORMED_HEADERS:
        # A header whose form HTTP defines is malformed, not invalid: 400.
        problem_name, _ = MALFORMED_HEADERS[name]
        assert assert_problem(response, 400)["type"] == PROBLEMS[problem_name].type
    else:
        [error] = assert_problem(response, 422)["errors"]
        assert (error["in"], error["pointer"]) == (location, f"/{name}"), error
    assert db.snapshot() == before


# Bodies a create or a replacement refuses; a merge patch may leave the title
# out (its refusals are test_every_body_field_refuses_what_its_schema_refuses').
@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("body", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_invalid_values_are_422_with_field_errors(
    alice: Api, existing: dict[str, Any], db: Database, method: str, body: Any
) -> None:
    before = db.snapshot()

    response = send_body(
        alice, method, existing, json.dumps(body).encode(), MEDIA_TYPES[method]
    )

    problem = assert_problem(response, 422)
    assert problem["errors"], problem
    assert all(error["in"] == "body" for error in problem["errors"])
    assert db.snapshot() == before


def test_field_errors_point_at_the_field(alice: Api) -> None:
    response = alice.create({"title": "", "completed": "yes"})

    errors = assert_problem(response, 422)["errors"]
    assert {error["pointer"] for error in errors} == {"/title", "/completed"}


def test_the_offending_value_is_not_echoed(alice: Api) -> None:
    response = alice.create({"title": "<script>", "completed": "<script>"})

    assert "<script>" not in response.text


def test_unicode_and_edge_lengths_are_stored_exactly(alice: Api) -> None:
    body = {"title": "x" * 255, "description": "é🙂\u200b\t\n" + "d" * 9995}

    task = alice.create(body).json()

    assert {k: task[k] for k in body} == body


@pytest.mark.parametrize(
    "task_id", ["not-a-uuid", "123", "3f8e7c1a-4b2d-4e6f-9a1b-2c3d4e5f6a7", "%00"]
)
@pytest.mark.parametrize(
    "method",
    [o.method.upper() for o in contract.operations() if "{task_id}" in o.path],
)
def test_an_invalid_task_id_is_422(
    alice: Api, db: Database, task_id: str, method: str
) -> None:
    before = db.snapshot()
    media_type = MEDIA_TYPES.get(method)
    headers = {"Content-Type": media_type} if media_type else {}
    body = b'{"title": "x"}' if media_type else None

    response = alice.client.request(
        method, alice.task_url(task_id), content=body, headers=headers
    )

    problem = assert_problem(response, 422)
    assert problem["errors"][0] == {
        "in": "path",
        "pointer": "/task_id",
        "detail": problem["errors"][0]["detail"],
    }
    assert db.snapshot() == before


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": -1},
        {"limit": "ten"},
        {"limit": "1.5"},
        {"sort": "not_a_key"},
        {"sort": "--title"},
        {"completed": "maybe"},
        {"priority": "urgent"},
        {"due_before": "tomorrow"},
        {"due_after": "2026-12-24"},
        {"overdue": "maybe"},
        {"q": ""},
        {"q": " "},
        {"q": "x" * 101},
        {"tag": " x"},
        {"tag": "x" * 33},
        {"tag": [f"t{n}" for n in range(21)]},
        {"cursor": "has spaces"},
        {"cursor": "a" * 2049},
    ],
)
def test_invalid_query_parameters_are_422(alice: Api, params: dict[str, Any]) -> None:
    response = alice.list(**params)

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["in"] == "query"


def test_a_user_id_outside_the_pattern_is_422(alice: Api) -> None:
    odd_user = "bad.user"
    token = alice.keys.token(odd_user)

    response = alice.client.get(
        f"/api/{odd_user}/tasks", headers={"Authorization": f"Bearer {token}"}
    )

    assert assert_problem(response, 422)["errors"][0]["pointer"] == "/user_id"


def chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    yield b'{"title": "x", "description": "'
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size
    yield b'"}'


@pytest.mark.parametrize("method", BODY_METHODS)
def test_a_body_over_64_kib_is_413(
    alice: Api, existing: dict[str, Any], db: Database, method: str
) -> None:
    before = db.snapshot()
    body = b'{"title": "' + b"x" * LIMIT + b'"}'

    declared = send_body(alice, method, existing, body, MEDIA_TYPES[method])
    url = alice.tasks_url() if method == "POST" else alice.task_url(existing["id"])
    streamed = alice.client.request(
        method,
        url,
        content=chunks(2 * LIMIT),
        headers={"Content-Type": MEDIA_TYPES[method]},
    )

    assert "65536 bytes" in assert_problem(declared, 413)["detail"]
    assert_problem(streamed, 413)
    assert db.snapshot() == before


def test_a_body_just_under_the_limit_is_judged_on_its_content(alice: Api) -> None:
    body = b'{"title": "' + b"x" * (LIMIT - 20) + b'"}'

    response = send_body(alice, "POST", {}, body, MEDIA_TYPES["POST"])

    assert_problem(response, 422)


def test_an_unknown_path_is_a_404_problem(alice: Api) -> None:
    response = alice.client.get("/api/alice/notes")

    assert_problem(response, 404)


def test_an_unsupported_method_is_405_with_allow(alice: Api) -> None:
    task = alice.new_task()

    response = alice.client.post(alice.task_url(task["id"]), json={"title": "x"})

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, PUT, PATCH, DELETE"
