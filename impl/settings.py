"""Settings: each one's type, default and variable, stated once, here.

`Settings.from_env()` reads the environment, then `.env` for what the
environment leaves unset (pydantic-settings, through python-dotenv);
`.env.example` documents every variable. `Settings(...)` takes explicit
values only, so a test's settings never depend on the machine's.
A variable is named after its field (`db_pool_size` is DB_POOL_SIZE) unless
its field says otherwise.
"""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import (
    AliasChoices,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CommaSeparated = Annotated[tuple[str, ...], NoDecode]
"""A list written `a,b,c` in its variable."""


class SettingsError(ValueError):
    """A variable is missing, malformed or contradicts another."""


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(entry: str) -> str:
    """A CORS_ORIGINS entry as a browser sends its Origin: scheme://host[:port]
    in lower case, without a default port or a trailing slash; `*` as it is.
    ValueError for anything else, which would silently match no origin."""
    if entry == "*":
        return entry
    parts = urlsplit(entry)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme.lower() not in DEFAULT_PORTS
        or not parts.hostname
        or port == -1
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ValueError(
            f"{entry!r} is not an origin: write scheme://host[:port],"
            " such as http://localhost:3000"
        )
    scheme = parts.scheme.lower()
    shown_port = "" if port in (None, DEFAULT_PORTS[scheme]) else f":{port}"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}{shown_port}"


def _named(variable: str) -> Any:
    """The field's own variable, where its name is not the field's."""
    return AliasChoices(variable, variable.lower())


