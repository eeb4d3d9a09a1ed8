"""The operations of the contract, served at the innermost layer of
FastAPI's stack.

This is the app router's own entry (`Router.middleware_stack`): every
middleware added with `app.add_middleware` and FastAPI's exception
middleware wrap it, as they wrap a route. A request for an operation is
found by method and path (`OperationRouter`) and answered by its
generated route from the ASGI scope, without Starlette's route matching,
Request or Response; anything else goes on to the router's routes (the
docs, the published contract, 404 and 405).

An error an operation raises is answered as problem+json right here
(`errors.answer_for`), unless an exception handler registered with
`app.exception_handler` is for it: then it is raised on, for FastAPI to
call that handler. Either way the answer's status is checked against the
ones the operation documents.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from impl.http import errors
from runtime.call import Call
from runtime.replies import send_answer
from runtime.routes import OperationRoute, OperationRouter


class Operations:
    def __init__(
        self,
        routes: list[OperationRoute],
        fallback: ASGIApp,
        undocumented: errors.UndocumentedStatuses,
    ) -> None:
        self.router = OperationRouter(routes)
        self.fallback = fallback
        self.undocumented = undocumented

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            self.router.match(scope["method"], scope["path"])
            if scope["type"] == "http"
            else None
        )
        if found is None:
            await self.fallback(scope, receive, send)
            return
        route, path_params = found
        scope["route"] = route
        scope["path_params"] = path_params
        operation = route.operation
        call = Call(
            operation,
            scope,
            receive,
            path_params,
            scope["app"].state,
            dict(scope["headers"]),
        )
        try:
            await route.serve(call, send)
        except Exception as error:
            if call.answered or errors.handled_by_app(scope, error):
                raise
            answer = errors.answer_for(error)
            if answer.status not in operation.statuses:
                answer = self.undocumented.answered(operation, answer, error)
            await send_answer(send, answer)
