"""`make bench-cost [BASELINE=<rev>]`: CPU instructions per request, this tree
against the ceiling (bench/ceiling.py) and, given one, an earlier revision,
counted by valgrind's callgrind.

Throughput on a shared machine drifts by 10-30% between runs, which hides a
change of a few percent in what a request costs. The number of instructions
the service executes per request does not drift: it is the same whatever
else the machine is doing. Each revision runs as `make serve` starts it (one
worker, access log, metrics and limits on) under callgrind, and the ceiling
as `make bench` runs it, each on a database of its own seeded alike; after
a warm-up the counters are zeroed, wrk sends BENCH_SECONDS of one scenario
over 4 connections, and the counters are dumped. What PostgreSQL spends is
not counted, only the server's own process.

Under callgrind the service runs about 50 times slower, so a scenario takes
BENCH_SECONDS (15) of load for some hundreds of requests per revision. The
mix's composition is random per run, so its figure moves by a percent or
two; the get scenario's does not.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.run import (
    AUDIENCE,
    ISSUER,
    ROOT,
    SERVICE,
    SERVICE_LIMITS,
    TARGETS,
    create_database,
    database_server,
    export_revision,
    free_port,
    seed,
    users_lines,
    wrk,
)
from bench.yardstick_auth import Signer

SCENARIOS = tuple(os.environ.get("BENCH_SCENARIOS", "get list mix").split())
"""All three by default; BENCH_SCENARIOS="get" counts one while you work."""
CEILING = "ceiling"
THIS_TREE = "this tree"
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = 4


def instructions_per_request(
    root: Path,
    command: list[str],
    env: dict[str, str],
    users_file: Path,
    scenario: str,
    out: Path,
) -> tuple[float, int]:
    port = free_port()
    address = [] if command is SERVICE else ["--host", "127.0.0.1", "--port", str(port)]
    with (out.with_suffix(".log")).open("w") as log:
        process = subprocess.Popen(
            [
                "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                sys.executable, *command, *address,
            ],
            cwd=root,
            env={**env, "PORT": str(port), "PYTHONPATH": str(root)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                httpx.get(f"{base}/api/nobody/tasks", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"did not start; see {log.name}") from None
                time.sleep(1)
        wrk(base, 10, users_file, scenario, 1, connections=CONNECTIONS)
        subprocess.run(["callgrind_control", "-z", str(process.pid)], check=True)
        load = wrk(base, SECONDS, users_file, scenario, 2, connections=CONNECTIONS)
        subprocess.run(["callgrind_control", "-d", str(process.pid)], check=True)
        if load.non_2xx or load.errors:
            raise RuntimeError(f"{load.non_2xx + load.errors} requests failed")
    finally:
        process.terminate()
        process.wait(timeout=120)
    # The dump taken after the load (the next file after `out` itself, which
    # callgrind writes at exit).
    dump = Path(f"{out}.1").read_text()
    summary = next(line for line in dump.splitlines() if line.startswith("summary:"))
    return int(summary.split()[1]) / load.requests, load.requests


def main() -> int:
    baseline = os.environ.get("BENCH_BASELINE", "")
    missing = [tool for tool in ("valgrind", "wrk") if shutil.which(tool) is None]
    if missing:
        print(
            "make bench-cost [BASELINE=<git revision>] needs valgrind and wrk:"
            " sudo apt-get install valgrind wrk"
        )
        return 1
    keys = Signer(ISSUER, AUDIENCE)
    lines, rows = users_lines(keys)
    env = {
        **os.environ,
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "DB_MIGRATE_ON_STARTUP": "false",
        **SERVICE_LIMITS,
    }
    with database_server() as server_url, tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        users_file = tmp / "users.txt"
        users_file.write_text("\n".join(lines) + "\n")
        targets = {CEILING: (ROOT, TARGETS[CEILING]), THIS_TREE: (ROOT, SERVICE)}
        if baseline:
            targets[baseline] = (export_revision(baseline, tmp / "baseline"), SERVICE)
        counts: dict[str, dict[str, float]] = {s: {} for s in SCENARIOS}
        for scenario in SCENARIOS:
            for number, (name, (root, command)) in enumerate(targets.items()):
                url = asyncio.run(create_database(server_url, f"cost_{number}"))
                asyncio.run(seed(url, rows))
                out = tmp / f"{scenario}-{number}.callgrind"
                per_request, requests = instructions_per_request(
                    root,
                    command,
                    {**env, "DATABASE_URL": url},
                    users_file,
                    scenario,
                    out,
                )
                counts[scenario][name] = per_request
                print(
                    f"  {scenario:<4} {name:<12} {per_request / 1e3:>8,.0f} k"
                    f" instructions per request ({requests} requests)",
                    flush=True,
                )
    for scenario, by_name in counts.items():
        for other in by_name.keys() - {THIS_TREE}:
            ratio = by_name[THIS_TREE] / by_name[other]
            print(f"{scenario:<4} this tree / {other}: {ratio:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
