"""The contexts handlers receive: who is calling, and its access to the database.

`request_context` serves the operations the contract secures: it
authenticates first, so nothing else is looked at for an anonymous caller,
then counts the request against the caller's rate limit.
`public_context` serves the probes (`security: []`). Both are async
generators: whatever happens in the handler, the access is closed when the
request is over.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from impl.auth.verifier import authenticated_user
from impl.db.database import Database, DatabaseAccess
from impl.rate_limit import Limiter
from runtime.routes import Call


@dataclass(frozen=True, slots=True)
class RequestContext:
    user_id: str
    """The authenticated caller; always equal to the path's user_id."""
    db: DatabaseAccess


@dataclass(frozen=True, slots=True)
class PublicContext:
    db: DatabaseAccess
    draining: bool
    """Whether the process is stopping (impl/http/drain.py)."""


def _access(call: Call) -> DatabaseAccess:
    database: Database = call.state.database
    return DatabaseAccess(database)


async def request_context(call: Call) -> AsyncIterator[RequestContext]:
    user_id = await authenticated_user(call)
    limiter: Limiter = call.state.limiter
    await limiter.check(user_id)
    access = _access(call)
    try:
        yield RequestContext(user_id=user_id, db=access)
    finally:
        access.close()


async def public_context(call: Call) -> AsyncIterator[PublicContext]:
    access = _access(call)
    try:
        yield PublicContext(db=access, draining=call.state.drain.draining)
    finally:
        access.close()
