"""`make bench-worst`: what each operation's most expensive request costs.

For a user at the task quota (MAX_TASKS_PER_USER, 1,000), every task as
large as the contract allows (a 255-character title, a 10,000-character
description, 20 tags of 32 characters, a due date and a rule), each
operation gets the request the contract admits that costs it most: the list
with every filter, a `q` of 50 one-letter words, 20 tags, the largest page,
each sort key both ways, the longest sorts in mixed directions; the tag
counts over 20,000 tags; a sync page of 500 of them; clearing 1,000
completed tasks; the largest create, replace and patch; the idempotent
replay; completing a task of each kind of rule whose next instance is rare.

Each request runs REPEAT times, one at a time on one connection, against
the service as `make serve` starts it (one worker, its rate limit off so
that nothing is refused), on a fresh embedded PostgreSQL (or
BENCH_DATABASE_URL). A request's state is set up again before each run,
outside what is measured. What it prints, per request: the service's CPU
and PostgreSQL's (the backends on the service's database, `CpuMeter`), the
median and the slowest wall time, and the size of the answer.
"""

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import yaml

from bench.run import CpuMeter, Target, create_database, database_server, serve
from bench.yardstick_auth import Signer

ROOT = Path(__file__).resolve().parent.parent
REPEAT = int(os.environ.get("BENCH_WORST_REPEAT", "20"))
QUOTA = 1000
ISSUER = AUDIENCE = "https://bench.example"
USER = "worst-user"
CONTRACT = yaml.safe_load((ROOT / "openapi.yaml").read_text())
PARAMETERS = CONTRACT["components"]["parameters"]
SORT_KEYS: list[str] = CONTRACT["components"]["schemas"]["TaskSort"]["enum"]
MOST_SORT_KEYS = next(p for p in PARAMETERS.values() if p["name"] == "sort")["schema"][
    "maxItems"
]
MIXED_SORTS = [
    ",".join(SORT_KEYS[-2 * k + (k + start) % 2] for k in range(MOST_SORT_KEYS, 0, -1))
    for start in (0, 1)
]
"""The last keys, as many as a sort takes, in alternating directions (both
ways): no index keeps their order (the tasks here tie on the title and the
priority), so PostgreSQL sorts every task of the user."""
LARGEST_PAGE = next(p for p in PARAMETERS.values() if p["name"] == "limit")["schema"][
    "maximum"
]

TAGS = [f"tag-{n:02}-{'x' * 25}" for n in range(20)]
"""20 tags of 32 characters: the most a task and a filter hold."""
WORDS = " ".join("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx")
"""A `q` of 100 characters: 50 one-letter words, each a pattern to match."""
TITLE = "T" * 255
DESCRIPTION = (WORDS + " ") * 99 + "é" * 99
"""10,000 characters, every word of WORDS in it, so that every task matches."""
WIDE = "😀" * 10_000
"""10,000 characters of 4 bytes: the largest description on the wire (and
no word: the tasks set up again and again are quick to write)."""
WORDY = " ".join(f"w{n:04}" for n in range(2000))[:10_000]
"""10,000 characters of 1,667 distinct words: the most words a task's
`words` column holds, computed by PostgreSQL on the write."""
RARE_RULES = {
    "DAILY": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
    "WEEKLY": "FREQ=WEEKLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",
    "MONTHLY": "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=-1MO,MO",
    "YEARLY": "FREQ=YEARLY;BYMONTHDAY=29;BYDAY=9MO",
}
"""A rule of each frequency whose next instance is decades away (a 29
February that is a Monday): the most a completion searches."""
DUE = date(2026, 12, 7)


Setup = Callable[[asyncpg.Connection], Awaitable[None]]
"""What a request needs in the database, set up before it, unmeasured."""


@dataclass
class Case:
    """One request, the state it needs, and what it cost."""

    operation: str
    request: str
    send: Callable[[httpx.Client], httpx.Response]
    setup: "Setup | None" = None
    once: bool = False
    """Set up and send once, unmeasured, then measure the repeats."""
    server_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    wall_s: list[float] = field(default_factory=list)
    answer_bytes: int = 0
    status: int = 0


