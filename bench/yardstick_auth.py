"""Tokens for the benchmark: minted by its own key, checked by the yardsticks
with PyJWT on every request, no cache.

The ceiling and the conventional app share this instead of importing the
service's impl.auth.verifier (or the tests' helpers), so that a change to the
product never moves them.
"""

import json
import os
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm


class TokenChecker:
    """Verifies a bearer token against JWKS_JSON, JWT_ISSUER and JWT_AUDIENCE.

    With `remember`, a token verified once is trusted until its `exp` (at
    most CACHE_SIZE of them, the oldest forgotten first): what a careful
    hand-written server does, since a frontend sends one token many times.
    """

    CACHE_SIZE = 10_000

    def __init__(self, *, remember: bool = False) -> None:
        keys = jwt.PyJWKSet.from_dict(json.loads(os.environ["JWKS_JSON"])).keys
        self.keys = {key.key_id: key for key in keys}
        self.issuer = os.environ["JWT_ISSUER"]
        self.audience = os.environ["JWT_AUDIENCE"]
        self.remembered: dict[str, tuple[str, float]] | None = {} if remember else None

    def subject(self, authorization: str | None) -> str | None:
        """The token's `sub`, or None when the token is missing or invalid."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        if self.remembered is None:
            claims = self._claims(token)
            return None if claims is None else claims["sub"]
        known = self.remembered.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        claims = self._claims(token)
        if claims is None:
            return None
        if len(self.remembered) >= self.CACHE_SIZE:
            del self.remembered[next(iter(self.remembered))]
        self.remembered[token] = (claims["sub"], float(claims["exp"]))
        return str(claims["sub"])

    def _claims(self, token: str) -> dict[str, Any] | None:
        """The verified claims, with a string `sub`; None if invalid."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.get(kid)
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["EdDSA"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError:
            return None
        return claims if isinstance(claims["sub"], str) else None


def database_url() -> str:
    return os.environ["DATABASE_URL"]


class Signer:
    """The benchmark's identity provider: an Ed25519 key that signs tokens as
    Better Auth does (EdDSA, a kid) and publishes itself as a JWKS."""

    def __init__(self, issuer: str, audience: str, kid: str = "bench") -> None:
        self.private_key = Ed25519PrivateKey.generate()
        self.issuer, self.audience, self.kid = issuer, audience, kid

    def jwks_json(self) -> str:
        public = json.loads(OKPAlgorithm.to_jwk(self.private_key.public_key()))
        return json.dumps({"keys": [{**public, "kid": self.kid}]})

    def token(self, subject: str, lifetime: int = 7200) -> str:
        now = int(time.time())
        claims = {
            "sub": subject,
            "iat": now,
            "exp": now + lifetime,
            "iss": self.issuer,
            "aud": self.audience,
        }
        return jwt.encode(
            claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid}
        )
