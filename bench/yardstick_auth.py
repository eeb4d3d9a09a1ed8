"""Token checks for the yardsticks: PyJWT on every request, no cache.

The ceiling and the conventional app share this instead of importing the
service's impl.auth, so that a change to the product never moves them.
"""

import json
import os
from typing import Any

import jwt


class TokenChecker:
    """Verifies a bearer token against JWKS_JSON, JWT_ISSUER and JWT_AUDIENCE."""

    def __init__(self) -> None:
        keys = jwt.PyJWKSet.from_dict(json.loads(os.environ["JWKS_JSON"])).keys
        self.keys = {key.key_id: key for key in keys}
        self.issuer = os.environ["JWT_ISSUER"]
        self.audience = os.environ["JWT_AUDIENCE"]

    def subject(self, authorization: str | None) -> str | None:
        """The token's `sub`, or None when the token is missing or invalid."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
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
        subject = claims["sub"]
        return subject if isinstance(subject, str) else None


def database_url() -> str:
    return os.environ["DATABASE_URL"]
