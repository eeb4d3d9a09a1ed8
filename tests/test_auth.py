"""Better Auth tokens, and only those, get in; isolation holds under attack.

The service fetches keys from a real local HTTP JWKS endpoint shaped like
Better Auth's (/api/auth/jwks: OKP Ed25519 keys with a kid and no alg), and
the tokens carry Better Auth's claims.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from impl.auth.verifier import Verifier, build_verifier
from impl.problems import Unauthorized
from impl.settings import Settings, SettingsError
from tests.support import JwksServer, Keys, LiveServer, changed

BETTER_AUTH_URL = "http://127.0.0.1:3000"


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    with JwksServer.serve() as server:
        yield server


COOLDOWN = 0.5


@pytest.fixture(scope="module")
def issuer(jwks_server: JwksServer) -> Keys:
    """Better Auth's signing key, published at the JWKS endpoint."""
    keys = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)
    jwks_server.publish(keys.jwk())
    return keys


@pytest.fixture(autouse=True)
def _endpoint_up(jwks_server: JwksServer) -> Iterator[None]:
    jwks_server.up = True
    yield
    jwks_server.up = True


def past_cooldown() -> None:
    """Let the service's refetch window for unknown kids pass."""
    time.sleep(COOLDOWN + 0.1)


@pytest.fixture(scope="module")
def remote_app(
    settings: Settings, jwks_server: JwksServer, db: object
) -> Iterator[LiveServer]:
    remote = changed(
        settings,
        jwks_json="",
        better_auth_url=BETTER_AUTH_URL,
        jwks_url=jwks_server.url,
        jwt_issuer=BETTER_AUTH_URL,
        jwt_audience=BETTER_AUTH_URL,
        jwks_cooldown_seconds=COOLDOWN,
        jwks_max_age_seconds=300,
    )
    with LiveServer.serve(remote) as live:
        yield live


@pytest.fixture
def http(remote_app: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=remote_app.base_url, timeout=10) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tasks_of(user: str) -> str:
    return f"/api/{user}/tasks"


def assert_401(response: httpx.Response, description: str | None = None) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    if description is not None:
        assert 'error="invalid_token"' in challenge
        assert description in challenge
        assert description in response.json()["detail"]


# End to end, with Better Auth-shaped keys and tokens


def test_better_auth_tokens_drive_all_five_operations(
    http: httpx.Client, issuer: Keys
) -> None:
    auth = bearer(issuer.token("u1"))

    created = http.post(tasks_of("u1"), json={"title": "From Next.js"}, headers=auth)
    task_url = created.headers["Location"]
    listed = http.get(tasks_of("u1"), headers=auth)
    fetched = http.get(task_url, headers=auth)
    updated = http.put(
        task_url, json={"title": "Done", "completed": True}, headers=auth
    )
    deleted = http.delete(task_url, headers=auth)

    assert [r.status_code for r in (created, listed, fetched, updated, deleted)] == [
        201,
        200,
        200,
        200,
        204,
    ]
    assert listed.json()["items"][0]["title"] == "From Next.js"


CURVES = {"ES256": ec.SECP256R1(), "ES512": ec.SECP521R1()}


@pytest.mark.parametrize("algorithm", ["ES256", "ES512", "RS256", "PS256"])
def test_every_algorithm_better_auth_signs_with_is_accepted_by_default(
    http: httpx.Client, jwks_server: JwksServer, issuer: Keys, algorithm: str
) -> None:
    kid = f"{algorithm}-key"
    if algorithm in CURVES:
        private: Any = ec.generate_private_key(CURVES[algorithm])
        public = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwks_server.publish({**public, "kid": kid})
    past_cooldown()
    token = jwt.encode(
        issuer.claims("u1"), private, algorithm=algorithm, headers={"kid": kid}
    )

    assert http.get(tasks_of("u1"), headers=bearer(token)).status_code == 200


# The attack table: each case is rejected with its documented status.


def test_no_token_is_401_without_error_code(http: httpx.Client, issuer: Keys) -> None:
    response = http.get(tasks_of("u1"))

    assert_401(response)
    assert "error=" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Basic dTE6cHc=", "u1"],
)
def test_a_malformed_token_is_401(
    http: httpx.Client, issuer: Keys, header: str
) -> None:
    response = http.get(tasks_of("u1"), headers={"Authorization": header})

    assert_401(response, "")


