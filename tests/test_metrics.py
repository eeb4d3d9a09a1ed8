"""GET /metrics: the whole service's counts, whichever worker answers.

A real Prometheus (Debian's `prometheus`) scrapes `make serve`'s two workers
while a known set of requests goes to them, each on a connection of its own
so that both workers serve some; Prometheus' query API must then give back
exactly what the clients saw.
"""

import collections
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from impl.settings import PROJECT_ROOT, Settings
from tests.support import (
    Database,
    JwksServer,
    Keys,
    free_port,
    require,
    service_process,
    up_within,
)

SCRAPE_SECONDS = 0.5
SCRAPE_INTERVAL = "500ms"
USERS = [f"user-{n}" for n in range(5)]
MAX_TASKS = 3
RATE_LIMIT = 20
"""Per user and minute in each worker: no user but `eager` comes near it."""


@pytest.fixture(scope="module")
def prometheus_binary() -> str:
    return require("prometheus", "apt-get install prometheus")


@pytest.fixture
def jwks(keys: Keys) -> Iterator[JwksServer]:
    with JwksServer.serve() as server:
        server.publish(keys.jwk())
        yield server


@pytest.fixture
def service(settings: Settings, keys: Keys, jwks: JwksServer) -> Iterator[str]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": settings.database_url,
        "JWKS_URL": jwks.url,
        "JWKS_COOLDOWN_SECONDS": "0",
        "JWT_ISSUER": keys.issuer,
        "JWT_AUDIENCE": keys.audience,
        "RATE_LIMIT": f"{RATE_LIMIT}/minute",
        "MAX_TASKS_PER_USER": str(MAX_TASKS),
    }
    with service_process(PROJECT_ROOT, env, "--workers", "2") as (_, base, _):
        yield base


@pytest.fixture
def prometheus(prometheus_binary: str, service: str) -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": SCRAPE_INTERVAL},
                    "scrape_configs": [
                        {
                            "job_name": "todo-api",
                            "static_configs": [
                                {"targets": [service.removeprefix("http://")]}
                            ],
                        }
                    ],
                }
            )
        )
        log = Path(scratch) / "prometheus.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    prometheus_binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={scratch}/data",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            assert up_within(lambda: _ready(base), process, 30), (
                f"prometheus did not start: {log.read_text()}"
            )
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready").status_code == 200
    except httpx.TransportError:
        return False


def query(prometheus: str, promql: str) -> dict[tuple[str, ...], float]:
    """An instant query's vector, by its labels' values in label-name order."""
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}).json()
    assert answer["status"] == "success", answer
    return {
        tuple(value for _, value in sorted(sample["metric"].items())): float(
            sample["value"][1]
        )
        for sample in answer["data"]["result"]
    }


def settled(
    prometheus: str, promql: str, expected: dict[Any, float]
) -> dict[tuple[str, ...], float]:
    """The query's answer once it equals `expected`, or after 20 s."""
    deadline = time.monotonic() + 20
    while True:
        found = query(prometheus, promql)
        if found == expected or time.monotonic() > deadline:
            return found
        time.sleep(SCRAPE_SECONDS)


