"""The service's app: FastAPI, with the service's own concerns around its
whole stack.

`concerns` is a list of pure-ASGI middleware, outermost first, as
`app.user_middleware` is: `create_app` names them (the request id, the
access line, the request's span and duration, `Connection: close` while
draining, the contract check). They wrap FastAPI's server error middleware,
so that an unhandled error's 500 carries the request id and is logged,
counted and checked like any other answer; a middleware added with
`app.add_middleware` and a handler registered with `app.exception_handler`
sit inside them, and apply to every operation as to any route.
"""

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp


class Service(FastAPI):
    concerns: list[Middleware]

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        for cls, args, kwargs in reversed(self.concerns):
            app = cls(app, *args, **kwargs)
        return app
