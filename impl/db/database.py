"""The asyncpg pool, how statements run on it, and the per-request access.

Requests run the compiled statements (impl/db/statements.py) on an asyncpg
pool: no ORM session, no greenlet, no result layer between the driver and
the handler.

Every statement runs on its own, in PostgreSQL's implicit transaction, so it
costs one round trip on a warm connection; a handler that must write twice
atomically runs both in `async with ctx.db.transaction():`. Behind a
transaction pooler that cannot keep prepared statements
(DB_STATEMENT_CACHE_SIZE=0), the prepare and the execute of a statement must
reach the same server connection, so each statement runs inside
BEGIN ... COMMIT instead: four round trips.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg
from opentelemetry.trace import SpanKind, Tracer

from impl import metrics, tracing
from impl.db import codecs
from impl.db.statements import Bound, Record
from impl.db.urls import asyncpg_url
from impl.settings import Settings

logger = logging.getLogger(__name__)

DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)
"""Everything asyncpg raises about a statement or its connection."""


def is_lost_connection(error: BaseException) -> bool:
    """Every way asyncpg reports a connection that went away mid-use."""
    return isinstance(
        error,
        asyncpg.PostgresConnectionError  # class 08, "closed in the middle of ..."
        | asyncpg.InterfaceError  # "connection is closed"
        | asyncpg.exceptions.OperatorInterventionError  # 57P01 terminated, ...
        # A FATAL error arrived while the connection was idle: it waits for
        # an end that never comes ("another operation is in progress").
        | asyncpg.exceptions.InternalClientError
        | ConnectionError,  # reset, broken pipe
    )


async def _keep_session_state(connection: asyncpg.Connection) -> None:
    """Handlers never change session state, so a released connection needs no
    reset query (asyncpg's default costs a round trip per release). Open
    transactions are still rolled back by the pool itself."""


LOST_CONNECTION_ATTEMPTS = 3
"""How often an idempotent statement runs before a lost connection fails it."""


class DatabaseUnreachable(Exception):
    """The server could not be reached, or did not answer in time."""


class AtCapacity(Exception):
    """DB_MAX_WAITING requests already wait for a connection."""


class Lanes:
    """At most `width` of one user's statements (or transactions) hold a
    connection at once; that user's others wait, in order, while every
    other user's go ahead.

    Without it, one user's burst (twenty completions at once) takes every
    connection of the pool, and opens fresh server connections whose first
    statements cost PostgreSQL milliseconds of catalog lookups each: another
    user's read then waited 80 to 200 ms (tests/test_fairness.py)."""

    def __init__(self, width: int) -> None:
        self._width = width
        self._users: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}
        """Each user with a statement in or waiting: its lane, and how many."""

    async def enter(self, user: str) -> None:
        entry = self._users.get(user)
        if entry is None:
            entry = self._users[user] = (asyncio.Semaphore(self._width), [0])
        entry[1][0] += 1
        try:
            await entry[0].acquire()
        except BaseException:
            self._left(user, entry[1])
            raise

    def leave(self, user: str) -> None:
        semaphore, using = self._users[user]
        semaphore.release()
        self._left(user, using)

    def _left(self, user: str, using: list[int]) -> None:
        using[0] -= 1
        if not using[0]:
            del self._users[user]


