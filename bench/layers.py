"""`make bench-layers`: what each layer around getTask costs, in CPU
instructions per request, counted by callgrind with the app in process.

`make bench-cost` counts a whole request through uvicorn; this takes the
layers off one at a time to say where a request's instructions go. Each
variant is one app, built as `make serve` builds it (uvloop, the access
log, metrics and the rate limit on), sent N getTask requests straight
through its ASGI callable, no HTTP server, one at a time. A variant runs
twice under callgrind, with N requests and with none, and the difference
over N is its cost per request: startup and shutdown cancel out. Hash
randomisation is off so that the two runs start alike (±3 k per figure).

Variants:
- `service`: as served;
- `no <piece>`: without one of the service's concerns (`app.concerns`);
- `no concerns`: none of them;
- `router only`: FastAPI's stack skipped too (its server error, exception
  telemetry, exception and exit stack middleware, the router's call), the
  operations found as the router's middleware finds them;
- `release unshielded`: an experiment, not the product: asyncpg's
  `Pool.release` without its `asyncio.shield`, which runs each release in
  a task of its own so that a cancelled caller still returns its
  connection. It says what that task costs each statement.

`BENCH_REQUESTS` (2000) sets N.
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.run import (
    AUDIENCE,
    ISSUER,
    SERVICE_LIMITS,
    create_database,
    database_server,
)
from bench.yardstick_auth import Signer

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
WARM_UP = 50
USER = "layers-user"
CONCERNS = ("RequestIds", "ClosingWhileDraining", "Observed")
VARIANTS = (
    "service",
    *(f"no {name}" for name in CONCERNS),
    "no concerns",
    "router only",
    "release unshielded",
)

ASGI = Callable[..., Awaitable[None]]


async def request(app: ASGI, method: str, path: str, token: str, body: bytes) -> Any:
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> Any:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer


async def child(variant: str, count: int) -> None:
    """One variant's app, started, sent `count` gets, stopped."""
    from impl.app import create_app

    if variant == "release unshielded":
        import asyncpg.pool

        async def release(self: Any, connection: Any) -> None:
            connection._con._on_release()
            await connection._holder.release(connection._holder._timeout)

        asyncpg.pool.Pool.release = release
    app = create_app()
    if variant.startswith("no "):
        gone = CONCERNS if variant == "no concerns" else (variant[3:],)
        app.concerns = [
            c for c in app.concerns if getattr(c.cls, "__name__", "") not in gone
        ]
    events: asyncio.Queue[Any] = asyncio.Queue()
    await events.put({"type": "lifespan.startup"})
    answers: asyncio.Queue[Any] = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, events.get, answers.put)
    )
    started = await answers.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(started)
    target: ASGI = app
    if variant == "router only":
        stack = app.router.middleware_stack

        async def router_only(scope: Any, receive: Any, send: Any) -> None:
            scope["app"] = app
            await stack(scope, receive, send)

        target = router_only
    token = os.environ["BENCH_TOKEN"]
    title = json.dumps({"title": "a task"}).encode()
    created = await request(app, "POST", f"/api/{USER}/tasks", token, title)
    if created["status"] != 201:
        raise RuntimeError(f"creating a task got {created}")
    path = f"/api/{USER}/tasks/{json.loads(created['body'])['id']}"
    for number in range(WARM_UP + count):
        answer = await request(target, "GET", path, token, b"")
        if answer["status"] != 200:
            raise RuntimeError(f"{variant}: request {number} got {answer}")
    await events.put({"type": "lifespan.shutdown"})
    await lifespan


def instructions(variant: str, count: int, env: dict[str, str], out: Path) -> int:
    subprocess.run(
        [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, "-m", "bench.layers", "--child", variant, str(count),
        ],
        env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    summary = next(
        line for line in out.read_text().splitlines() if line.startswith("summary:")
    )
    return int(summary.split()[1])


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        import uvloop

        uvloop.run(child(sys.argv[2], int(sys.argv[3])))
        return 0
    keys = Signer(ISSUER, AUDIENCE)
    with database_server() as server_url, tempfile.TemporaryDirectory() as scratch:
        url = asyncio.run(create_database(server_url, "layers"))
        env = {
            **os.environ,
            "JWKS_JSON": keys.jwks_json(),
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "DATABASE_URL": url,
            "DB_MIGRATE_ON_STARTUP": "false",
            "PYTHONHASHSEED": "0",
            "BENCH_TOKEN": keys.token(USER),
            **SERVICE_LIMITS,
        }
        runs = [(v, n) for v in VARIANTS for n in (0, REQUESTS)]
        # Two at a time: instruction counts do not depend on the machine's load.
        with ThreadPoolExecutor(2) as pool:
            totals = dict(
                zip(
                    runs,
                    pool.map(
                        lambda run: instructions(
                            run[0],
                            run[1],
                            env,
                            Path(scratch) / f"{runs.index(run)}.out",
                        ),
                        runs,
                    ),
                    strict=True,
                )
            )
    served = (totals["service", REQUESTS] - totals["service", 0]) / REQUESTS
    print(f"getTask in process, instructions per request ({REQUESTS} requests):")
    for variant in VARIANTS:
        cost = (totals[variant, REQUESTS] - totals[variant, 0]) / REQUESTS
        change = "" if variant == "service" else f"  ({(cost - served) / 1e3:+,.0f} k)"
        print(f"  {variant:<28} {cost / 1e3:>6,.0f} k{change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
