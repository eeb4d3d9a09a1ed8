"""The per-request dependencies every handler gets, registered here.

Each is an async generator of the request (`runtime.call.Call`), like a
FastAPI dependency with `yield`; a handler reads what it yielded as
`ctx.deps[the_generator]`. They are entered in this order after the caller
is authenticated and counted against the rate limit, and left in reverse
order after the response is sent (after an error, once the handler's
exception has been thrown in at their `yield`). README, "Extending the
service", shows one.
"""

from typing import Any

from runtime.dependencies import Dependency

DEPENDENCIES: tuple[Dependency[Any], ...] = ()
