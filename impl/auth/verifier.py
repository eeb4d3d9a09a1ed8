"""Bearer JWT authentication, secure by default.

Two strictly separate modes, chosen at startup:
- asymmetric: EdDSA, ES256, ES512, RS256, PS256 (and friends) against a JWKS, the
  keys Better Auth publishes at /api/auth/jwks (remote, a static file or
  inline JSON, or the development key pair of `make run`);
- shared secret: HS256 with JWT_SECRET, for frontends that sign their own.
A configuration that is empty or names both refuses to start.
"""

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import jwt
from jwt import PyJWK

from impl.auth import dev_keys
from impl.auth.remote_keys import RemoteJwks
from impl.auth.static_keys import StaticJwks
from impl.problems import Forbidden, ProblemName, Unauthorized
from impl.settings import Settings, SettingsError
from runtime.call import Call
from runtime.operations import Operation

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = {
    "EdDSA": {"OKP"},
    "ES256": {"EC"},
    "ES384": {"EC"},
    "ES512": {"EC"},
    "RS256": {"RSA"},
    "RS384": {"RSA"},
    "RS512": {"RSA"},
    "PS256": {"RSA"},
    "PS384": {"RSA"},
    "PS512": {"RSA"},
}
SECRET_ALGORITHMS = {"HS256"}
REQUIRED_CLAIMS = ["exp", "iat", "sub"]
TOKEN_CACHE_SIZE = 10_000


class KeySource(Protocol):
    async def find(self, kid: str | None) -> PyJWK | None: ...


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    claims: dict[str, Any]
    kid: str | None
    key: object
    """The key that verified the signature; a rotation that drops it drops this."""
    valid_from: float
    """`nbf` or `iat`, whichever is later."""
    expires: float


