"""The operations of the contract, served by the innermost middleware of
FastAPI's stack.

`create_app` adds it first, so every middleware added later with
`app.add_middleware` wraps it, as it wraps any route. A request for an
operation is found by method and path (`OperationRouter`) and answered by
its generated route from the ASGI scope, without Starlette's route
matching, Request or Response; anything else goes on, through FastAPI's
exception middleware, to the router (the docs, the published contract, 404
and 405).

An error an operation raises is answered right here: by the handler
registered for it with `app.exception_handler`, looked up as Starlette
does, when there is one; otherwise as problem+json (`errors.answer_for`),
its status checked against the ones the operation documents. An error the
app registers an `Exception` handler for goes on to FastAPI's server error
middleware, as on any route.
"""

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from impl.http import errors
from impl.http.undocumented import UndocumentedStatuses
from runtime.call import Call
from runtime.replies import send_answer
from runtime.routes import OperationRoute, OperationRouter


class Operations:
    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: list[OperationRoute],
        undocumented: UndocumentedStatuses,
    ) -> None:
        self.app = app
        self.router = OperationRouter(routes)
        self.undocumented = undocumented

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            self.router.match(scope["method"], scope["path"])
            if scope["type"] == "http"
            else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        route, path_params = found
        scope["route"] = route
        scope["path_params"] = path_params
        operation = route.operation
        service = scope["app"]
        call = Call(
            operation,
            scope,
            receive,
            path_params,
            service.state,
            dict(scope["headers"]),
        )
        try:
            await route.serve(call, send)
        except Exception as error:
            if call.answered:
                raise
            handler = errors.app_handler_for(service, error)
            if isinstance(handler, errors.ServerError):
                raise
            if handler is not None:
                response = await handler(Request(scope, receive, send), error)
                if response is not None:
                    await response(scope, receive, send)
                return
            answer = errors.answer_for(error)
            if answer.status not in operation.statuses:
                answer = self.undocumented.answered(operation, answer, error)
            await send_answer(send, answer)
