"""What the code generated from any contract shares, as ordinary Python.

generated/ holds only what openapi.yaml determines (its models, parameter
models, the Handlers protocol, the routes of its operations) and imports
the rest from here, as oapi-codegen's generated Go imports its runtime
library: the models' base (`runtime.models`), the route machinery
(`runtime.routes`) and the check that handlers fit the protocol
(`runtime.binding`). This package knows nothing of tasks.
"""
