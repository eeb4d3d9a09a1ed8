"""Who is calling: JWT verification and its cache, the static and the remote
(JWKS over HTTP) key sets, and the development key of `make run`."""
