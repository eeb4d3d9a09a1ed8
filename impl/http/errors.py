"""Every error becomes an RFC 9457 problem, here and nowhere else.

Handlers and contexts raise a `Problem` (impl/problems.py), or let the
routes, FastAPI, Starlette and the database raise their own exceptions;
`answer_for` turns each into `application/problem+json`, through the
exception handlers `install` registers with the app: Starlette's exception
middleware looks them up for an operation as for any route, so a handler
the app's user registers for a kind of error (`app.exception_handler`)
takes precedence as it does everywhere. Database errors are mapped by
SQLSTATE.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from generated.facts import PROBLEMS
from generated.models import FieldError
from generated.models import Problem as ProblemBody
from impl.db.database import (
    DRIVER_ERRORS,
    AtCapacity,
    DatabaseUnreachable,
    is_lost_connection,
)
from impl.db.sqlstates import SqlState, SqlStateClass, sqlstate
from impl.http.field_errors import field_errors
from impl.problems import Explainers, Problem, ProblemName, retry_after
from runtime.call import BodyTooLarge
from runtime.replies import Answer

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_MEDIA_TYPE_BYTES = PROBLEM_MEDIA_TYPE.encode()
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


# RFC 9110's names, where Python's http module (before 3.13) still has RFC
# 7231's: the contract's examples use RFC 9110's.
RFC_9110_TITLES = {
    413: "Content Too Large",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def title(status: int) -> str:
    return RFC_9110_TITLES.get(status) or HTTPStatus(status).phrase


def problem_answer(
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
    problem_type: str = "about:blank",
    problem_title: str | None = None,
) -> Answer:
    """The contract's Problem, validated by its generated model; titled by
    the status where the problem has no title of its own (about:blank)."""
    fields = (
        {"errors": [FieldError.model_validate(e) for e in errors]} if errors else {}
    )
    body = ProblemBody(
        type=problem_type,
        title=problem_title or title(status),
        status=status,
        detail=detail,
        **fields,
    )
    raw_headers = [(b"content-type", PROBLEM_MEDIA_TYPE_BYTES)]
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return Answer(
        status,
        raw_headers,
        body.model_dump_json(by_alias=True, exclude_none=True).encode(),
    )


def named_answer(
    name: ProblemName,
    detail: str,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
) -> Answer:
    """The problem of this name, with its status and type from the contract."""
    status, problem_type, problem_title = PROBLEMS[name]
    return problem_answer(status, detail, headers, errors, problem_type, problem_title)


def _http_exception(exc: HTTPException, allowed: Sequence[str] = ()) -> Answer:
    detail = (
        exc.detail
        if isinstance(exc.detail, str)
        else HTTPStatus(exc.status_code).phrase
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route that matched the path.
        headers["Allow"] = ", ".join(allowed)
    return problem_answer(exc.status_code, detail, headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path (RFC 9110 15.5.6)."""
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


MALFORMED_HEADERS = {
    "If-Match": (
        ProblemName.PRECONDITION_MALFORMED,
        'If-Match must be * or one or more ETag values in double quotes, such as "3".',
    ),
    "If-None-Match": (
        ProblemName.PRECONDITION_MALFORMED,
        "If-None-Match must be * or one or more ETag values in double quotes,"
        ' such as "3".',
    ),
}
"""Request headers whose form HTTP defines: one that breaks it is a
malformed request (400), not an invalid value (422)."""


def _validation_error(exc: RequestValidationError, explainers: Explainers) -> Answer:
    malformed = [e for e in exc.errors() if e["type"] == "json_invalid"]
    if malformed:
        reason = malformed[0].get("ctx", {}).get("error", "")
        return named_answer(
            ProblemName.BODY_UNREADABLE, f"The request body is not valid JSON: {reason}"
        )
    for e in exc.errors():
        if e["loc"][:1] == ("header",) and str(e["loc"][1]) in MALFORMED_HEADERS:
            return named_answer(*MALFORMED_HEADERS[str(e["loc"][1])])
    errors = field_errors(exc, explainers)
    plural = "field" if len(errors) == 1 else "fields"
    return named_answer(
        ProblemName.VALIDATION_FAILED,
        f"The request has {len(errors)} invalid {plural}.",
        errors=errors,
    )


