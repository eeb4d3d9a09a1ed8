"""Idle event streams, held open against the service during `make bench`.

`python -m bench.streams <base URL> <tokens file>`: one stream
(`GET /api/{user}/events`) per line of the file (`<user> <token>`), each
read until its first event; then it prints `open` and holds them all, each
read on, until it is terminated. Its users never write, so every stream
stays idle but for its keep-alive comments: what 1,000 open browser tabs
cost the service that serves the load beside them.
"""

import asyncio
import sys

import httpx


async def hold(
    client: httpx.AsyncClient, user: str, token: str, ready: asyncio.Queue[None]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with client.stream("GET", f"/api/{user}/events", headers=headers) as response:
        response.raise_for_status()
        told = False
        async for line in response.aiter_lines():
            if not told and line == "":
                told = True
                ready.put_nowait(None)


async def main(base: str, tokens: list[tuple[str, str]]) -> None:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    # No timeout: an idle stream is silent but for its keep-alives.
    timeout = httpx.Timeout(None, connect=10)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=timeout
    ) as client:
        ready: asyncio.Queue[None] = asyncio.Queue()
        held = [
            asyncio.create_task(hold(client, user, token, ready))
            for user, token in tokens
        ]
        for _ in tokens:
            await ready.get()
        print("open", flush=True)
        await asyncio.gather(*held)


if __name__ == "__main__":
    base_url, path = sys.argv[1:]
    with open(path) as lines:
        pairs = [(user, token) for user, token in (line.split() for line in lines)]
    asyncio.run(main(base_url, pairs))
