"""Two instances on one database, as a fleet runs them: behind HAProxy with the
reference config (deploy/haproxy.cfg), sharing a redis-server of the test's
own.

- a rolling restart under load loses no request;
- the rate limit is exact across the instances;
- the task quota is exact with creates racing on both;
- Redis dying mid-run lets requests through at once, and limiting resumes
  when it is back.

Each instance is `python -m impl` as `make serve` starts it (one worker
each here). Without haproxy or redis-server the tests skip with an install
hint, and fail under CI=true.
"""

import asyncio
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from impl.settings import PROJECT_ROOT, Settings
from tests.support import (
    REDIS_HINT,
    Database,
    Keys,
    RedisServer,
    answers,
    free_port,
    require,
    start_service,
)

pytestmark = [pytest.mark.needs_binary, pytest.mark.process]

HAPROXY_HINT = (
    "HAProxy is not installed: `sudo apt-get install haproxy` (Debian, Ubuntu)"
    " or `brew install haproxy` (macOS)"
)
HAPROXY_CONFIG = PROJECT_ROOT / "deploy" / "haproxy.cfg"
LIMIT = 10


def assert_limited(statuses: list[int]) -> None:
    """LIMIT passed of 2 x LIMIT (up to 2 more where the sliding window's two
    windows meet), and every other one refused."""
    passed = statuses.count(200)
    assert LIMIT <= passed <= LIMIT + 2, statuses
    assert statuses.count(429) == len(statuses) - passed, statuses


@dataclass
class Instance:
    """One `python -m impl` on a port of its own, that can be stopped with
    SIGTERM and started again on the same port."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_service(
            PROJECT_ROOT, self.env, self.port, self.log, "--workers", "1"
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None


@dataclass
class Fleet:
    instances: list[Instance]
    keys: Keys
    redis: RedisServer

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.token(user)}"}


@pytest.fixture(scope="module")
def redis_binary() -> str:
    return require("redis-server", REDIS_HINT)


@contextmanager
def fleet(
    settings: Settings, keys: Keys, redis_binary: str, **variables: str
) -> Iterator[Fleet]:
    redis = RedisServer(redis_binary)
    redis.start()
    env = {
        # The defaults are what a test runs unless it sets a variable.
        **{k: v for k, v in os.environ.items() if k != "SHUTDOWN_DRAIN_SECONDS"},
        "DATABASE_URL": settings.database_url,
        "DB_MIGRATE_ON_STARTUP": "false",
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": settings.jwt_issuer,
        "JWT_AUDIENCE": settings.jwt_audience,
        "REDIS_URL": redis.url,
        "ACCESS_LOG": "false",
        **variables,
    }
    with tempfile.TemporaryDirectory() as scratch:
        instances = [Instance(env, Path(scratch) / f"app{n}.log") for n in (1, 2)]
        try:
            for instance in instances:
                instance.start()
            yield Fleet(instances, keys, redis)
        finally:
            for instance in instances:
                if instance.process is not None:
                    instance.process.kill()
                    instance.process.wait()
            redis.kill()


REFERENCE = HAPROXY_CONFIG.read_text()
RETRY_ON = "    retry-on conn-failure empty-response\n"
assert RETRY_ON in REFERENCE, "deploy/haproxy.cfg retries as the tests expect"
NO_RETRY_ON = REFERENCE.replace(RETRY_ON, "")
"""The reference config as many proxies (most Kubernetes ingresses among them)
behave: a request whose connection the server closed is not sent again."""


@contextmanager
def haproxy(instances: list[Instance], config: str = REFERENCE) -> Iterator[str]:
    binary = require("haproxy", HAPROXY_HINT)
    listen = free_port()
    env = {
        **os.environ,
        "TODO_LISTEN": f"127.0.0.1:{listen}",
        "TODO_APP1": f"127.0.0.1:{instances[0].port}",
        "TODO_APP2": f"127.0.0.1:{instances[1].port}",
    }
    with tempfile.TemporaryFile() as log, tempfile.NamedTemporaryFile("w") as cfg:
        cfg.write(config)
        cfg.flush()
        process = subprocess.Popen(
            [binary, "-db", "-f", cfg.name],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{listen}"
        try:
            if not answers(f"{base}/ready", process, 15):
                log.seek(0)
                raise AssertionError(f"haproxy did not start: {log.read().decode()}")
            yield base
        finally:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    "config", [REFERENCE, NO_RETRY_ON], ids=["reference", "without-retry-on"]
)
def test_a_rolling_restart_behind_haproxy_loses_no_request(
    settings: Settings, keys: Keys, redis_binary: str, db: Database, config: str
) -> None:
    """With the default drain: while an instance drains, its responses say
    `Connection: close`, so no connection to it is left idle for its stop to
    close under a request: no request fails even where the proxy never sends
    one again."""
    with (
        fleet(settings, keys, redis_binary, RATE_LIMIT="off") as running,
        haproxy(running.instances, config) as base,
    ):
        stop = threading.Event()
        outcomes: Counter[str] = Counter()

        def user_load(user: str) -> None:
            """A frontend's CRUD cycle, over and over."""
            with httpx.Client(base_url=base, headers=running.headers(user)) as client:
                tasks = f"/api/{user}/tasks"
                while not stop.is_set():
                    try:
                        created = client.post(tasks, json={"title": "rolling"})
                        steps = [("create", created, 201)]
                        if created.status_code == 201:
                            url = f"{tasks}/{created.json()['id']}"
                            steps += [
                                ("get", client.get(url), 200),
                                ("list", client.get(tasks), 200),
                                ("put", client.put(url, json={"title": "done"}), 200),
                                ("delete", client.delete(url), 204),
                            ]
                        for name, response, expected in steps:
                            ok = response.status_code == expected
                            outcomes[
                                "ok" if ok else f"{name} {response.status_code}"
                            ] += 1
                    except httpx.HTTPError as error:
                        outcomes[f"{error.request.method}: {error!r}"] += 1

        workers = [
            threading.Thread(target=user_load, args=(f"roller-{n}",)) for n in range(8)
        ]
        for worker in workers:
            worker.start()
        try:
            time.sleep(1)
            for instance in running.instances:
                instance.stop()
                instance.start()
                # HAProxy takes it back after `rise 2` checks 500 ms apart.
                time.sleep(1.5)
            time.sleep(1)
        finally:
            stop.set()
            for worker in workers:
                worker.join()
    failures = {k: v for k, v in outcomes.items() if k != "ok"}
    assert failures == {}
    assert outcomes["ok"] > 200


