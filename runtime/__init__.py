"""What the code generated from any contract shares, as ordinary Python.

generated/ holds only what openapi.yaml determines (its models, parameter
models, the Handlers protocol, the routes of its operations) and imports
the rest from here, as oapi-codegen's generated Go imports its runtime
library: the models' base (`runtime.models`), a request read from the ASGI
scope (`runtime.call`), an operation's parameters (`runtime.parameters`)
and how a request's are read with its body (`runtime.reading`), a
handler's reply (`runtime.replies`), an operation (`runtime.operations`)
and its route (`runtime.routes`),
per-request dependencies (`runtime.dependencies`) and the check that
handlers fit the protocol (`runtime.binding`). This package knows nothing
of tasks.
"""