class Traffic:
    """Requests on fresh connections, and what each was answered."""

    def __init__(self, base: str, keys: Keys) -> None:
        self.base = base
        self.keys = keys
        self.seen: collections.Counter[tuple[str, str, str]] = collections.Counter()

    def send(
        self, method: str, route: str, user: str | None, task: object = None, **kw: Any
    ) -> httpx.Response:
        path = route.format(user_id=user or "nobody", task_id=task)
        headers = kw.pop("headers", {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.keys.token(user)}"
        response = httpx.request(
            method, f"{self.base}{path}", headers=headers, timeout=10, **kw
        )
        # As `query` gives labels: by name (method, status, route).
        self.seen[(method, str(response.status_code), route)] += 1
        return response


TASKS = "/api/{user_id}/tasks"
TASK = "/api/{user_id}/tasks/{task_id}"


def _created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def send_known_requests(traffic: Traffic) -> None:
    for user in USERS:
        ids = [
            _created(traffic.send("POST", TASKS, user, json={"title": f"t{n}"}))
            for n in range(MAX_TASKS)
        ]
        traffic.send("POST", TASKS, user, json={"title": "one too many"})
        for task_id in ids:
            traffic.send("GET", TASK, user, task_id)
        traffic.send("GET", TASK, user, uuid.uuid4())
        traffic.send("GET", TASKS, user)
        traffic.send("GET", TASKS, user, params={"completed": "true"})
        traffic.send(
            "PATCH",
            TASK,
            user,
            ids[0],
            content=b'{"completed": true}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        traffic.send("DELETE", TASK, user, ids[1])
    for _ in range(3):
        traffic.send("GET", TASKS, None)
    # Past the limit in both workers, however the connections fall.
    for _ in range(3 * RATE_LIMIT):
        traffic.send("GET", TASK, "eager", uuid.uuid4())


@pytest.mark.needs_binary
@pytest.mark.process
def test_a_scrape_counts_every_request_of_every_worker(
    service: str, prometheus: str, keys: Keys, jwks: JwksServer, db: Database
) -> None:
    traffic = Traffic(service, keys)
    send_known_requests(traffic)
    # A token under a key the JWKS lacks makes a worker fetch it again; with
    # the endpoint down, each fetch fails.
    jwks.up = False
    strangers = Traffic(
        service, Keys.generate(issuer=keys.issuer, audience=keys.audience)
    )
    for _ in range(3):
        strangers.send("GET", TASKS, "user-0")
    seen = traffic.seen + strangers.seen

    expected = {key: float(count) for key, count in seen.items()}
    requests = settled(
        prometheus,
        "sum by (http_request_method, http_response_status_code, http_route)"
        ' (http_server_request_duration_seconds_count{http_route=~"/api/.*"})',
        expected,
    )
    assert requests == expected

    def answered(route: str, method: str, *statuses: str) -> float:
        return float(sum(seen[(method, status, route)] for status in statuses))

    statements = {
        ("INSERT task",): answered(TASKS, "POST", "201", "409"),
        ("SELECT task",): answered(TASK, "GET", "200", "404"),
        ("SELECT page of tasks",): answered(TASKS, "GET", "200"),
        ("UPDATE task",): answered(TASK, "PATCH", "200"),
        ("DELETE task",): answered(TASK, "DELETE", "204"),
    }
    # Readiness probes and the housekeeping purge run statements of their own.
    requests_statements = "|".join(summary for (summary,) in statements)
    found = settled(
        prometheus,
        "sum by (db_query_summary) (db_client_operation_duration_seconds_count"
        f'{{db_query_summary=~"{requests_statements}"}})',
        statements,
    )
    assert found == statements

    refusals = {
        "rate_limit_refusals_total": answered(TASK, "GET", "429"),
        "task_quota_refusals_total": float(len(USERS)),
        "jwks_fetches_total": float(jwks.fetches),
        "jwks_fetch_failures_total": float(jwks.failed_fetches),
    }
    # Some were refused (the exact number depends on how the connections
    # fell and on the sliding window's approximation); the check is that
    # Prometheus counts exactly those the client saw.
    assert refusals["rate_limit_refusals_total"] > 0
    assert refusals["jwks_fetch_failures_total"] == 3
    for name, count in refusals.items():
        assert settled(prometheus, f"sum({name})", {(): count}) == {(): count}, name

    connections = query(
        prometheus, "sum by (db_client_connection_state) (db_client_connection_count)"
    )
    assert set(connections) == {("idle",), ("used",)}
    assert 1 <= sum(connections.values()) <= 2 * Settings().db_pool_size


def test_no_user_id_becomes_a_label(server: Any, keys: Keys) -> None:
    httpx.get(
        f"{server.base_url}/api/secret-user/tasks",
        headers={"Authorization": f"Bearer {keys.token('secret-user')}"},
    )
    httpx.request("PROPFIND", f"{server.base_url}/api/secret-user/tasks")
    text = httpx.get(f"{server.base_url}/metrics").text
    assert 'http_route="/api/{user_id}/tasks"' in text
    assert 'http_request_method="_OTHER"' in text
    assert "secret-user" not in text
    assert "PROPFIND" not in text