class Settings(BaseSettings):
    reads_environment: ClassVar[bool] = False
    """Explicit values only; Settings.from_env reads the machine's too."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        extra="ignore",
        populate_by_name=True,
        str_strip_whitespace=True,
        # An empty variable is an unset one, as in the shell idiom VAR= cmd.
        env_ignore_empty=True,
    )

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = PROJECT_ROOT / ".data"
    log_level: str = "info"
    log_json: bool = Field(False, validation_alias=_named("LOG_FORMAT"))
    """LOG_FORMAT=json: one JSON object per log line."""
    access_log: bool = True
    shutdown_drain_seconds: float = Field(2.0, ge=0)
    """After SIGTERM, how long /ready answers 503 before the server stops:
    by default longer than a balancer checking every 500 ms needs to stop
    sending, so that a rolling restart loses nothing without any setting."""

    database_url: str = ""
    """Empty: start the embedded PostgreSQL in `data_dir`."""
    migrate_on_startup: bool = Field(
        True, validation_alias=_named("DB_MIGRATE_ON_STARTUP")
    )
    db_pool_size: int = 20
    db_pool_timeout: float = 1.5
    db_max_waiting: int = Field(1000, gt=0)
    db_connections_per_user: int = Field(4, gt=0)
    """How many of one user's requests run at once in a worker (and so how
    many of the pool's connections they hold): a user's burst waits its own
    turn, not everyone's."""
    db_connect_timeout: float = 1.5
    db_command_timeout: float = 10.0
    db_pool_recycle: float = 240.0
    db_statement_cache_size: int = 100

    better_auth_url: str = ""
    jwks_url: str = ""
    """Default: Better Auth's JWKS under BETTER_AUTH_URL."""
    jwks_file: str = ""
    jwks_json: str = ""
    jwt_issuer: str = ""
    """Default: BETTER_AUTH_URL."""
    jwt_audience: str = ""
    """Default: BETTER_AUTH_URL."""
    jwt_algorithms: CommaSeparated = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
    jwt_secret: str = ""
    jwt_leeway_seconds: int = 30
    jwks_max_age_seconds: float = 300.0
    jwks_cooldown_seconds: float = 10.0
    auth_dev_mode: bool = False

    cors_origins: CommaSeparated = ()

    rate_limit: str = "600/minute"
    """Per user, in the `limits` library's notation (`600/minute`, several
    separated by `;`); `off` turns it off."""
    redis_url: str = ""
    """Shares the rate limit across workers and instances; empty: each
    worker limits on its own."""
    max_tasks_per_user: int = Field(1000, gt=0)
    database_direct_url: str = ""
    """A direct URL of the database, not a transaction pooler's, for what
    needs a session: the live events' LISTEN and the reminders' checker
    lock; empty: DATABASE_URL."""
    sync_retention: timedelta = Field(timedelta(days=30), gt=timedelta(0))
    """How long deleted tasks' ids are kept for syncTasks; an older sync
    token gets 410. An ISO 8601 duration (`P30D`)."""

    metrics_enabled: bool = True
    """GET /metrics, and the recording behind it."""
    strict_contract: bool = False
    """Answer 500 for an answer whose status its operation does not
    document, or whose body its status's schema refuses (the test suite
    runs so); false: answer it, and log an undocumented status once."""
    otel_exporter_otlp_endpoint: str = ""
    """The OTLP/HTTP base URL traces go to (`/v1/traces` is added); empty:
    no tracing at all."""
    otel_exporter_otlp_protocol: Literal["http/protobuf"] = "http/protobuf"
    otel_service_name: str = "todo-api"
    otel_traces_sampler: Literal[
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
    ] = "parentbased_always_on"
    otel_traces_sampler_arg: float = Field(1.0, ge=0, le=1)
    """The ratio of the *traceidratio samplers."""

    @field_validator("log_json", mode="before")
    @classmethod
    def _json_format(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() not in {"true", "false"}:
            return value.lower() == "json"
        return value

    @field_validator("jwt_algorithms", "cors_origins", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(origin(entry) for entry in value)

    @field_validator("rate_limit", mode="after")
    @classmethod
    def _limits_notation(cls, value: str) -> str:
        if value.lower() != "off":
            try:
                parse_many(value)
            except ValueError:
                raise ValueError("a limit such as 600/minute, or off") from None
        return value

    @field_validator("log_level", mode="after")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _better_auth_defaults(self) -> Self:
        base = self.better_auth_url = self.better_auth_url.rstrip("/")
        if base:
            self.jwks_url = self.jwks_url or f"{base}/api/auth/jwks"
            self.jwt_issuer = self.jwt_issuer or base
            self.jwt_audience = self.jwt_audience or base
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if cls.reads_environment:
            return (init_settings, env_settings, dotenv_settings)
        return (init_settings,)

    def key_sources(self) -> list[str]:
        """The variables that name a source of signing keys, of those set."""
        return [
            name
            for name, value in (
                ("JWKS_URL/BETTER_AUTH_URL", self.jwks_url),
                ("JWKS_FILE", self.jwks_file),
                ("JWKS_JSON", self.jwks_json),
                ("JWT_SECRET", self.jwt_secret),
            )
            if value
        ]

    @classmethod
    def for_development(cls) -> "Settings":
        """The environment's settings, trusting the development key when they
        name no key source (what `make run` serves)."""
        settings = cls.from_env()
        return settings if settings.key_sources() else cls.from_env(auth_dev_mode=True)

    @classmethod
    def from_env(cls, **explicit: Any) -> "Settings":
        """The environment's settings, then `.env`'s, then the defaults;
        `explicit` values win over all of them. SettingsError names the
        variable whose value is wrong."""
        try:
            return _FromEnvironment(**explicit)
        except ValidationError as error:
            first = error.errors()[0]
            field = str(first["loc"][0])
            variable = _variable(field)
            expected = {
                "value_error": str(first.get("ctx", {}).get("error")),
                "greater_than": f"greater than {first.get('ctx', {}).get('gt')}",
            }.get(first["type"], _expected(field))
            raise SettingsError(
                f"{variable} must be {expected}, got {first['input']!r}"
            ) from None


class _FromEnvironment(Settings):
    reads_environment: ClassVar[bool] = True


def variables() -> dict[str, str]:
    """Every setting's field, and the variable it is read from."""
    return {field: _variable(field) for field in Settings.model_fields}


def _variable(loc: str) -> str:
    """The variable an error's location names: a field's, or an alias."""
    field = Settings.model_fields.get(loc)
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return loc.upper()


EXPECTED: dict[object, str] = {
    int: "an integer",
    float: "a number",
    bool: "true or false",
    timedelta: "an ISO 8601 duration such as P30D",
}


def _expected(loc: str) -> str:
    field = Settings.model_fields.get(loc)
    return EXPECTED.get(field.annotation if field else None, "valid")
