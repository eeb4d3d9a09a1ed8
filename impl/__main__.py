"""`python -m impl`: serve the API (`make run`, `make serve`).

With --dev (what `make run` passes), a machine with no auth configuration
trusts a local development key, and the banner prints a curl command that
carries a token for it. Without DATABASE_URL the embedded PostgreSQL starts.
"""

import argparse
import atexit
import logging
import logging.config
import os
import shutil
import signal
import socket
import sys
import tempfile
from urllib.parse import parse_qs, urlsplit

import uvicorn

from impl.auth import dev_keys
from impl.auth.verifier import CallerBindingError, build_verifier
from impl.db import embedded
from impl.db.statements import StatementParameterError
from impl.http.logs import log_config
from impl.metrics import MULTIPROCESS_DIR_VARIABLE
from impl.settings import Settings, SettingsError
from impl.tasks.binding import ColumnBindingError
from runtime.binding import HandlerBindingError
from runtime.routes import SecurityBindingError

logger = logging.getLogger("impl")
BINDING_ERRORS = (
    CallerBindingError,
    ColumnBindingError,
    HandlerBindingError,
    SecurityBindingError,
    StatementParameterError,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dev", action="store_true", help="trust the development key if no auth is set"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--check",
        action="store_true",
        help="bind the contract to the tables, statements and handlers, then exit",
    )
    args = parser.parse_args()
    if args.check:
        try:
            check_binding()
        except BINDING_ERRORS as error:
            sys.exit(f"the service would refuse to start: {one_line(error)}")
        print(
            "openapi.yaml, the tables, the statements, the handlers and the "
            "security schemes agree"
        )
        return
    # Once, here, before uvicorn forks workers that would each die of it and
    # be restarted forever.
    try:
        settings = Settings.for_development() if args.dev else Settings.from_env()
        if not args.dev:
            check_production(settings)
        verifier = build_verifier(settings)
        check_binding()
        check_address(settings)
    except (SettingsError, *BINDING_ERRORS) as error:
        sys.exit(f"refusing to start: {one_line(error)}")
    logging_config = log_config(settings.log_level, settings.log_json)
    logging.config.dictConfig(logging_config)
    # Started here, once; every worker joins the same server (impl.app).
    database_url = settings.database_url or embedded.start(settings.data_dir)
    logger.info("database: %s", describe_database(database_url))
    logger.info("auth: %s", verifier.describe())
    logger.info(
        "CORS: %s",
        f"allowing {', '.join(settings.cors_origins)}"
        if settings.cors_origins
        else "off (set CORS_ORIGINS for a browser frontend on another origin)",
    )
    if settings.auth_dev_mode:
        print_banner(settings)
    # uvicorn shuts down gracefully on SIGTERM, then raises it again; exiting
    # through Python (not the default handler) lets atexit stop the embedded
    # PostgreSQL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if args.workers > 1:
        share_metrics_between_workers()
    uvicorn.run(
        # Each worker reads the same settings the same way: nothing is
        # handed over through the environment.
        "impl.app:create_dev_app" if args.dev else "impl.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_config=logging_config,
        # impl.http.logs writes the access line, with the request id.
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )


def share_metrics_between_workers() -> None:
    """Give the workers one fresh PROMETHEUS_MULTIPROC_DIR (impl.metrics),
    removed at exit, unless the operator named one (and keeps it clean)."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        return
    directory = tempfile.mkdtemp(prefix="todo-api-metrics-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    # Spawned, the workers import prometheus_client afresh, and read it then.
    os.environ[MULTIPROCESS_DIR_VARIABLE] = directory


def check_production(settings: Settings) -> None:
    """SettingsError unless the production configuration is complete (the
    verifier's, checked by building it, apart)."""
    if not settings.database_url:
        raise SettingsError(
            "DATABASE_URL is not set; production must name its database "
            "(`make run` starts an embedded one for development)"
        )


def check_address(settings: Settings) -> None:
    """SettingsError if HOST:PORT cannot be bound, before the embedded
    PostgreSQL starts and before the banner offers a server that is not
    there. Bound as uvicorn binds it, then let go for uvicorn."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as error:
            raise SettingsError(
                f"cannot listen on {settings.host}:{settings.port} ({error.strerror}):"
                " stop what serves there, or set PORT (or HOST) to another"
            ) from None


def check_binding() -> None:
    """Bind the contract to the tables, statements, handlers and security
    schemes, as every worker will: whatever does not fit stops the service
    here. Imported here, so that what importing the app raises (a column
    or a bind parameter the contract's schemas lack) is caught as such."""
    from impl.app import bind_routes

    bind_routes(Settings())


def one_line(error: Exception) -> str:
    head, *rest = (line.strip() for line in str(error).splitlines() if line.strip())
    return f"{head} {'; '.join(rest)}" if rest else head


def describe_database(url: str) -> str:
    """Where the database is, never its password."""
    parts = urlsplit(url)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    where = parts.hostname or socket_dir or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.path.lstrip('/') or 'postgres'} on {where}{port}"


def print_banner(settings: Settings) -> None:
    base = f"http://{settings.host}:{settings.port}"
    token = dev_keys.mint(settings, "demo-user")
    print(
        f"\nTodo API on {base}  (docs: {base}/docs, contract: {base}/openapi.yaml)\n"
        "Try it with a development token for user demo-user, valid 1 hour"
        " (`make token USER_ID=<id>` mints others):\n\n"
        f"  TOKEN={token}\n"
        f"  curl -s -X POST {base}/api/demo-user/tasks"
        ' -H "Authorization: Bearer $TOKEN"'
        " -H 'Content-Type: application/json' -d '{\"title\": \"Buy milk\"}'\n"
        f'  curl -s {base}/api/demo-user/tasks -H "Authorization: Bearer $TOKEN"\n',
        flush=True,
    )


if __name__ == "__main__":
    main()
