"""What the app builds once (`Services`), and the contexts handlers receive:
who is calling, and its access to the database.

`request_context` serves the operations the contract secures: it
authenticates first, so nothing else is looked at for an anonymous caller,
then counts the request against the caller's rate limit.
`public_context` serves the probes (`security: []`). Both are async
generators: whatever happens in the handler, the access is closed when the
request is over.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from impl.auth.verifier import Verifier, authenticated_user
from impl.db.database import Database, DatabaseAccess
from impl.drain import Drain
from impl.rate_limit import Limiter
from runtime.routes import Call


@dataclass(slots=True)
class Services:
    """Everything a request may use, built once by the app (impl/app.py) and
    kept on `app.state.services`."""

    verifier: Verifier
    limiter: Limiter
    drain: Drain
    database: Database | None = None
    """Opened by the app's lifespan, closed when it ends."""

    def open_database(self) -> Database:
        if self.database is None:
            raise RuntimeError("the database is not open: the app has not started")
        return self.database


def services_of(call: Call) -> Services:
    services: Services = call.state.services
    return services


@dataclass(frozen=True, slots=True)
class RequestContext:
    user_id: str
    """The authenticated caller; always equal to the path's user_id."""
    db: DatabaseAccess


@dataclass(frozen=True, slots=True)
class PublicContext:
    db: DatabaseAccess
    draining: bool
    """Whether the process is stopping (impl/drain.py)."""


async def request_context(call: Call) -> AsyncIterator[RequestContext]:
    services = services_of(call)
    user_id = await authenticated_user(call, services.verifier)
    await services.limiter.check(user_id)
    access = DatabaseAccess(services.open_database())
    try:
        yield RequestContext(user_id=user_id, db=access)
    finally:
        access.close()


async def public_context(call: Call) -> AsyncIterator[PublicContext]:
    services = services_of(call)
    access = DatabaseAccess(services.open_database())
    try:
        yield PublicContext(db=access, draining=services.drain.draining)
    finally:
        access.close()
