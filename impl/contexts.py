"""What the app builds once (`Services`), and the contexts handlers receive:
who is calling, its access to the database, and what the app's
dependencies (impl/dependencies.py) yielded, entered before the context.

`request_context` serves the operations the contract secures: it
authenticates first, so nothing else is looked at for an anonymous caller,
then counts the request against the caller's rate limit, then waits for a
place in the caller's lane (at most DB_CONNECTIONS_PER_USER of a user's
requests run at once in a worker: impl/db/turns.py); once a write has
answered, it tells the other workers' streams (impl/events.py). `public_context`
serves the probes (`security: []`). Both are async generators, entered
around the handler and the sending of its response: whatever happens, the
access is closed when the request is over.
"""

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from impl.auth.verifier import Verifier, authenticated_user
from impl.db.database import Database, DatabaseAccess
from impl.drain import Drain
from impl.events import Events
from impl.rate_limit import FIELDS_STATE, Limiter
from runtime.call import Call
from runtime.dependencies import Dependencies


@dataclass(slots=True)
class Services:
    """Everything a request may use, built once by the app (impl/app.py) and
    kept on `app.state.services`."""

    verifier: Verifier
    limiter: Limiter
    drain: Drain
    events: Events
    database: Database | None = None
    """Opened by the app's lifespan, closed when it ends."""

    def open_database(self) -> Database:
        if self.database is None:
            raise RuntimeError("the database is not open: the app has not started")
        return self.database


def services_of(call: Call) -> Services:
    services: Services = call.state.services
    return services


class Lane:
    """A request's place in its user's lane (impl/db/turns.py): taken once
    the caller is known, given back when the request is over, or before,
    by a stream that outlives its first read (`leave`)."""

    __slots__ = ("_database", "_user_id", "held")

    def __init__(self, database: Database, user_id: str) -> None:
        self._database = database
        self._user_id = user_id
        self.held = False

    async def enter(self) -> None:
        await self._database.enter_lane(self._user_id)
        self.held = True

    def leave(self) -> None:
        if self.held:
            self.held = False
            self._database.leave_lane(self._user_id)


@dataclass(frozen=True, slots=True)
class RequestContext:
    user_id: str
    """The authenticated caller; always equal to the path's user_id."""
    db: DatabaseAccess
    deps: Dependencies
    """What each dependency of the app yielded (impl/dependencies.py)."""
    lane: Lane
    expires: float
    """When the caller's token stops being accepted (seconds since the
    epoch): where a stream ends."""


@dataclass(frozen=True, slots=True)
class PublicContext:
    db: DatabaseAccess
    draining: bool
    """Whether the process is stopping (impl/drain.py)."""
    deps: Dependencies


async def request_context(call: Call) -> AsyncGenerator[RequestContext, None]:
    services = services_of(call)
    user_id, expires = await authenticated_user(call, services.verifier)
    fields = await services.limiter.check(user_id)
    if fields:
        call.scope.setdefault("state", {})[FIELDS_STATE] = fields
    database = services.open_database()
    lane = Lane(database, user_id)
    await lane.enter()
    access = DatabaseAccess(database)
    try:
        yield RequestContext(
            user_id=user_id, db=access, deps=call.deps, lane=lane, expires=expires
        )
        if call.operation.method != "GET":
            # A write answered without an error: it has committed.
            services.events.changed(user_id)
    finally:
        access.close()
        lane.leave()


async def public_context(call: Call) -> AsyncGenerator[PublicContext, None]:
    services = services_of(call)
    access = DatabaseAccess(services.open_database())
    draining = services.drain.draining
    try:
        yield PublicContext(db=access, draining=draining, deps=call.deps)
    finally:
        access.close()
