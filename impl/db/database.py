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
from impl.db.pool import create_pool
from impl.db.statements import Bound, Record
from impl.db.turns import AtCapacity, Lanes, Waiting
from impl.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["AtCapacity", "Database", "DatabaseAccess", "DatabaseUnreachable"]

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


LOST_CONNECTION_ATTEMPTS = 3
"""How often an idempotent statement runs before a lost connection fails it."""


class DatabaseUnreachable(Exception):
    """The server could not be reached, or did not answer in time."""


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
        self._in_transaction = settings.db_statement_cache_size == 0
        self._turns = asyncio.Semaphore(settings.db_pool_size)
        self._size = settings.db_pool_size
        self._waiting = Waiting(settings.db_max_waiting, settings.db_pool_timeout)
        self.lanes = Lanes(settings.db_connections_per_user, self._waiting)

    async def enter_lane(self, user: str) -> None:
        """Wait for a place in `user`'s lane (`Lanes`), as a request does
        before it runs; `leave_lane` when it is over."""
        try:
            await self.lanes.enter(user)
        except TimeoutError as error:
            raise DatabaseUnreachable(repr(error)) from error

    def leave_lane(self, user: str) -> None:
        self.lanes.leave(user)

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
            return await self._retried(statement)
        except (OSError, TimeoutError) as error:
            raise DatabaseUnreachable(repr(error)) from error

    async def _retried(self, statement: Bound) -> Sequence[Record]:
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

    async def _take_turn(self) -> None:
        if self._turns.locked():
            await self._waiting.wait_for(self._turns)
        else:
            await self._turns.acquire()

    async def _run(self, statement: Bound) -> Sequence[Record]:
        # The hot path: the turn taken and the statement run inline, without
        # a coroutine more per statement.
        if self._turns.locked():
            await self._waiting.wait_for(self._turns)
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
        """One connection, in a transaction:
        committed when the block ends, rolled back when it raises. No
        statement in it is retried after a lost connection (the transaction
        is lost with it: 503, nothing written). It works behind a transaction
        pooler too, which keeps one server connection for the whole
        transaction."""
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

    async def open_spare(self, count: int) -> None:
        """Open `count` connections ahead of need (one fewer than the pool
        at most), each touching the tables once (impl/db/pool.py), so that
        the first burst after a start finds them ready; a database out of
        reach now is left to the requests."""
        held: list[asyncpg.Connection] = []
        try:
            for _ in range(min(count, self._size - 1)):
                # Only the turns free now: requests never wait for spares.
                if self._turns.locked():
                    break
                await self._turns.acquire()
                try:
                    held.append(await self.pool.acquire())
                except BaseException:
                    self._turns.release()
                    raise
        except Exception as error:
            logger.info("no spare connections opened: %r", error)
        finally:
            for connection in held:
                await self.pool.release(connection)
                self._turns.release()

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

    __slots__ = ("_connection", "_database")

    def __init__(self, database: Database) -> None:
        self._database: Database | None = database
        self._connection: asyncpg.Connection | None = None

    def _open(self) -> Database:
        if self._database is None:
            raise RuntimeError("the request is over; its access is closed")
        return self._database

    async def fetch(self, statement: Bound) -> Sequence[Record]:
        database = self._open()
        if self._connection is None:
            return await database.fetch(statement)
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
        async with database.transaction() as connection:
            self._connection = connection
            try:
                yield
            finally:
                self._connection = None

    def close(self) -> None:
        self._database = None