class Database:
    """The pool, and the one way requests run statements on it.

    Statements take turns at the pool in the order they arrive (an
    asyncio.Semaphore of the pool's size is first come, first served, where
    asyncpg's pool lets a newcomer take a connection that an older waiter was
    woken for), so under overload every request waits about as long as the
    queue is, and none starves until DB_POOL_TIMEOUT. Past DB_MAX_WAITING
    waiting statements, a request is refused at once (AtCapacity, 503).
    """

    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, tracer: Tracer | None = None
    ) -> None:
        self.pool = pool
        self._metrics = settings.metrics_enabled
        self._tracer = tracer
        self._acquire_timeout = settings.db_pool_timeout
        self._in_transaction = settings.db_statement_cache_size == 0
        self._turns = asyncio.Semaphore(settings.db_pool_size)
        self._max_waiting = settings.db_max_waiting
        self._waiting = 0
        self.lanes = Lanes(settings.db_connections_per_user)

    async def fetch(self, statement: Bound) -> Sequence[Record]:
        """Run one statement (with RETURNING, if it writes) and return its rows,
        retried after a lost connection if it is idempotent.

        The connection goes back to the pool as soon as the rows are in, so a
        pool as large as the number of statements in flight serves any number
        of concurrent requests.

        After a lost connection (a backend killed, a Neon compute suspended)
        an idempotent statement runs again, on a fresh connection: every
        pooled connection is expired, since they all went down together. A
        fresh connection can be cut too (a second cut, a compute suspending
        again), so it runs up to LOST_CONNECTION_ATTEMPTS times in all. A
        statement that is not idempotent is not retried, since the server
        may have committed it just before the connection dropped; the caller
        gets 503, and nothing is half-written, since one statement is atomic.

        Failing to reach the server (refused, unreachable, a connect or pool
        timeout, a statement past DB_COMMAND_TIMEOUT) raises
        DatabaseUnreachable, so that no other OSError is taken for it.
        """
        try:
            for attempt in range(1, LOST_CONNECTION_ATTEMPTS):
                try:
                    return await self._run(statement)
                except Exception as error:
                    if not (statement.idempotent and is_lost_connection(error)):
                        raise
                    logger.warning(
                        "database connection lost (%s); retrying (attempt %d)",
                        error,
                        attempt + 1,
                    )
                    await self.pool.expire_connections()
            return await self._run(statement)
        except (OSError, TimeoutError) as error:
            raise DatabaseUnreachable(repr(error)) from error

    async def _wait_for_turn(self) -> None:
        """Wait for a turn at the pool, first come first served."""
        if self._waiting >= self._max_waiting:
            raise AtCapacity
        self._waiting += 1
        try:
            async with asyncio.timeout(self._acquire_timeout):
                await self._turns.acquire()
        finally:
            self._waiting -= 1

    async def _take_turn(self) -> None:
        if self._turns.locked():
            await self._wait_for_turn()
        else:
            await self._turns.acquire()

    async def _run(self, statement: Bound) -> Sequence[Record]:
        # The hot path: the turn taken and the statement run inline, without
        # a coroutine more per statement.
        if self._turns.locked():
            await self._wait_for_turn()
        else:
            await self._turns.acquire()
        try:
            # A turn is a free place in the pool, so acquiring never waits
            # for another statement: no timeout to arm (opening a connection
            # has DB_CONNECT_TIMEOUT of its own).
            connection = await self.pool.acquire()
            try:
                if self._tracer is None or not tracing.recording():
                    return await self._execute(
                        connection, statement, self._in_transaction
                    )
                return await self.run_on(
                    connection, statement, own_transaction=self._in_transaction
                )
            finally:
                await self.pool.release(connection)
        finally:
            self._turns.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One connection, in a transaction: committed when the block ends,
        rolled back when it raises. No statement in it is retried after a
        lost connection (the transaction is lost with it: 503, nothing
        written). It works behind a transaction pooler too, which keeps one
        server connection for the whole transaction."""
        try:
            await self._take_turn()
            try:
                connection = await self.pool.acquire()
                try:
                    async with connection.transaction():
                        yield connection
                finally:
                    await self.pool.release(connection)
            finally:
                self._turns.release()
        except (OSError, TimeoutError) as error:
            raise DatabaseUnreachable(repr(error)) from error

    async def run_on(
        self,
        connection: asyncpg.Connection,
        statement: Bound,
        *,
        own_transaction: bool = False,
    ) -> Sequence[Record]:
        """Run a statement on a connection already taken from the pool
        (inside BEGIN ... COMMIT of its own if `own_transaction`)."""
        if self._tracer is None or not tracing.recording():
            return await self._execute(connection, statement, own_transaction)
        with self._tracer.start_as_current_span(
            statement.summary,
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": metrics.DB_SYSTEM,
                "db.operation.name": statement.operation,
                "db.query.summary": statement.summary,
                "db.query.text": statement.sql,
            },
        ):
            return await self._execute(connection, statement, own_transaction)

    def connections(self) -> tuple[int, int]:
        """The pool's connections in use and idle."""
        idle = self.pool.get_idle_size()
        return self.pool.get_size() - idle, idle

    async def _execute(
        self, connection: asyncpg.Connection, statement: Bound, own_transaction: bool
    ) -> Sequence[Record]:
        started = time.perf_counter()
        try:
            if own_transaction:
                async with connection.transaction():
                    rows: Sequence[Record] = await connection.fetch(
                        statement.sql, *statement.arguments
                    )
                    return rows
            rows = await connection.fetch(statement.sql, *statement.arguments)
            return rows
        finally:
            if self._metrics:
                metrics.observe_statement(
                    statement.operation,
                    statement.summary,
                    time.perf_counter() - started,
                )


