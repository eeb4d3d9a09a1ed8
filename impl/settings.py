"""Settings, read once from the environment and `.env` (see .env.example)."""

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A variable is missing, malformed or contradicts another."""


def _text(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _int(name: str, default: int) -> int:
    raw = _text(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = _text(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = _text(name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _list(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(
        item.strip() for item in _text(name, default).split(",") if item.strip()
    )


@dataclass(frozen=True, kw_only=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = PROJECT_ROOT / ".data"
    log_level: str = "info"
    log_json: bool = False
    access_log: bool = True

    database_url: str = ""
    """Empty: start the embedded PostgreSQL in `data_dir`."""
    migrate_on_startup: bool = True
    db_pool_size: int = 20
    db_pool_timeout: float = 1.5
    db_connect_timeout: float = 1.5
    db_command_timeout: float = 10.0
    db_pool_recycle: float = 240.0
    db_statement_cache_size: int = 100

    better_auth_url: str = ""
    jwks_url: str = ""
    jwks_file: str = ""
    jwks_json: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_algorithms: tuple[str, ...] = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
    jwt_secret: str = ""
    jwt_leeway_seconds: int = 30
    jwks_max_age_seconds: float = 300.0
    jwks_cooldown_seconds: float = 10.0
    auth_dev_mode: bool = False

    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> "Settings":
        """Read the environment, after filling it from `.env` where unset."""
        load_dotenv(PROJECT_ROOT / ".env", override=False)
        better_auth_url = _text("BETTER_AUTH_URL").rstrip("/")
        return cls(
            host=_text("HOST", "127.0.0.1"),
            port=_int("PORT", 8000),
            data_dir=Path(_text("DATA_DIR") or PROJECT_ROOT / ".data"),
            log_level=_text("LOG_LEVEL", "info").lower(),
            log_json=_text("LOG_FORMAT", "text").lower() == "json",
            access_log=_bool("ACCESS_LOG", True),
            database_url=_text("DATABASE_URL"),
            migrate_on_startup=_bool("DB_MIGRATE_ON_STARTUP", True),
            db_pool_size=_int("DB_POOL_SIZE", 20),
            db_pool_timeout=_float("DB_POOL_TIMEOUT", 1.5),
            db_connect_timeout=_float("DB_CONNECT_TIMEOUT", 1.5),
            db_command_timeout=_float("DB_COMMAND_TIMEOUT", 10.0),
            db_pool_recycle=_float("DB_POOL_RECYCLE", 240.0),
            db_statement_cache_size=_int("DB_STATEMENT_CACHE_SIZE", 100),
            better_auth_url=better_auth_url,
            jwks_url=_text("JWKS_URL")
            or (f"{better_auth_url}/api/auth/jwks" if better_auth_url else ""),
            jwks_file=_text("JWKS_FILE"),
            jwks_json=_text("JWKS_JSON"),
            jwt_issuer=_text("JWT_ISSUER", better_auth_url),
            jwt_audience=_text("JWT_AUDIENCE", better_auth_url),
            jwt_algorithms=_list("JWT_ALGORITHMS", "EdDSA,ES256,ES512,RS256,PS256"),
            jwt_secret=_text("JWT_SECRET"),
            jwt_leeway_seconds=_int("JWT_LEEWAY_SECONDS", 30),
            jwks_max_age_seconds=_float("JWKS_MAX_AGE_SECONDS", 300.0),
            jwks_cooldown_seconds=_float("JWKS_COOLDOWN_SECONDS", 10.0),
            auth_dev_mode=_bool("AUTH_DEV_MODE", False),
            cors_origins=_list("CORS_ORIGINS"),
        )