class TokenCache:
    """The tokens verified lately, as API gateways keep them (Envoy's JWT filter).

    Keyed on the exact token and bounded (least recently used goes first).
    Only tokens that passed every check enter it.
    """

    def __init__(self, size: int = TOKEN_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, VerifiedToken] = OrderedDict()

    def get(self, token: str) -> VerifiedToken | None:
        entry = self._entries.get(token)
        if entry is not None:
            self._entries.move_to_end(token)
        return entry

    def put(self, token: str, entry: VerifiedToken) -> None:
        self._entries[token] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        self._entries.pop(token, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class Verifier:
    keys: KeySource | None
    secret: str
    algorithms: frozenset[str]
    issuer: str
    audience: str
    leeway: int
    source: str
    """Where the keys come from, as the startup log names it."""
    cache: TokenCache = field(default_factory=TokenCache)

    def describe(self) -> str:
        return f"{self.source}; issuer {self.issuer}; audience {self.audience}"

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or Unauthorized saying what is wrong with it.

        A cached token skips the signature check only: its time window is
        checked against the clock, and its key must still be trusted. Any
        doubt sends it through the full verification again, which gives the
        same answer, and the same error, as for a token never seen.
        """
        entry = self.cache.get(token)
        if entry is not None:
            now = time.time()
            if (
                entry.valid_from - self.leeway <= now <= entry.expires + self.leeway
                and await self._still_trusted(entry)
            ):
                return entry.claims
            self.cache.drop(token)
        claims, kid, key = await self._verify_signature(token)
        self.cache.put(
            token,
            VerifiedToken(
                claims=claims,
                kid=kid,
                key=key,
                valid_from=max(claims.get("nbf", 0), claims["iat"]),
                expires=claims["exp"],
            ),
        )
        return claims

    async def _still_trusted(self, entry: VerifiedToken) -> bool:
        if self.keys is None:
            return True
        jwk = await self.keys.find(entry.kid)
        return jwk is not None and jwk.key is entry.key

    async def _verify_signature(
        self, token: str
    ) -> tuple[dict[str, Any], str | None, object]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthorized(
                ProblemName.TOKEN_MALFORMED, "The token is malformed."
            ) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise Unauthorized(
                ProblemName.TOKEN_INVALID,
                "The token's signing algorithm is not accepted.",
            )
        kid = header.get("kid")
        key = await self._key_for(algorithm, kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                ProblemName.TOKEN_EXPIRED, "The token has expired."
            ) from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized(
                ProblemName.TOKEN_INVALID, "The token is not valid yet."
            ) from None
        except jwt.InvalidIssuerError:
            logger.warning(
                "token refused: its issuer is %.200r, JWT_ISSUER expects %r",
                _unverified_claim(token, "iss"),
                self.issuer,
            )
            raise Unauthorized(
                ProblemName.TOKEN_NOT_FOR_THIS_SERVICE,
                "The token's issuer is not trusted.",
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(
                ProblemName.TOKEN_NOT_FOR_THIS_SERVICE,
                "The token is meant for another audience.",
            ) from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthorized(
                ProblemName.TOKEN_INVALID, f"The token lacks the {error.claim} claim."
            ) from None
        except jwt.InvalidSignatureError:
            raise Unauthorized(
                ProblemName.TOKEN_INVALID, "The token's signature is invalid."
            ) from None
        except jwt.InvalidTokenError:
            raise Unauthorized(
                ProblemName.TOKEN_INVALID, "The token is invalid."
            ) from None
        return claims, kid, key

    async def _key_for(self, algorithm: str, kid: object) -> Any:
        if algorithm in SECRET_ALGORITHMS:
            return self.secret
        if self.keys is None or (kid is not None and not isinstance(kid, str)):
            raise Unauthorized(
                ProblemName.SIGNING_KEY_UNKNOWN, "The token's signing key is unknown."
            )
        jwk = await self.keys.find(kid)
        if jwk is None:
            raise Unauthorized(
                ProblemName.SIGNING_KEY_UNKNOWN, "The token's signing key is unknown."
            )
        if jwk.key_type not in ASYMMETRIC_ALGORITHMS[algorithm]:
            raise Unauthorized(
                ProblemName.TOKEN_INVALID, "The token's algorithm does not fit its key."
            )
        return jwk.key


def build_verifier(settings: Settings) -> Verifier:
    """The verifier the settings ask for, or SettingsError saying why not."""
    sources = settings.key_sources()
    if len(sources) > 1:
        raise SettingsError(
            f"ambiguous auth configuration: {', '.join(sources)} are all set; "
            "set exactly one key source"
        )
    if not sources and not settings.auth_dev_mode:
        raise SettingsError(
            "no auth configuration: set BETTER_AUTH_URL (or JWKS_URL, JWKS_FILE, "
            "JWKS_JSON, JWT_SECRET); `make run` uses a development key instead"
        )
    issuer, audience = settings.jwt_issuer, settings.jwt_audience
    if not sources:
        logger.warning(
            "AUTH DEVELOPMENT MODE: trusting the local development key in %s. "
            "Never use this outside your machine.",
            dev_keys.key_dir(settings),
        )
        jwks = dev_keys.ensure(settings)
        issuer = issuer or dev_keys.DEV_ISSUER
        audience = audience or dev_keys.DEV_AUDIENCE
    if not issuer or not audience:
        raise SettingsError("set JWT_ISSUER and JWT_AUDIENCE (or BETTER_AUTH_URL)")
    if settings.jwt_secret:
        return _secret_verifier(settings, issuer, audience)
    unknown = set(settings.jwt_algorithms) - set(ASYMMETRIC_ALGORITHMS)
    if unknown:
        raise SettingsError(
            f"JWT_ALGORITHMS has {', '.join(sorted(unknown))}; with a JWKS the "
            f"choices are {', '.join(ASYMMETRIC_ALGORITHMS)}"
        )
    keys: KeySource
    if settings.jwks_url:
        keys = RemoteJwks(
            settings.jwks_url,
            max_age=settings.jwks_max_age_seconds,
            cooldown=settings.jwks_cooldown_seconds,
        )
        source = f"JWKS fetched from {settings.jwks_url}"
    elif settings.jwks_file:
        keys = StaticJwks(json.loads(Path(settings.jwks_file).read_text()))
        source = f"JWKS read from {settings.jwks_file}"
    elif settings.jwks_json:
        keys = StaticJwks(json.loads(settings.jwks_json))
        source = "JWKS given in JWKS_JSON"
    else:
        keys = StaticJwks(jwks)
        source = f"development key in {dev_keys.key_dir(settings)}"
    return Verifier(
        keys=keys,
        secret="",
        algorithms=frozenset(settings.jwt_algorithms),
        issuer=issuer,
        audience=audience,
        leeway=settings.jwt_leeway_seconds,
        source=source,
    )


def _secret_verifier(settings: Settings, issuer: str, audience: str) -> Verifier:
    if len(settings.jwt_secret.encode()) < 32:
        raise SettingsError("JWT_SECRET must be at least 32 bytes long")
    return Verifier(
        keys=None,
        secret=settings.jwt_secret,
        algorithms=frozenset(SECRET_ALGORITHMS),
        issuer=issuer,
        audience=audience,
        leeway=settings.jwt_leeway_seconds,
        source="shared secret (JWT_SECRET)",
    )


def _unverified_claim(token: str, claim: str) -> object:
    """A claim of a token whose signature checked out, for a log line only."""
    return jwt.decode(token, options={"verify_signature": False}).get(claim)


class Caller(NamedTuple):
    user_id: str
    expires: float
    """When the token stops being accepted (its `exp` and the leeway), in
    seconds since the epoch: where a stream that outlives it ends."""


async def authenticated_user(call: Call, verifier: Verifier) -> Caller:
    """The caller: a verified token whose `sub` is the path parameter the
    operation names the caller by (`x-token-subject`)."""
    header = call.header(b"authorization")
    if not header:
        raise Unauthorized(ProblemName.TOKEN_MISSING, "A bearer token is required.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            ProblemName.TOKEN_MALFORMED,
            "Send the token as `Authorization: Bearer <token>`.",
        )
    claims = await verifier.verify(token.strip())
    subject = claims["sub"]
    caller = call.path_params.get(call.operation.subject or "")
    if not isinstance(subject, str) or subject != caller:
        raise Forbidden()
    return Caller(subject, float(claims["exp"]) + verifier.leeway)


class CallerBindingError(RuntimeError):
    """A secured operation names no path parameter for its caller."""


def check_callers(operations: Sequence[Operation]) -> None:
    """CallerBindingError, saying what to mark where, unless every secured
    operation names the path parameter its token's subject must equal."""
    unnamed = [o.operation_id for o in operations if not o.public and not o.subject]
    if unnamed:
        raise CallerBindingError(
            f"{', '.join(unnamed)} name no caller: mark the path parameter that"
            " the token's subject must equal with `x-token-subject: true` in"
            " openapi.yaml"
        )