# Errors that come from how the pooler or the server is set up, not from the
# request: a prepared statement the pooler sent to another server connection
# (26000, 42P05), a pooler's own protocol error (08P01).
POOLER_HINT = (
    "behind a transaction pooler that cannot keep prepared statements, "
    "set DB_STATEMENT_CACHE_SIZE=0"
)
CONFIGURATION_ERRORS: dict[str, str] = {
    SqlState.INVALID_SQL_STATEMENT_NAME: (
        f"a prepared statement is missing on the server; {POOLER_HINT}"
    ),
    SqlState.DUPLICATE_PREPARED_STATEMENT: (
        f"a prepared statement name is taken on the server; {POOLER_HINT}"
    ),
    SqlState.PROTOCOL_VIOLATION: "the pooler or the server broke the wire protocol",
}
CLIENT_VALUE_CLASSES = {
    SqlStateClass.DATA_EXCEPTION,
    SqlStateClass.INTEGRITY_CONSTRAINT_VIOLATION,
}
UNAVAILABLE_CLASSES = {
    SqlStateClass.CONNECTION_EXCEPTION,
    SqlStateClass.INSUFFICIENT_RESOURCES,
    SqlStateClass.OPERATOR_INTERVENTION,
}


def database_error_status(exc: BaseException) -> int:
    """The status a database error deserves, by SQLSTATE class."""
    state = sqlstate(exc)
    if state[:2] in CLIENT_VALUE_CLASSES:
        # Data exceptions (22021: NUL in text, 22001: too long, ...) and
        # constraint violations are the client's values, never a server fault.
        return 422
    if state in CONFIGURATION_ERRORS:
        return 503
    if is_lost_connection(exc) or state[:2] in UNAVAILABLE_CLASSES:
        # Connection lost, too many connections, server shutting down.
        return 503
    return 500


ConstraintProblems = Mapping[str, Callable[[], Problem]]
"""The problem each CHECK constraint of the tables answers for, by the
constraint's name: the rules across a task's fields, which the table holds
for every write (a merge patch's too). Each feature's room lists its own;
the app hands them all to `install`."""


def _database_error(exc: Exception, constraints: ConstraintProblems) -> Answer:
    status = database_error_status(exc)
    rule = constraints.get(getattr(exc, "constraint_name", None) or "")
    if status == 422 and rule is not None:
        return answer_for(rule(), constraints, {})
    if status == 422:
        logger.info("database rejected a value (%s): %s", sqlstate(exc), exc)
        return named_answer(
            ProblemName.VALIDATION_FAILED,
            "The database rejected a value of the request.",
        )
    if status == 503:
        state = sqlstate(exc)
        if state in CONFIGURATION_ERRORS:
            logger.error(
                "database configuration error %s: %s (%s)",
                state,
                CONFIGURATION_ERRORS[state],
                exc,
            )
        else:
            logger.warning("database unavailable: %r", exc)
        return database_unavailable()
    logger.error("database error %s", sqlstate(exc), exc_info=exc)
    return problem_answer(500, "Internal Server Error")


def database_unavailable() -> Answer:
    return named_answer(
        ProblemName.DATABASE_UNAVAILABLE, "The database is unavailable.", retry_after()
    )


def answer_for(
    exc: Exception,
    constraints: ConstraintProblems,
    explainers: Explainers,
    allowed: Sequence[str] = (),
) -> Answer:
    """The problem an exception raised while serving a request deserves;
    `allowed` is what a 405 names in Allow."""
    if isinstance(exc, Problem):
        return named_answer(exc.name, exc.detail, exc.headers, exc.errors)
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc, explainers)
    if isinstance(exc, BodyTooLarge):
        return named_answer(ProblemName.BODY_TOO_LARGE, str(exc))
    if isinstance(exc, HTTPException):
        return _http_exception(exc, allowed)
    if isinstance(exc, DRIVER_ERRORS):
        return _database_error(exc, constraints)
    if isinstance(exc, DatabaseUnreachable):
        # Connecting fails below the driver (refused, unreachable, timed
        # out), a statement outlives DB_COMMAND_TIMEOUT, or the pool has no
        # connection to lend in time; any other OSError is a fault of ours.
        logger.warning("database unreachable: %r", exc)
        return database_unavailable()
    if isinstance(exc, AtCapacity):
        return named_answer(
            ProblemName.AT_CAPACITY, "The service is at capacity.", retry_after()
        )
    logger.error("unhandled error", exc_info=exc)
    return problem_answer(500, "Internal Server Error")


def response_of(answer: Answer) -> Response:
    response = Response(answer.body, answer.status)
    response.raw_headers.extend(answer.headers)
    return response


def install(
    app: FastAPI, constraints: ConstraintProblems, explainers: Explainers
) -> None:
    """Answer every kind of error as a problem, `constraints` naming the
    problem of each CHECK constraint, `explainers` saying what is wrong
    with a field's refused value."""

    async def on_error(request: Request, exc: Exception) -> Response:
        allowed = (
            allowed_methods(request)
            if isinstance(exc, HTTPException) and exc.status_code == 405
            else ()
        )
        return response_of(answer_for(exc, constraints, explainers, allowed))

    for kind in (
        Problem,
        HTTPException,
        RequestValidationError,
        BodyTooLarge,
        *DRIVER_ERRORS,
        DatabaseUnreachable,
        AtCapacity,
        Exception,
    ):
        app.add_exception_handler(kind, on_error)
