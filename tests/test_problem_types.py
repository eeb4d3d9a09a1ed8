"""Every problem the contract names is one the service produces, with the
status, title and `type` of its example, so a client can branch on `type`.

The names come from openapi.yaml (tests.contract.problems); each has a way
to provoke it here, and a name without one fails its test.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from generated.facts import MAX_BODY_BYTES
from impl.settings import Settings
from tests import contract
from tests.support import Api, Database, Keys, LiveServer, changed, free_port

PROBLEMS = contract.problems()
UNKNOWN_TASK = "00000000-0000-4000-8000-000000000000"


@dataclass
class World:
    """What a scenario may use: the shared server's users, the keys, the
    settings for servers of its own, and the database."""

    alice: Api
    bob: Api
    keys: Keys
    settings: Settings
    db: Database

    def bearer(self, token: str) -> httpx.Response:
        return self.alice.client.get(
            self.alice.tasks_url(), headers={"Authorization": f"Bearer {token}"}
        )


@pytest.fixture
def world(alice: Api, bob: Api, keys: Keys, settings: Settings, db: Database) -> World:
    return World(alice, bob, keys, settings, db)


@pytest.fixture(scope="module")
def tight(settings: Settings, db: Database) -> Iterator[LiveServer]:
    """A server with a limit of 3 requests a minute and 1 task per user."""
    with LiveServer.serve(
        changed(settings, rate_limit="3/minute", max_tasks_per_user=1)
    ) as live:
        yield live


def body_unreadable(w: World) -> httpx.Response:
    return w.alice.client.post(
        w.alice.tasks_url(), content=b"{", headers={"Content-Type": "application/json"}
    )


def cursor_invalid(w: World) -> httpx.Response:
    return w.alice.list(cursor="bogus")


def sync_token_expired(w: World) -> httpx.Response:
    return w.alice.client.get(f"/api/{w.alice.user_id}/sync", params={"token": "bogus"})


def token_missing(w: World) -> httpx.Response:
    return httpx.get(f"{w.alice.client.base_url}{w.alice.tasks_url()}")


def token_expired(w: World) -> httpx.Response:
    past = int(time.time()) - 3600
    return w.bearer(w.keys.token("alice", iat=past - 900, exp=past))


def token_malformed(w: World) -> httpx.Response:
    return w.bearer("not-a-jwt")


def signing_key_unknown(w: World) -> httpx.Response:
    stranger = Keys.generate(issuer=w.keys.issuer, audience=w.keys.audience)
    return w.bearer(stranger.token("alice"))


def token_not_for_this_service(w: World) -> httpx.Response:
    return w.bearer(w.keys.token("alice", iss="https://elsewhere.example"))


def token_invalid(w: World) -> httpx.Response:
    head, payload, _ = w.keys.token("alice").split(".")
    other = w.keys.token("mallory").split(".")[2]
    return w.bearer(f"{head}.{payload}.{other}")


def other_users_tasks(w: World) -> httpx.Response:
    return w.alice.list(user_id=w.bob.user_id)


def task_not_found(w: World) -> httpx.Response:
    return w.alice.get(UNKNOWN_TASK)


def idempotency_key_reused(w: World) -> httpx.Response:
    key = {"Idempotency-Key": "reused"}
    assert w.alice.create({"title": "first"}, headers=key).status_code == 201
    return w.alice.create({"title": "second"}, headers=key)


async def blocked_by(
    watcher: asyncpg.Connection, blocker: int, waiter: int | None = None
) -> None:
    """Until another backend (`waiter`, if given) waits for a lock that
    `blocker` holds: each step of a race waits for the one before, however
    slow the machine, whatever the statements' text."""
    for _ in range(600):
        waiting = await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE $1 = ANY(pg_blocking_pids(pid)) AND pid <> pg_backend_pid()"
            " AND ($2::int IS NULL OR pid = $2)",
            blocker,
            waiter,
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no backend came to wait for a lock of {blocker}")