def test_an_expired_token_is_401(http: httpx.Client, issuer: Keys) -> None:
    past = int(time.time()) - 3600
    token = issuer.token("u1", iat=past - 900, exp=past)

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "expired")


def test_a_token_not_valid_yet_is_401(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", nbf=int(time.time()) + 600)

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "not valid yet")


def test_a_token_issued_in_the_future_is_401(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", iat=int(time.time()) + 600)

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "not valid yet")


def test_a_small_clock_skew_is_tolerated(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", iat=int(time.time()) + 5, exp=int(time.time()) - 5)

    assert http.get(tasks_of("u1"), headers=bearer(token)).status_code == 200


def test_a_wrong_issuer_is_401(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", iss="https://evil.example")

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "issuer")


def test_a_wrong_audience_is_401(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", aud="https://other-api.example")

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "audience")


def test_an_unknown_kid_is_401(http: httpx.Client, issuer: Keys) -> None:
    stranger = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)

    response = http.get(tasks_of("u1"), headers=bearer(stranger.token("u1")))

    assert_401(response, "signing key is unknown")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def hmac_signed(claims: dict[str, Any], header: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses to use a public key as a secret."""
    signing_input = unsigned(claims, header).rstrip(".")
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_401(http: httpx.Client, issuer: Keys, alg: str) -> None:
    token = unsigned(issuer.claims("u1"), {"alg": alg, "kid": issuer.kid})

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "algorithm")


def test_hs256_signed_with_the_public_key_is_401(
    http: httpx.Client, issuer: Keys
) -> None:
    public = issuer.private_key.public_key()
    secrets = [
        public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(Encoding.Raw, PublicFormat.Raw),
        json.dumps(issuer.jwk()).encode(),
    ]
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}

    for secret in secrets:
        token = hmac_signed(issuer.claims("u1"), header, secret)
        assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "algorithm")


def test_a_tampered_payload_is_401(http: httpx.Client, issuer: Keys) -> None:
    header, _, signature = issuer.token("u1").split(".")
    forged = base64.urlsafe_b64encode(json.dumps(issuer.claims("u2")).encode()).rstrip(
        b"="
    )

    token = f"{header}.{forged.decode()}.{signature}"

    assert_401(http.get(tasks_of("u2"), headers=bearer(token)), "signature")


def test_a_token_signed_by_another_key_under_a_known_kid_is_401(
    http: httpx.Client, issuer: Keys
) -> None:
    impostor = Keys(
        Ed25519PrivateKey.generate(), issuer.kid, BETTER_AUTH_URL, BETTER_AUTH_URL
    )

    response = http.get(tasks_of("u1"), headers=bearer(impostor.token("u1")))

    assert_401(response, "signature")


def test_a_token_without_sub_is_401(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", sub=None)

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "sub")


def test_a_token_without_exp_is_401(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1", exp=None)

    assert_401(http.get(tasks_of("u1"), headers=bearer(token)), "exp")


def test_another_users_path_is_403(http: httpx.Client, issuer: Keys) -> None:
    token = issuer.token("u1")

    for method in ("GET", "POST"):
        response = http.request(
            method, tasks_of("u2"), json={"title": "x"}, headers=bearer(token)
        )
        assert response.status_code == 403
        assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_another_users_task_id_is_404(
    http: httpx.Client, issuer: Keys, method: str
) -> None:
    owner = bearer(issuer.token("u1"))
    task_id = http.post(tasks_of("u1"), json={"title": "Mine"}, headers=owner).json()[
        "id"
    ]

    response = http.request(
        method,
        f"{tasks_of('u2')}/{task_id}",
        json={"title": "Stolen"} if method == "PUT" else None,
        headers=bearer(issuer.token("u2")),
    )

    assert response.status_code == 404
    assert (
        http.get(f"{tasks_of('u1')}/{task_id}", headers=owner).json()["title"] == "Mine"
    )


def test_listing_another_users_tasks_is_403(http: httpx.Client, issuer: Keys) -> None:
    http.post(
        tasks_of("u1"), json={"title": "Mine"}, headers=bearer(issuer.token("u1"))
    )

    response = http.get(tasks_of("u1"), headers=bearer(issuer.token("u2")))

    assert response.status_code == 403
    assert "Mine" not in response.text


# Remote JWKS: rotation, outage, floods


def test_a_rotated_key_works_and_the_old_one_keeps_working(
    http: httpx.Client, jwks_server: JwksServer, issuer: Keys
) -> None:
    old_token = issuer.token("u1")
    assert http.get(tasks_of("u1"), headers=bearer(old_token)).status_code == 200
    rotated = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)
    jwks_server.publish(rotated.jwk())
    past_cooldown()

    new = http.get(tasks_of("u1"), headers=bearer(rotated.token("u1")))
    old = http.get(tasks_of("u1"), headers=bearer(old_token))

    assert (new.status_code, old.status_code) == (200, 200)


def test_known_keys_keep_working_while_the_endpoint_is_down(
    http: httpx.Client, jwks_server: JwksServer, issuer: Keys
) -> None:
    assert (
        http.get(tasks_of("u1"), headers=bearer(issuer.token("u1"))).status_code == 200
    )
    jwks_server.up = False
    past_cooldown()
    failed_before = jwks_server.failed_fetches

    stranger = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)
    unknown = http.get(tasks_of("u1"), headers=bearer(stranger.token("u1")))
    known = http.get(tasks_of("u1"), headers=bearer(issuer.token("u1")))

    assert jwks_server.failed_fetches == failed_before + 1
    assert unknown.status_code == 401
    assert known.status_code == 200


def random_kid_flood(issuer: Keys, count: int) -> list[str]:
    return [replace(issuer, kid=uuid.uuid4().hex).token("u1") for _ in range(count)]


def test_a_flood_of_random_kids_costs_one_fetch_per_cooldown(
    http: httpx.Client, jwks_server: JwksServer, issuer: Keys
) -> None:
    assert (
        http.get(tasks_of("u1"), headers=bearer(issuer.token("u1"))).status_code == 200
    )
    past_cooldown()
    flood = random_kid_flood(issuer, 300)
    before = jwks_server.fetches

    started = time.monotonic()
    statuses = {http.get(tasks_of("u1"), headers=bearer(t)).status_code for t in flood}
    windows = 1 + int((time.monotonic() - started) / COOLDOWN)

    assert statuses == {401}
    assert jwks_server.fetches - before <= windows


def test_a_flood_within_one_window_costs_one_fetch(
    settings: Settings, jwks_server: JwksServer, issuer: Keys, db: object
) -> None:
    one_minute = changed(
        settings,
        jwks_json="",
        jwks_url=jwks_server.url,
        jwt_issuer=BETTER_AUTH_URL,
        jwt_audience=BETTER_AUTH_URL,
        jwks_cooldown_seconds=60,
    )
    flood = random_kid_flood(issuer, 300)

    with (
        LiveServer.serve(one_minute) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        assert (
            c.get(tasks_of("u1"), headers=bearer(issuer.token("u1"))).status_code == 200
        )
        before = jwks_server.fetches
        statuses = {c.get(tasks_of("u1"), headers=bearer(t)).status_code for t in flood}

    assert statuses == {401}
    assert jwks_server.fetches - before == 0


# Configuration: secure by default


def auth_settings(**overrides: Any) -> Settings:
    return Settings(**{"jwt_issuer": "i", "jwt_audience": "a", **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "no auth configuration"),
        ({"jwks_url": "http://x/jwks", "jwt_secret": "s" * 32}, "ambiguous"),
        ({"jwks_json": "{}", "jwks_file": "/tmp/jwks.json"}, "ambiguous"),  # noqa: S108
        ({"jwt_secret": "short"}, "at least 32 bytes"),
        ({"jwks_json": "{}", "jwt_algorithms": ("EdDSA", "HS256")}, "HS256"),
        ({"jwks_json": "{}", "jwt_algorithms": ("none",)}, "none"),
        ({"jwks_json": "{}", "jwt_issuer": ""}, "JWT_ISSUER"),
    ],
)
def test_an_empty_or_ambiguous_configuration_refuses_to_start(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        build_verifier(auth_settings(**overrides))


def test_shared_secret_mode_accepts_hs256_and_nothing_else(
    settings: Settings, issuer: Keys, db: object
) -> None:
    secret = "a-frontend-secret-of-at-least-32-bytes"  # noqa: S105 (a test secret)
    hs_settings = changed(
        settings, jwks_json="", jwt_secret=secret, jwt_issuer="fe", jwt_audience="api"
    )
    claims = {**issuer.claims("u1"), "iss": "fe", "aud": "api"}

    with (
        LiveServer.serve(hs_settings) as live,
        httpx.Client(base_url=live.base_url) as c,
    ):
        good = jwt.encode(claims, secret, algorithm="HS256")
        wrong_secret = jwt.encode(claims, "x" * 40, algorithm="HS256")
        asymmetric = jwt.encode(claims, issuer.private_key, algorithm="EdDSA")

        assert c.get(tasks_of("u1"), headers=bearer(good)).status_code == 200
        assert_401(c.get(tasks_of("u1"), headers=bearer(wrong_secret)), "signature")
        assert_401(c.get(tasks_of("u1"), headers=bearer(asymmetric)), "algorithm")


# The cache of verified tokens


def static_verifier(issuer: Keys, **overrides: Any) -> Verifier:
    return build_verifier(
        auth_settings(
            jwks_json=issuer.jwks_json(),
            jwt_issuer=BETTER_AUTH_URL,
            jwt_audience=BETTER_AUTH_URL,
            **overrides,
        )
    )


def test_a_cached_token_still_expires(issuer: Keys) -> None:
    verifier = static_verifier(issuer, jwt_leeway_seconds=0)
    token = issuer.token("u1", exp=int(time.time()) + 1)

    async def twice() -> None:
        assert (await verifier.verify(token))["sub"] == "u1"
        assert len(verifier.cache) == 1
        await asyncio.sleep(2.1)
        with pytest.raises(Unauthorized, match="has expired"):
            await verifier.verify(token)

    asyncio.run(twice())


def test_only_verified_tokens_enter_the_cache(issuer: Keys) -> None:
    verifier = static_verifier(issuer)
    forged = issuer.token("u1")[:-4] + "AAAA"

    async def attempt() -> None:
        for _ in range(2):
            with pytest.raises(Unauthorized):
                await verifier.verify(forged)

    asyncio.run(attempt())
    assert len(verifier.cache) == 0


def test_the_cache_is_bounded(issuer: Keys) -> None:
    verifier = static_verifier(issuer)
    verifier.cache.size = 3

    async def many() -> None:
        for n in range(5):
            await verifier.verify(issuer.token(f"user-{n}"))

    asyncio.run(many())
    assert len(verifier.cache) == 3


def test_a_cached_token_whose_key_left_the_key_set_is_401(
    http: httpx.Client, jwks_server: JwksServer, issuer: Keys
) -> None:
    retiring = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)
    jwks_server.publish(retiring.jwk())
    past_cooldown()
    token = retiring.token("u1")
    assert http.get(tasks_of("u1"), headers=bearer(token)).status_code == 200
    assert http.get(tasks_of("u1"), headers=bearer(token)).status_code == 200

    jwks_server.keys.remove(retiring.jwk())
    successor = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)
    jwks_server.publish(successor.jwk())
    past_cooldown()
    # The successor's unknown kid makes the service fetch the new key set.
    fresh = http.get(tasks_of("u1"), headers=bearer(successor.token("u1")))
    past_cooldown()
    retired = http.get(tasks_of("u1"), headers=bearer(token))

    assert fresh.status_code == 200
    assert_401(retired, "The token's signing key is unknown.")


def test_an_empty_key_set_stops_trust_in_retired_keys(
    http: httpx.Client, jwks_server: JwksServer, issuer: Keys
) -> None:
    token = issuer.token("u1")
    assert http.get(tasks_of("u1"), headers=bearer(token)).status_code == 200
    published = list(jwks_server.keys)
    jwks_server.keys.clear()
    try:
        past_cooldown()
        stranger = Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL)
        # An unknown kid makes the service fetch the (now empty) key set.
        http.get(tasks_of("u1"), headers=bearer(stranger.token("u1")))
        past_cooldown()
        retired = http.get(tasks_of("u1"), headers=bearer(token))
    finally:
        jwks_server.keys[:] = published
        past_cooldown()
        http.get(
            tasks_of("u1"),
            headers=bearer(
                Keys.generate(issuer=BETTER_AUTH_URL, audience=BETTER_AUTH_URL).token(
                    "u1"
                )
            ),
        )

    assert_401(retired, "The token's signing key is unknown.")


def test_a_rejected_issuer_is_logged_with_the_expected_one(
    issuer: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = static_verifier(issuer)
    token = issuer.token("u1", iss="https://elsewhere.example")

    with pytest.raises(Unauthorized, match="issuer"):
        asyncio.run(verifier.verify(token))

    [line] = [r.getMessage() for r in caplog.records if "issuer" in r.getMessage()]
    assert "https://elsewhere.example" in line
    assert BETTER_AUTH_URL in line
