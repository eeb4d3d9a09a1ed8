"""The development key pair of `make run`, and `make token USER_ID=<id>`.

An Ed25519 key, like Better Auth's default, kept in the git-ignored data
folder. Tokens carry the claims Better Auth puts in its JWTs.
"""

import argparse
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from impl.settings import Settings

DEV_ISSUER = "http://localhost:3000"
DEV_AUDIENCE = "http://localhost:3000"
DEV_KID = "dev-ed25519"


def key_dir(settings: Settings) -> Path:
    return settings.data_dir / "dev-auth"


def _private_key(settings: Settings) -> Ed25519PrivateKey:
    path = key_dir(settings) / "private.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def ensure(settings: Settings) -> dict[str, Any]:
    """The development JWKS, creating the key pair on first use."""
    public = json.loads(OKPAlgorithm.to_jwk(_private_key(settings).public_key()))
    return {"keys": [{**public, "kid": DEV_KID}]}


def mint(settings: Settings, user_id: str, ttl_seconds: int = 3600) -> str:
    """A token for `user_id`, shaped like one from Better Auth's JWT plugin."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "email": f"{user_id}@example.com",
        "name": user_id,
        "iat": now,
        "exp": now + ttl_seconds,
        "iss": settings.jwt_issuer or DEV_ISSUER,
        "aud": settings.jwt_audience or DEV_AUDIENCE,
    }
    return jwt.encode(
        claims, _private_key(settings), algorithm="EdDSA", headers={"kid": DEV_KID}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a development token.")
    parser.add_argument("user_id")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    args = parser.parse_args()
    print(mint(Settings.from_env(), args.user_id, args.ttl))


if __name__ == "__main__":
    main()
