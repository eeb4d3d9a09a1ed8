"""streamEvents: each change of a user's tasks reaches every open stream of
that user, on any instance, as a sync page; a stream resumes from
`Last-Event-ID`; each event's data is of the schema the contract gives it;
the stream ends with `expired` when the token does."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from generated.models import Problem, Reminder, SyncPage
from impl.events import MAX_STREAMS_PER_USER
from tests.contract import CONTRACT, resolve
from tests.support import Api, Keys, LiveServer


def _event_schemas() -> dict[str, str]:
    """Each event's name, and the schema of its data, as the contract has
    the schema of one event: a oneOf, each with its `const` and its data's
    `contentSchema`."""
    content = CONTRACT["paths"]["/api/{user_id}/events"]["get"]["responses"]["200"][
        "content"
    ]["text/event-stream"]
    found = {}
    for option in resolve(content["schema"])["oneOf"]:
        fields = resolve(option)["properties"]
        ref = fields["data"]["contentSchema"]["$ref"]
        found[fields["event"]["const"]] = ref.rsplit("/", 1)[-1]
    return found


MODELS: dict[str, type[BaseModel]] = {
    "changed": SyncPage,
    "expired": Problem,
    "reminder": Reminder,
}


class Stream:
    """An open stream, read event by event as a fetch-based client does."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, seconds: float = 5.0) -> dict[str, Any]:
        """The next event, comment or retry hint, as its fields."""
        fields: dict[str, Any] = {}
        async with asyncio.timeout(seconds):
            async for line in self._lines:
                if not line:
                    if fields:
                        return fields
                    continue
                name, _, value = line.partition(": ")
                if name == "data":
                    fields["data"] = json.loads(value)
                elif name == "":
                    fields["comment"] = value
                else:
                    fields[name] = value
        fields["ended"] = True
        return fields

    async def changed(self, seconds: float = 5.0) -> dict[str, Any]:
        """The next `changed` event's page, checked against its schema."""
        while True:
            found = await self.next(seconds)
            assert "ended" not in found, "the stream ended"
            if found.get("event") == "changed":
                MODELS["changed"].model_validate(found["data"])
                page: dict[str, Any] = found["data"]
                assert found["id"] == page["token"]
                return page


@asynccontextmanager
async def opened(
    base_url: str, api: Api, token: str | None = None, last_event_id: str | None = None
) -> AsyncIterator[Stream]:
    headers = {"Authorization": f"Bearer {token or api.token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        client.stream("GET", f"/api/{api.user_id}/events", headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"] == "text/event-stream"
        yield Stream(response)


def test_the_contract_names_a_schema_for_each_event() -> None:
    assert _event_schemas() == {name: model.__name__ for name, model in MODELS.items()}


def test_a_stream_starts_with_a_full_sync_then_brings_each_change(
    server: LiveServer, alice: Api
) -> None:
    first = alice.new_task("before the stream")

    async def run() -> None:
        async with opened(server.base_url, alice) as stream:
            page = await stream.changed()
            assert page["full"]
            assert [t["id"] for t in page["changed"]] == [first["id"]]

            began = time.monotonic()
            made = await asyncio.to_thread(alice.new_task, "while streaming")
            page = await stream.changed(seconds=1.0)
            assert time.monotonic() - began < 1.0
            assert [t["id"] for t in page["changed"]] == [made["id"]]
            assert not page["full"]

            await asyncio.to_thread(alice.delete, first["id"])
            page = await stream.changed(seconds=1.0)
            assert [gone["id"] for gone in page["deleted"]] == [first["id"]]

    asyncio.run(run())


def test_another_users_changes_never_reach_the_stream(
    server: LiveServer, alice: Api, bob: Api
) -> None:
    async def run() -> None:
        async with opened(server.base_url, alice) as stream:
            await stream.changed()
            await asyncio.to_thread(bob.new_task, "bob's")
            await asyncio.to_thread(alice.new_task, "alice's")
            page = await stream.changed(seconds=1.0)
            assert [t["title"] for t in page["changed"]] == ["alice's"]

    asyncio.run(run())


def test_a_reconnect_with_last_event_id_gets_everything_since(
    server: LiveServer, alice: Api
) -> None:
    kept, gone = alice.new_task("kept"), alice.new_task("gone")

    async def run() -> None:
        async with opened(server.base_url, alice) as stream:
            last = (await stream.changed())["token"]
        await asyncio.to_thread(alice.patch, kept["id"], {"title": "changed offline"})
        await asyncio.to_thread(alice.delete, gone["id"])
        async with opened(server.base_url, alice, last_event_id=last) as stream:
            page = await stream.changed()
        assert [t["title"] for t in page["changed"]] == ["changed offline"]
        assert [d["id"] for d in page["deleted"]] == [gone["id"]]

    asyncio.run(run())


def test_a_last_event_id_not_issued_to_the_user_gets_410(alice: Api) -> None:
    response = alice.client.get(
        f"/api/{alice.user_id}/events", headers={"Last-Event-ID": "bogus"}
    )
    assert response.status_code == 410
    assert response.json()["type"].endswith("/sync-token-expired")


def test_the_stream_ends_with_expired_when_the_token_does(
    server: LiveServer, alice: Api, keys: Keys, settings: Any
) -> None:
    """The token's `exp` is 2 s past once the leeway is counted."""
    now = int(time.time())
    exp = now - settings.jwt_leeway_seconds + 2
    token = keys.token(alice.user_id, iat=now - 60, exp=exp)

    async def run() -> None:
        async with opened(server.base_url, alice, token=token) as stream:
            await stream.changed()
            found = await stream.next(seconds=5)
            assert found.get("event") == "expired", found
            MODELS["expired"].model_validate(found["data"])
            assert found["data"]["type"].endswith("/token-expired")
            assert (await stream.next(seconds=2)).get("ended")

    asyncio.run(run())


@pytest.fixture
def second_server(settings: Any) -> Iterator[LiveServer]:
    """Another instance of the service on the same database."""
    with LiveServer.serve(settings) as live:
        yield live


def test_a_write_on_one_instance_reaches_a_stream_on_another(
    server: LiveServer, second_server: LiveServer, alice: Api, keys: Keys
) -> None:
    async def run() -> None:
        async with opened(second_server.base_url, alice) as stream:
            await stream.changed()
            for n in range(20):
                began = time.monotonic()
                made = await asyncio.to_thread(alice.new_task, f"on the first, {n}")
                page = await stream.changed(seconds=1.0)
                assert time.monotonic() - began < 1.0
                assert [t["id"] for t in page["changed"]] == [made["id"]]

    asyncio.run(run())


def test_a_users_streams_beyond_the_most_end_the_oldest(
    server: LiveServer, alice: Api
) -> None:
    """One more than MAX_STREAMS_PER_USER: the oldest ends with a `retry:`
    hint, every other one stays and still gets the changes."""

    async def run() -> None:
        async with contextlib.AsyncExitStack() as streams:
            opened_streams = [
                await streams.enter_async_context(opened(server.base_url, alice))
                for _ in range(MAX_STREAMS_PER_USER)
            ]
            for stream in opened_streams:
                await stream.changed()
            newest = await streams.enter_async_context(opened(server.base_url, alice))
            await newest.changed()
            oldest, *kept = opened_streams
            assert await oldest.next() == {"retry": "1000"}
            assert (await oldest.next()).get("ended")
            await asyncio.to_thread(alice.new_task, "still streamed")
            for stream in (*kept, newest):
                page = await stream.changed(seconds=2)
                assert [t["title"] for t in page["changed"]] == ["still streamed"]

    asyncio.run(run())
