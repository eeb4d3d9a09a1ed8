"""The contexts handlers receive: who is calling, and a session.

`request_context` serves the operations the contract secures: it
authenticates first, so nothing else is looked at for an anonymous caller.
`public_context` serves the probes (`security: []`).
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from impl.auth import authenticated_user
from impl.database import get_session


@dataclass(frozen=True, slots=True)
class RequestContext:
    user_id: str
    """The authenticated caller; always equal to the path's user_id."""
    session: AsyncSession
    response: Response
    """For response headers (Location, ETag); the body is the return value."""


@dataclass(frozen=True, slots=True)
class PublicContext:
    session: AsyncSession


async def request_context(
    request: Request,
    response: Response,
    session: Annotated[AsyncSession, Depends(get_session)],
) -> RequestContext:
    # The session holds no connection until its first statement, which comes
    # after authentication: an anonymous caller never reaches the database.
    user_id = await authenticated_user(request)
    return RequestContext(user_id=user_id, session=session, response=response)


async def public_context(
    session: Annotated[AsyncSession, Depends(get_session)],
) -> PublicContext:
    return PublicContext(session=session)