def test_the_rate_limit_is_exact_across_instances(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    with fleet(settings, keys, redis_binary, RATE_LIMIT=f"{LIMIT}/minute") as running:
        headers = running.headers("shared-limit")
        answers = [
            httpx.get(
                f"{running.instances[n % 2].base}/api/shared-limit/tasks",
                headers=headers,
            )
            for n in range(2 * LIMIT)
        ]
    assert_limited([answer.status_code for answer in answers])
    # Each answer says what is left of the count both instances share.
    fields = [a.headers["RateLimit"] for a in answers if a.status_code == 200]
    left = [int(re.sub(r'^"10-per-minute";r=(\d+);t=\d+$', r"\1", f)) for f in fields]
    assert left[:3] == [LIMIT - 1, LIMIT - 2, LIMIT - 3], left


def test_the_quota_is_exact_with_creates_racing_on_both_instances(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    quota = 5
    with fleet(
        settings, keys, redis_binary, RATE_LIMIT="off", MAX_TASKS_PER_USER=str(quota)
    ) as running:
        headers = running.headers("racer")

        async def race() -> Counter[int]:
            async with httpx.AsyncClient(headers=headers) as client:
                responses = await asyncio.gather(
                    *(
                        client.post(
                            f"{running.instances[n % 2].base}/api/racer/tasks",
                            json={"title": f"racer {n}"},
                        )
                        for n in range(6 * quota)
                    )
                )
            return Counter(r.status_code for r in responses)

        assert asyncio.run(race()) == {201: quota, 409: 5 * quota}
    [row] = asyncio.run(db.fetch("SELECT count(*) FROM tasks WHERE user_id = 'racer'"))
    assert row["count"] == quota


def test_redis_dying_mid_run_fails_open_and_limiting_resumes(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    with fleet(settings, keys, redis_binary, RATE_LIMIT=f"{LIMIT}/minute") as running:

        def burst(user: str) -> tuple[list[int], float]:
            """2 x LIMIT requests of one user, alternating instances; the
            statuses and the slowest request's seconds."""
            headers = running.headers(user)
            statuses, slowest = [], 0.0
            for n in range(2 * LIMIT):
                started = time.monotonic()
                response = httpx.get(
                    f"{running.instances[n % 2].base}/api/{user}/tasks", headers=headers
                )
                slowest = max(slowest, time.monotonic() - started)
                statuses.append(response.status_code)
            return statuses, slowest

        before, _ = burst("outage-before")
        assert_limited(before)

        running.redis.kill()
        during, slowest = burst("outage-during")
        assert during == [200] * (2 * LIMIT)
        assert slowest < 2

        running.redis.start()
        time.sleep(1.5)  # past the pause after a failure (RETRY_AFTER_FAILURE_SECONDS)
        after, _ = burst(f"outage-after-{uuid.uuid4().hex[:6]}")
        assert_limited(after)
        logs = [instance.log.read_text() for instance in running.instances]
    for log in logs:
        assert log.count("rate limit storage unavailable") <= 1
        assert "limiting again" in log


def test_after_sigterm_an_instance_drains_before_it_stops(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    drain = 1.5
    with fleet(
        settings, keys, redis_binary, SHUTDOWN_DRAIN_SECONDS=str(drain)
    ) as running:
        instance = running.instances[0]
        assert instance.process is not None
        headers = running.headers("drained")
        tasks = f"{instance.base}/api/drained/tasks"
        stopped_at = time.monotonic()
        instance.process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        ready = httpx.get(f"{instance.base}/ready")
        assert ready.status_code == 503
        assert ready.headers["Retry-After"] == "1"
        assert httpx.get(tasks, headers=headers).status_code == 200
        instance.process.wait(timeout=30)
        assert time.monotonic() - stopped_at >= drain
        instance.process = None
