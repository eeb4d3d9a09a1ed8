"""The running service is the contract: published as written, routed as
written, and fuzzed against it by schemathesis (the generated clients have
tests of their own: test_python_client.py, test_typescript_client.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from impl.settings import PROJECT_ROOT
from runtime.routes import OperationRoute
from tests import contract
from tests.support import Keys, LiveServer

CONTRACT = contract.CONTRACT
BIN = Path(sys.executable).parent


def contract_operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(o.path, o.method): o.spec for o in contract.operations()}


def parameters(operation: dict[str, Any]) -> set[tuple[str, str, bool]]:
    return {
        (p["name"].lower(), p["in"], bool(p.get("required", False)))
        for p in map(contract.resolve, operation.get("parameters", []))
    }


def test_the_published_document_is_openapi_yaml(server: LiveServer) -> None:
    as_json = httpx.get(f"{server.base_url}/openapi.json")
    as_yaml = httpx.get(f"{server.base_url}/openapi.yaml")

    assert as_json.json() == CONTRACT
    assert as_yaml.text == (PROJECT_ROOT / "openapi.yaml").read_text()
    assert httpx.get(f"{server.base_url}/docs").status_code == 200


def test_routes_match_the_contract(server: LiveServer) -> None:
    """Paths, methods, operationIds, parameters, statuses and security agree."""
    served = {
        (route.path, method.lower()): route
        for route in server.app.routes
        if isinstance(route, OperationRoute)
        for method in route.methods or ()
    }
    expected = contract_operations()

    assert served.keys() == expected.keys()
    for key, operation in expected.items():
        route = served[key]
        assert route.operation.operation_id == operation["operationId"], key
        assert {
            (p.key.lower(), p.location, p.required) for p in route.operation.parameters
        } == parameters(operation), key
        assert set(route.operation.statuses) == {
            int(s) for s in operation["responses"]
        }, key
        security = operation.get("security", CONTRACT["security"])
        assert route.operation.security == security, key


def test_every_request_body_is_read_into_its_schema() -> None:
    from generated.routes import OPERATIONS, Handlers

    for operation in contract_operations().values():
        [bound] = [o for o in OPERATIONS if o.operation_id == operation["operationId"]]
        handler = getattr(Handlers, bound.handler)
        body = handler.__annotations__.get("body")
        if "requestBody" in operation:
            [media] = operation["requestBody"]["content"].values()
            schema = media["schema"]
            assert body.__name__ == schema["$ref"].rsplit("/", 1)[-1]
        else:
            assert body is None


def users_file(tmp_path: Path, keys: Keys) -> Path:
    """Both users' tokens, in the Web Fuzzing Commons format schemathesis reads."""
    users = [
        {
            "name": user,
            "fixedHeaders": [
                {"name": "Authorization", "value": f"Bearer {keys.token(user)}"}
            ],
        }
        for user in ("alice", "bob")
    ]
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"auth": users}))
    return path


@pytest.mark.process
def test_schemathesis_finds_no_failure_in_any_phase(
    server: LiveServer, keys: Keys, tmp_path: Path
) -> None:
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50")
    seed = os.environ.get("SCHEMATHESIS_SEED", "20261124")
    env = {**os.environ, "SCHEMATHESIS_USERS_FILE": str(users_file(tmp_path, keys))}

    result = subprocess.run(
        [
            str(BIN / "st"),
            "--config-file",
            str(PROJECT_ROOT / "tests" / "schemathesis.toml"),
            "run",
            f"{server.base_url}/openapi.json",
            "--phases=examples,coverage,fuzzing,stateful",
            "--checks=all",
            f"--max-examples={examples}",
            f"--seed={seed}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
        check=False,
    )

    summary = result.stdout[result.stdout.rfind("SUMMARY") :]
    report = PROJECT_ROOT / "build" / "schemathesis-summary.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(summary)
    (report.parent / "schemathesis-output.txt").write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
    assert "passed" in summary, summary
    assert "failure" not in summary.lower(), summary


def test_problem_titles_are_the_ones_the_contract_shows() -> None:
    """RFC 9110's reason phrases (413 Content Too Large, 422 Unprocessable
    Content), as every example problem of the contract has them."""
    from impl.http.errors import title

    examples = list(contract.problems().values())
    assert {example["status"] for example in examples} >= {413, 422}
    for example in examples:
        assert title(example["status"]) == example["title"], example
