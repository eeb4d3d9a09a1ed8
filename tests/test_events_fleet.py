"""Live events in a fleet: two instances (`python -m impl`) behind HAProxy
with the reference config, the events carried by Redis (the fleet's
REDIS_URL), as tests/test_fleet.py runs them.

- writes on one instance reach a stream held by the other within a second
  (p99 of 500);
- killing the instance that holds a stream loses no event once the client
  resumes with Last-Event-ID;
- a rolling restart ends a stream with a `retry:` hint;
- a stream through HAProxy stays open past its timeouts, a comment every
  15 seconds keeping it alive.
"""

import asyncio
import json
import signal
import statistics
import time
from typing import Any

import httpx
import pytest

from impl.settings import Settings
from tests.support import Database, Keys
from tests.test_fleet import fleet, haproxy, redis_binary

__all__ = ["redis_binary"]  # the fixture, shared with tests/test_fleet.py

pytestmark = [pytest.mark.needs_binary, pytest.mark.process]

WRITES = 500


async def read_events(
    response: httpx.Response,
    into: list[tuple[float, dict[str, Any]]],
    came: asyncio.Event | None = None,
) -> None:
    """Each event of the stream, with the time it arrived, until it ends;
    `came` is set at each."""
    fields: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if line:
            name, _, value = line.partition(": ")
            fields[name] = json.loads(value) if name == "data" else value
        elif fields:
            into.append((time.monotonic(), fields))
            fields = {}
            if came is not None:
                came.set()


def arrivals(events: list[tuple[float, dict[str, Any]]]) -> dict[str, float]:
    """When each task first came in a `changed` event, by id."""
    seen: dict[str, float] = {}
    for at, fields in events:
        if fields.get("event") == "changed":
            for task in fields["data"]["changed"]:
                seen.setdefault(task["id"], at)
    return seen


def test_writes_on_one_instance_reach_a_stream_on_the_other_within_a_second(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    with (
        fleet(settings, keys, redis_binary, RATE_LIMIT="off") as running,
        haproxy(running.instances) as base,
    ):
        headers = running.headers("alice")
        writer, other = (instance.base for instance in running.instances)

        async def run() -> tuple[dict[str, float], list[dict[str, float]]]:
            committed: dict[str, float] = {}
            streams: list[list[tuple[float, dict[str, Any]]]] = [[], []]
            # One stream through HAProxy, one on the instance that does not
            # take the writes, for certain.
            async with (
                httpx.AsyncClient(headers=headers, timeout=30) as client,
                client.stream("GET", f"{base}/api/alice/events") as first,
                client.stream("GET", f"{other}/api/alice/events") as second,
            ):
                came = [asyncio.Event(), asyncio.Event()]
                readers = [
                    asyncio.create_task(read_events(first, streams[0], came[0])),
                    asyncio.create_task(read_events(second, streams[1], came[1])),
                ]
                await asyncio.wait_for(
                    asyncio.gather(came[0].wait(), came[1].wait()), 5
                )
                for n in range(WRITES):
                    response = await client.post(
                        f"{writer}/api/alice/tasks", json={"title": f"write {n}"}
                    )
                    assert response.status_code == 201
                    committed[response.json()["id"]] = time.monotonic()
                await asyncio.sleep(1.5)
                for reader in readers:
                    reader.cancel()
            return committed, [arrivals(events) for events in streams]

        committed, seen = asyncio.run(run())

    for arrived in seen:
        assert set(arrived) >= set(committed), "an event never came"
        delays = sorted(arrived[task] - at for task, at in committed.items())
        p99 = statistics.quantiles(delays, n=100)[98]
        assert p99 <= 1.0, f"p99 {p99:.3f} s, median {statistics.median(delays):.3f} s"


def test_killing_the_instance_that_holds_a_stream_loses_no_event(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    with (
        fleet(settings, keys, redis_binary, RATE_LIMIT="off") as running,
        haproxy(running.instances) as base,
    ):
        headers = running.headers("alice")
        holder = running.instances[0]

        async def run() -> set[str]:
            events: list[tuple[float, dict[str, Any]]] = []
            async with httpx.AsyncClient(headers=headers, timeout=30) as client:
                async with client.stream(
                    "GET", f"{holder.base}/api/alice/events"
                ) as held:
                    came = asyncio.Event()
                    reader = asyncio.create_task(read_events(held, events, came))
                    await asyncio.wait_for(came.wait(), 5)
                    assert holder.process is not None
                    holder.process.kill()
                    holder.process.wait()
                    holder.process = None
                    await asyncio.gather(reader, return_exceptions=True)
                last = [f["id"] for _, f in events if f.get("event") == "changed"][-1]
                made = set()
                for n in range(10):
                    response = await client.post(
                        f"{base}/api/alice/tasks", json={"title": f"meanwhile {n}"}
                    )
                    assert response.status_code == 201, response.text
                    made.add(response.json()["id"])
                resumed: list[tuple[float, dict[str, Any]]] = []
                async with client.stream(
                    "GET", f"{base}/api/alice/events", headers={"Last-Event-ID": last}
                ) as again:
                    came = asyncio.Event()
                    reader = asyncio.create_task(read_events(again, resumed, came))
                    async with asyncio.timeout(5):
                        while not made <= set(arrivals(resumed)):
                            await came.wait()
                            came.clear()
                    reader.cancel()
            return made

        asyncio.run(run())


def test_a_rolling_restart_ends_a_stream_with_a_retry_hint(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    with fleet(settings, keys, redis_binary, RATE_LIMIT="off") as running:
        headers = running.headers("alice")
        holder = running.instances[0]

        async def run() -> list[dict[str, Any]]:
            events: list[tuple[float, dict[str, Any]]] = []
            async with (
                httpx.AsyncClient(headers=headers, timeout=30) as client,
                client.stream("GET", f"{holder.base}/api/alice/events") as held,
            ):
                came = asyncio.Event()
                reader = asyncio.create_task(read_events(held, events, came))
                await asyncio.wait_for(came.wait(), 5)
                assert holder.process is not None
                holder.process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(reader, timeout=10)
            return [fields for _, fields in events]

        events = asyncio.run(run())
        assert holder.process is not None
        holder.process.wait(timeout=10)
        holder.process = None

    assert events[-1] == {"retry": "1000"}, events


def test_an_idle_stream_through_haproxy_stays_open_on_its_keep_alives(
    settings: Settings, keys: Keys, redis_binary: str, db: Database
) -> None:
    """Longer than HAProxy's 30 s timeouts: the comments keep it open, and
    a change still arrives."""
    with (
        fleet(settings, keys, redis_binary, RATE_LIMIT="off") as running,
        haproxy(running.instances) as base,
    ):
        headers = running.headers("alice")

        async def run() -> list[dict[str, Any]]:
            events: list[tuple[float, dict[str, Any]]] = []
            async with (
                httpx.AsyncClient(headers=headers, timeout=60) as client,
                client.stream("GET", f"{base}/api/alice/events") as held,
            ):
                reader = asyncio.create_task(read_events(held, events))
                await asyncio.sleep(33)
                assert not reader.done(), "the stream was closed"
                response = await client.post(
                    f"{base}/api/alice/tasks", json={"title": "after the wait"}
                )
                assert response.status_code == 201
                await asyncio.sleep(1)
                reader.cancel()
            return [fields for _, fields in events]

        events = asyncio.run(run())

    assert [e.get("") for e in events[1:3]] == ["keep-alive", "keep-alive"], events
    assert events[-1]["data"]["changed"][0]["title"] == "after the wait"
