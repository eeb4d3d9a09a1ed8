"""The tasks: one handler per operation of the contract, their statements,
keyset pages, preconditions, idempotency, and the binding of the contract's
fields and sort keys to the tasks table."""
