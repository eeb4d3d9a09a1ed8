"""The contexts handlers receive: who is calling, and a lease on the database.

`request_context` serves the operations the contract secures: it
authenticates first, so nothing else is looked at for an anonymous caller.
`public_context` serves the probes (`security: []`). Both are async
generators: whatever happens in the handler, the lease is closed when the
request is over.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import Request

from impl.auth import authenticated_user
from impl.database import Database, Lease


@dataclass(frozen=True, slots=True)
class RequestContext:
    user_id: str
    """The authenticated caller; always equal to the path's user_id."""
    db: Lease
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers (Location, ETag); the body is the return value."""


@dataclass(frozen=True, slots=True)
class PublicContext:
    db: Lease


def _lease(request: Request) -> Lease:
    database: Database = request.app.state.database
    return Lease(database)


async def request_context(request: Request) -> AsyncIterator[RequestContext]:
    user_id = await authenticated_user(request)
    lease = _lease(request)
    try:
        yield RequestContext(user_id=user_id, db=lease)
    finally:
        lease.close()


async def public_context(request: Request) -> AsyncIterator[PublicContext]:
    lease = _lease(request)
    try:
        yield PublicContext(db=lease)
    finally:
        lease.close()
