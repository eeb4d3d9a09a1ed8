"""The HTTP side: the app and its middleware, the contexts handlers receive,
problem responses, and the contract and docs the service publishes."""