WARM_UP = (
    "SELECT * FROM tasks JOIN users ON users.id = tasks.user_id"
    " LEFT JOIN idempotency_keys ON idempotency_keys.task_id = tasks.id"
    " WHERE tasks.user_id = '' AND tasks.id = '00000000-0000-0000-0000-000000000000'"
)
"""A statement on every table a request reads, run by each new connection:
a fresh server process loads their catalog entries on first use, several
milliseconds of PostgreSQL's CPU each; paid here, not by the request that
first lands on the connection (tests/test_fairness.py saw another user's
read take 50 to 80 ms behind a burst of fresh connections)."""


async def _new_connection(connection: asyncpg.Connection) -> None:
    await codecs.columns_as_json_has_them(connection)
    await connection.fetch(WARM_UP)


async def create_pool(settings: Settings, url: str) -> asyncpg.Pool:
    dsn, connect_args = asyncpg_url(url)
    return await asyncpg.create_pool(
        dsn,
        # A user's share of the pool and one more open at startup, so that
        # one user's burst finds them ready and leaves one for everyone
        # else; the rest open on demand. Idle ones close after
        # DB_POOL_RECYCLE all the same, so an idle service holds none.
        min_size=min(settings.db_pool_size, settings.db_connections_per_user + 1),
        max_size=settings.db_pool_size,
        # Close connections idle longer than this, before Neon suspends an
        # idle compute (5 minutes) and cuts them itself.
        max_inactive_connection_lifetime=settings.db_pool_recycle,
        timeout=settings.db_connect_timeout,
        command_timeout=settings.db_command_timeout,
        # 0 for poolers that cannot keep prepared statements: statements are
        # then unnamed and each runs in a transaction of its own.
        statement_cache_size=settings.db_statement_cache_size,
        # Timestamps are read as text (impl/db/codecs.py); in UTC they need no
        # conversion. A transaction pooler keeps these per client.
        server_settings={"TimeZone": "UTC", "DateStyle": "ISO"},
        init=_new_connection,
        reset=_keep_session_state,
        **connect_args,
    )


@asynccontextmanager
async def open_database(
    settings: Settings, url: str, tracer: Tracer | None = None
) -> AsyncIterator[Database]:
    pool = await create_pool(settings, url)
    try:
        yield Database(pool, settings, tracer)
    finally:
        try:
            await asyncio.wait_for(pool.close(), timeout=5)
        except TimeoutError:
            pool.terminate()


class DatabaseAccess:
    """A request's access to the database.

    It holds no connection of its own: each statement borrows one from the
    pool and gives it back right after (see `Database.fetch`), so a caller
    who fails authentication never reaches the database, and a request that
    is cancelled mid-statement returns its connection all the same. Inside
    `async with access.transaction():` its statements share one connection
    and commit together. Once the request is over, the access is closed and
    refuses further statements.
    """

    __slots__ = ("_connection", "_database", "_user")

    def __init__(self, database: Database, user: str | None = None) -> None:
        self._database: Database | None = database
        self._connection: asyncpg.Connection | None = None
        self._user = user
        """Whose statements these are: they take that user's lane (`Lanes`)."""

    def _open(self) -> Database:
        if self._database is None:
            raise RuntimeError("the request is over; its access is closed")
        return self._database

    async def fetch(self, statement: Bound) -> Sequence[Record]:
        database = self._open()
        if self._connection is None:
            if self._user is None:
                return await database.fetch(statement)
            await database.lanes.enter(self._user)
            try:
                return await database.fetch(statement)
            finally:
                database.lanes.leave(self._user)
        try:
            return await database.run_on(self._connection, statement)
        except (OSError, TimeoutError) as error:
            raise DatabaseUnreachable(repr(error)) from error

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Every statement in the block on one connection, in one
        transaction: all committed when the block ends, none when it raises.
        Inside another one (a dependency's, around the handler's), it is a
        savepoint of it: its block's statements undone alone when it raises,
        committed with the outer one."""
        database = self._open()
        if self._connection is not None:
            async with self._connection.transaction():
                yield
            return
        if self._user is not None:
            await database.lanes.enter(self._user)
        try:
            async with database.transaction() as connection:
                self._connection = connection
                try:
                    yield
                finally:
                    self._connection = None
        finally:
            if self._user is not None:
                database.lanes.leave(self._user)

    def close(self) -> None:
        self._database = None