def idempotency_key_in_progress(w: World) -> httpx.Response:
    """The key is taken while the create runs, by an insert that commits
    only after the create has retried: as a twin request would.

    The twin's insert and the create's retry both wait for one commit, and
    PostgreSQL does not say which of two waiters goes first: when the
    create's goes first (it did on a loaded machine), that round proves
    nothing, and the race runs again with another key."""
    task = w.alice.new_task("keyed elsewhere")
    record = (
        "INSERT INTO idempotency_keys"
        " (user_id, key, task_id, request_hash, response, created_at)"
        " VALUES ('alice', $3, $1, '\\x00', '{}', now() - $2::interval)"
    )

    async def race(key: str) -> httpx.Response | None:
        dsn = w.db.url.replace("postgresql+asyncpg://", "postgresql://")
        expired = timedelta(days=2)
        holder = await asyncpg.connect(dsn)
        twin = await asyncpg.connect(dsn)
        try:
            await holder.execute(record, uuid.UUID(task["id"]), expired, key)
            # An expired key, locked: the create's purge of it waits for us.
            await holder.execute("BEGIN")
            await holder.execute(
                "SELECT 1 FROM idempotency_keys WHERE key = $1 FOR UPDATE", key
            )
            async with httpx.AsyncClient(
                base_url=str(w.alice.client.base_url),
                headers=dict(w.alice.client.headers),
            ) as client:
                create = asyncio.create_task(
                    client.post(
                        w.alice.tasks_url(),
                        json={"title": "keyed"},
                        headers={"Idempotency-Key": key},
                    )
                )
                # The create's purge.
                await blocked_by(twin, holder.get_server_pid())
                await holder.execute("DELETE FROM idempotency_keys WHERE key = $1", key)
                # The twin's fresh key waits for that delete to commit...
                await twin.execute("BEGIN")
                twin_pid = twin.get_server_pid()
                insert = asyncio.create_task(
                    twin.execute(record, uuid.UUID(task["id"]), timedelta(), key)
                )
                await blocked_by(holder, holder.get_server_pid(), twin_pid)
                await holder.execute("COMMIT")
                # ...and holds the key, uncommitted, while the create retries.
                try:
                    await insert
                except asyncpg.UniqueViolationError:
                    await twin.execute("ROLLBACK")
                    await create
                    return None
                await blocked_by(holder, twin_pid)
                await twin.execute("COMMIT")
                return await create
        finally:
            await holder.close()
            await twin.close()

    for attempt in range(5):
        answer = asyncio.run(race(f"twin-{attempt}"))
        if answer is not None:
            return answer
    raise AssertionError("the create's retry went first in every round")


def version_mismatch(w: World) -> httpx.Response:
    task = w.alice.new_task()
    return w.alice.put(task["id"], {"title": "x"}, headers={"If-Match": '"99"'})


def precondition_malformed(w: World) -> httpx.Response:
    task = w.alice.new_task()
    return w.alice.put(task["id"], {"title": "x"}, headers={"If-Match": "3"})


def body_too_large(w: World) -> httpx.Response:
    body = json.dumps({"title": "x" * MAX_BODY_BYTES})
    return w.alice.create(content=body, headers={"Content-Type": "application/json"})


def validation_failed(w: World) -> httpx.Response:
    return w.alice.create({"title": ""})


def due_date_and_time(w: World) -> httpx.Response:
    task = w.alice.new_task(due_date="2026-12-24")
    return w.alice.patch(task["id"], {"due_at": "2026-12-24T18:00:00Z"})


def recurrence_needs_due(w: World) -> httpx.Response:
    return w.alice.create({"title": "x", "recurrence": "FREQ=DAILY"})


def recurrence_never_occurs(w: World) -> httpx.Response:
    return w.alice.create(
        {
            "title": "x",
            "due_date": "2026-12-07",
            "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1;BYDAY=5MO",
        }
    )


def wrong_media_type(w: World) -> httpx.Response:
    return w.alice.create(content=b"title", headers={"Content-Type": "text/plain"})


def rate_limited(w: World, tight: LiveServer) -> httpx.Response:
    with Api.for_user(tight.base_url, "rhea", w.keys) as rhea:
        for _ in range(3):
            assert rhea.list().status_code == 200
        return rhea.list()


