"""Starlette's CORS, for the requests that carry an Origin.

Only a browser on another origin sends `Origin`; every other request passes
this middleware without Starlette's header parsing.
"""

from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from generated.facts import CORS_METHODS, CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS
from impl.http.logs import REQUEST_ID_HEADER
from impl.tracing import TRACE_CONTEXT_HEADERS


class CrossOrigin:
    def __init__(self, app: ASGIApp, *, origins: tuple[str, ...]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_credentials=True,
            allow_methods=CORS_METHODS,
            # The contract documents the id a response carries; a caller may
            # send its own (impl.http.logs), and a traced frontend its trace
            # context (impl.tracing).
            allow_headers=[
                *CORS_REQUEST_HEADERS,
                REQUEST_ID_HEADER,
                *TRACE_CONTEXT_HEADERS,
            ],
            expose_headers=CORS_RESPONSE_HEADERS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(
            name == b"origin" for name, _ in scope["headers"]
        ):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