def task_row(
    n: int,
    completed: bool = False,
    rule: str | None = None,
    description: str = DESCRIPTION,
) -> tuple[Any, ...]:
    at = datetime.now(UTC) - timedelta(seconds=n)
    return (
        USER, uuid.uuid4(), TITLE, description, completed, 1, at, at,
        DUE + timedelta(days=n % 60), None, "America/New_York", "high", TAGS,
        rule or "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    )  # fmt: skip


COLUMNS = [
    "user_id", "id", "title", "description", "completed", "version",
    "created_at", "updated_at", "due_date", "due_at", "time_zone",
    "priority", "tags", "recurrence",
]  # fmt: skip


async def fill(
    connection: asyncpg.Connection, count: int = QUOTA, **row: Any
) -> list[uuid.UUID]:
    """The user's tasks replaced by `count` of the largest; their ids."""
    await connection.execute("DELETE FROM tasks WHERE user_id = $1", USER)
    rows = [task_row(n, **row) for n in range(count)]
    await connection.copy_records_to_table("tasks", records=rows, columns=COLUMNS)
    await connection.execute(
        "UPDATE users SET task_count = $2 WHERE id = $1", USER, count
    )
    return [r[1] for r in rows]


def body(rule: str = RARE_RULES["YEARLY"], **more: Any) -> dict[str, Any]:
    """The largest task body: every field, each as long as allowed."""
    return {
        "title": TITLE,
        "description": WIDE,
        "completed": False,
        "due_date": DUE.isoformat(),
        "time_zone": "America/Argentina/ComodRivadavia",
        "priority": "high",
        "tags": TAGS,
        "recurrence": rule,
        **more,
    }


def cases(ids: dict[str, list[uuid.UUID]]) -> list[Case]:
    tasks = f"/api/{USER}/tasks"

    def first(_: httpx.Client) -> str:
        return f"{tasks}/{ids['all'][0]}"

    def refill(**row: Any) -> Setup:
        async def setup(connection: asyncpg.Connection) -> None:
            ids["all"] = await fill(connection, description=WIDE, **row)

        return setup

    async def below_quota(connection: asyncpg.Connection) -> None:
        ids["all"] = await fill(connection, QUOTA - 1, description=WIDE)

    def room_for_one(rule: str) -> Setup:
        """One place under the quota, for a completion's next occurrence."""

        async def setup(connection: asyncpg.Connection) -> None:
            ids["all"] = await fill(connection, QUOTA - 1, rule=rule, description=WIDE)

        return setup

    every_filter = {
        "limit": LARGEST_PAGE,
        "completed": "false",
        "due_after": "2000-01-01T00:00:00Z",
        "due_before": "2100-01-01T00:00:00Z",
        "overdue": "false",
        "priority": "high",
        "tag": TAGS,
        "q": WORDS,
    }

    def listed(key: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.get(tasks, params={**every_filter, "sort": key})

    found: list[Case] = [
        Case(
            "listTasks",
            f"every filter, q of 50 words, 20 tags, limit {LARGEST_PAGE}, sort={key}",
            listed(key),
        )
        for key in [*SORT_KEYS, *MIXED_SORTS]
    ]
    key = str(uuid.uuid4())
    found += [
        Case(
            "listTags",
            "20 tags on each of 1,000 tasks",
            lambda c: c.get(f"/api/{USER}/tags"),
        ),
        Case(
            "clearCompletedTasks",
            "1,000 completed tasks",
            lambda c: c.delete(tasks, params={"completed": "true"}),
            refill(completed=True),
        ),
        Case(
            "createTask",
            "the largest body (60 KB), at 999 tasks",
            lambda c: c.post(tasks, json=body()),
            below_quota,
        ),
        Case(
            "createTask",
            "10,000 characters of 1,667 distinct words, at 999 tasks",
            lambda c: c.post(tasks, json=body(description=WORDY)),
            below_quota,
        ),
        Case(
            "createTask",
            "the idempotent replay of the largest body",
            lambda c: c.post(tasks, json=body(), headers={"Idempotency-Key": key}),
            below_quota,
            once=True,
        ),
        Case(
            "syncTasks",
            "a full sync's page of 500 of the largest tasks",
            lambda c: c.get(f"/api/{USER}/sync", params={"limit": 500}),
        ),
        Case("getTask", "the largest task", lambda c: c.get(first(c))),
        Case(
            "updateTask",
            "the largest body",
            lambda c: c.put(first(c), json=body()),
            refill(),
        ),
        Case(
            "patchTask",
            "every field, the largest values",
            lambda c: c.patch(
                first(c),
                content=json.dumps(body(), ensure_ascii=False).encode(),
                headers={"Content-Type": "application/merge-patch+json"},
            ),
            refill(),
        ),
        *(
            Case(
                "patchTask",
                f"completing a {freq} rule due decades on ({rule})",
                lambda c: c.patch(
                    first(c),
                    content=b'{"completed": true}',
                    headers={"Content-Type": "application/merge-patch+json"},
                ),
                room_for_one(rule=rule),
            )
            for freq, rule in RARE_RULES.items()
        ),
        Case("deleteTask", "the largest task", lambda c: c.delete(first(c)), refill()),
        Case("getHealth", "", lambda c: c.get("/health")),
        Case("getReadiness", "", lambda c: c.get("/ready")),
    ]
    return found


def measure(
    case: Case,
    target: Target,
    meter: CpuMeter,
    client: httpx.Client,
    run: Callable[[Setup], None],
) -> None:
    if case.once and case.setup is not None:
        run(case.setup)
        case.send(client)
    for _ in range(REPEAT):
        if case.setup is not None and not case.once:
            run(case.setup)
        before = meter.snapshot(target)
        began = time.perf_counter()
        response = case.send(client)
        case.wall_s.append(time.perf_counter() - began)
        server, database = meter.spent(target, before)
        case.server_cpu_s += server
        case.database_cpu_s += database
        case.status = response.status_code
        case.answer_bytes = len(response.content)


def main() -> int:
    keys = Signer(ISSUER, AUDIENCE)
    with database_server() as server_url, tempfile.TemporaryDirectory() as scratch:
        url = asyncio.run(create_database(server_url, "bench_worst"))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "JWKS_JSON": keys.jwks_json(),
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "DB_MIGRATE_ON_STARTUP": "false",
            "RATE_LIMIT": "off",
            "MAX_TASKS_PER_USER": str(QUOTA),
        }
        loop = asyncio.new_event_loop()
        connection = loop.run_until_complete(asyncpg.connect(url))
        loop.run_until_complete(
            connection.execute("INSERT INTO users (id) VALUES ($1)", USER)
        )
        ids = {"all": loop.run_until_complete(fill(connection))}
        loop.run_until_complete(connection.execute("VACUUM ANALYZE"))
        with serve("service", env, Path(scratch) / "service.log") as target:
            meter = CpuMeter(server_url)
            headers = {"Authorization": f"Bearer {keys.token(USER)}"}
            with httpx.Client(
                base_url=target.base, headers=headers, timeout=60
            ) as client:
                found = cases(ids)
                for case in found:
                    measure(
                        case,
                        target,
                        meter,
                        client,
                        lambda setup: loop.run_until_complete(setup(connection)),
                    )
            meter.close()
        loop.run_until_complete(connection.close())
        loop.close()
    print_table(found)
    return 0


def print_table(found: list[Case]) -> None:
    print(
        f"Each request {REPEAT} times, for a user at the quota of {QUOTA} tasks"
        " as large as the contract allows:\n"
    )
    print(
        "| operation | the most expensive request | status | answer |"
        " service CPU | PostgreSQL CPU | wall p50 | wall max |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for case in found:
        print(
            f"| `{case.operation}` | {case.request} | {case.status} |"
            f" {case.answer_bytes / 1000:,.1f} kB |"
            f" {case.server_cpu_s / REPEAT * 1000:.2f} ms |"
            f" {case.database_cpu_s / REPEAT * 1000:.2f} ms |"
            f" {statistics.median(case.wall_s) * 1000:.1f} ms |"
            f" {max(case.wall_s) * 1000:.1f} ms |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