def task_quota_exceeded(w: World, tight: LiveServer) -> httpx.Response:
    with Api.for_user(tight.base_url, "quinn", w.keys) as quinn:
        assert quinn.create({"title": "the one"}).status_code == 201
        return quinn.create({"title": "one too many"})


def database_unavailable(w: World) -> httpx.Response:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"
    down = changed(w.settings, database_url=dead, migrate_on_startup=False)
    with (
        LiveServer.serve(down) as live,
        Api.for_user(live.base_url, "alice", w.keys) as api,
    ):
        return api.list()


def at_capacity(w: World) -> httpx.Response:
    crowded = changed(w.settings, db_pool_size=1, db_max_waiting=1)

    async def crowd(base: str) -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {w.keys.token('crowd')}"}
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            return list(
                await asyncio.gather(
                    *(client.get("/api/crowd/tasks") for _ in range(40))
                )
            )

    with LiveServer.serve(crowded) as live:
        responses = asyncio.run(crowd(live.base_url))
    [refused, *_] = [r for r in responses if r.status_code != 200]
    return refused


def shutting_down(w: World, server: LiveServer) -> httpx.Response:
    drain = server.app.state.services.drain
    drain.draining = True
    try:
        return httpx.get(f"{server.base_url}/ready")
    finally:
        drain.draining = False


def metrics_off(w: World) -> httpx.Response:
    with LiveServer.serve(changed(w.settings, metrics_enabled=False)) as live:
        return httpx.get(f"{live.base_url}/metrics")


SCENARIOS: dict[str, Callable[..., httpx.Response]] = {
    "BodyUnreadable": body_unreadable,
    "CursorInvalid": cursor_invalid,
    "SyncTokenExpired": sync_token_expired,
    "TokenMissing": token_missing,
    "TokenExpired": token_expired,
    "TokenMalformed": token_malformed,
    "SigningKeyUnknown": signing_key_unknown,
    "TokenNotForThisService": token_not_for_this_service,
    "TokenInvalid": token_invalid,
    "OtherUsersTasks": other_users_tasks,
    "TaskNotFound": task_not_found,
    "IdempotencyKeyReused": idempotency_key_reused,
    "IdempotencyKeyInProgress": idempotency_key_in_progress,
    "TaskQuotaExceeded": task_quota_exceeded,
    "VersionMismatch": version_mismatch,
    "PreconditionMalformed": precondition_malformed,
    "BodyTooLarge": body_too_large,
    "WrongMediaType": wrong_media_type,
    "ValidationFailed": validation_failed,
    "DueDateAndTime": due_date_and_time,
    "RecurrenceNeedsDue": recurrence_needs_due,
    "RecurrenceNeverOccurs": recurrence_never_occurs,
    "RateLimited": rate_limited,
    "DatabaseUnavailable": database_unavailable,
    "AtCapacity": at_capacity,
    "ShuttingDown": shutting_down,
    "MetricsOff": metrics_off,
}
"""How to provoke each problem the contract names."""


@pytest.mark.parametrize("name", PROBLEMS)
def test_each_named_problem_is_produced_as_the_contract_shows_it(
    world: World, request: pytest.FixtureRequest, name: str
) -> None:
    assert name in SCENARIOS, f"add a scenario for the contract's problem {name}"
    scenario = SCENARIOS[name]
    extra: dict[str, Any] = {
        fixture: request.getfixturevalue(fixture)
        for fixture in scenario.__code__.co_varnames[1 : scenario.__code__.co_argcount]
    }

    response = scenario(world, **extra)

    expected = PROBLEMS[name]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert response.status_code == expected["status"], body
    assert {k: body[k] for k in ("type", "title", "status")} == {
        k: expected[k] for k in ("type", "title", "status")
    }


def test_types_are_distinct_except_about_blank() -> None:
    types = [p["type"] for p in PROBLEMS.values() if p["type"] != "about:blank"]
    assert len(types) == len(set(types))
