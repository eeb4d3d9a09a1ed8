"""The app's dependencies, as FastAPI declares them: `Depends()` of a
function, here for every operation and every route of the app.

They are handed to FastAPI (`FastAPI(dependencies=DEPENDENCIES)`), which
keeps them on `app.router.dependencies`; the operations have FastAPI solve
them (runtime/dependencies.py) before authentication, and tests replace
one with `app.dependency_overrides`. A handler reads what one yielded as
`ctx.deps[the_function]`. README, "Extending the service", shows one.
"""

from fastapi import params

DEPENDENCIES: list[params.Depends] = []
