"""Hand-written implementation of the contract in openapi.yaml."""
