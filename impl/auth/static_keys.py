"""JWKS parsing and key lookup by `kid`, shared by static and remote key sets."""

from collections.abc import Mapping
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet


def parse_jwks(jwks: Mapping[str, Any]) -> list[PyJWK]:
    """The usable public keys of a JWKS; PyJWT skips keys it cannot use.

    Better Auth publishes OKP keys without `alg`; PyJWT infers EdDSA for them.
    """
    try:
        return list(PyJWKSet.from_dict(dict(jwks)).keys)
    except jwt.PyJWKSetError:
        return []


def find_key(keys: list[PyJWK], kid: str | None) -> PyJWK | None:
    if kid is None:
        # A token without kid can be matched only when there is no choice.
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.key_id == kid), None)


class StaticJwks:
    """Keys known at startup: a JWKS file, inline JSON, or the development key."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = parse_jwks(jwks)

    async def find(self, kid: str | None) -> PyJWK | None:
        return find_key(self._keys, kid)
