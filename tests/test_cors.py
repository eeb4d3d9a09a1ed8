"""CORS, as a browser frontend on another origin uses it: every method and
request header of the contract is allowed, every response header it
documents can be read, CORS_ORIGINS is read as browsers send Origin, and
preflights are logged like any other request."""

import os
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from impl.http.logs import REQUEST_ID_HEADER
from impl.settings import PROJECT_ROOT, Settings
from impl.tracing import TRACE_CONTEXT_HEADERS
from tests import contract
from tests.support import (
    Api,
    Keys,
    LiveServer,
    changed,
    logged_lines,
    service_process,
)

FRONTEND = "http://localhost:3000"
TASK = "/api/alice/tasks/3f8e7c1a-4b2d-4e6f-9a1b-2c3d4e5f6a7b"


def request_headers(operation: contract.Operation) -> list[str]:
    """What a browser sends for the operation: its header parameters, the
    bearer token, a body's Content-Type, a request id of its own, and the
    trace context of a traced frontend."""
    headers = [p["name"] for p in operation.parameters if p["in"] == "header"]
    if operation.spec.get("security") != []:
        headers.append("Authorization")
    if operation.media_type:
        headers.append("Content-Type")
    return [*headers, REQUEST_ID_HEADER, *TRACE_CONTEXT_HEADERS]


@pytest.fixture(scope="module")
def frontend_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer.serve(changed(settings, cors_origins=(FRONTEND,))) as live:
        yield live


@pytest.mark.parametrize(
    "operation", contract.operations(), ids=lambda o: str(o.operation_id)
)
def test_a_preflight_allows_each_operation(
    frontend_server: LiveServer, operation: contract.Operation
) -> None:
    headers = request_headers(operation)
    url = operation.path.format(user_id="alice", task_id=TASK.rsplit("/", 1)[1])

    response = httpx.options(
        f"{frontend_server.base_url}{url}",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": operation.method.upper(),
            "Access-Control-Request-Headers": ",".join(headers).lower(),
        },
    )

    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed = response.headers["Access-Control-Allow-Methods"]
    assert operation.method.upper() in allowed.split(", ")


def test_another_origin_is_refused(frontend_server: LiveServer) -> None:
    response = httpx.options(
        f"{frontend_server.base_url}{TASK}",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "PUT",
        },
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_every_documented_response_header_is_readable(
    frontend_server: LiveServer, keys: Keys
) -> None:
    with Api.for_user(frontend_server.base_url, "alice", keys) as alice:
        response = alice.client.get(alice.tasks_url(), headers={"Origin": FRONTEND})

    exposed = response.headers["Access-Control-Expose-Headers"].lower().split(", ")
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert {name.lower() for name in contract.documented_response_headers()} <= set(
        exposed
    )
    assert {"www-authenticate", "x-request-id", "ratelimit"} <= set(exposed)


def test_no_origin_is_allowed_by_default(alice: Api) -> None:
    response = alice.client.options(
        alice.tasks_url(),
        headers={"Origin": FRONTEND, "Access-Control-Request-Method": "GET"},
    )

    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    ("entry", "origin"),
    [
        ("http://localhost:3000/", "http://localhost:3000"),
        ("HTTP://LocalHost:3000", "http://localhost:3000"),
        ("https://app.example:443", "https://app.example"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("*", "*"),
    ],
)
def test_cors_origins_are_read_as_browsers_send_origin(entry: str, origin: str) -> None:
    assert Settings(cors_origins=f"{entry}, {FRONTEND}").cors_origins == (
        origin,
        FRONTEND,
    )


@pytest.mark.parametrize(
    "entry",
    ["localhost:3000", "http://localhost:3000/app", "ftp://files.example", "http://"],
)
def test_an_entry_that_is_no_origin_is_refused(entry: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=entry)


@pytest.mark.process
def test_startup_names_auth_and_origins_and_preflights_are_logged(
    settings: Settings, keys: Keys
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": settings.database_url,
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": keys.issuer,
        "JWT_AUDIENCE": keys.audience,
        "CORS_ORIGINS": f"{FRONTEND}/",
    }

    with service_process(PROJECT_ROOT, env) as (_, base, log):
        preflight = httpx.options(
            f"{base}{TASK}",
            headers={
                "Origin": FRONTEND,
                "Access-Control-Request-Method": "PATCH",
                REQUEST_ID_HEADER: "preflight-1",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers[REQUEST_ID_HEADER] == "preflight-1"
        [access] = logged_lines(log, f'"OPTIONS {TASK}"')
        output = log.read_text()

    assert f"auth: JWKS given in JWKS_JSON; issuer {keys.issuer}" in output
    assert f"CORS: allowing {FRONTEND}" in output
    assert "[preflight-1]" in access
    assert '" 200 ' in access
