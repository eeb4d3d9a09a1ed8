"""The problems the service answers with: the vocabulary every room shares.

A problem is named as the contract's examples name it (`ProblemName`,
generated), and takes its status, `type` and title from that example: the
contract states them once, and a name it lacks fails mypy. How an exception
becomes an `application/problem+json` response is impl/http/errors.py's.
"""

from collections.abc import Callable, Mapping, Sequence

from fastapi import HTTPException

from generated.facts import PROBLEMS, ProblemName

__all__ = [
    "Explainers",
    "Forbidden",
    "IdempotencyKeyInProgress",
    "IdempotencyKeyReused",
    "InvalidCursor",
    "NotFound",
    "PreconditionFailed",
    "Problem",
    "ProblemName",
    "ShuttingDown",
    "TaskQuotaExceeded",
    "Unauthorized",
    "retry_after",
    "shown",
]

RETRY_AFTER_SECONDS = "1"


def retry_after() -> dict[str, str]:
    """The header of an answer worth retrying soon (503, a 409 in progress)."""
    return {"Retry-After": RETRY_AFTER_SECONDS}


class Problem(HTTPException):
    """A named problem, with the detail and headers the client should see.

    It is FastAPI's HTTPException, as FastAPI code expects of an error
    answer: a dependency that catches `HTTPException` sees its
    `status_code`. Its own exception handler (impl/http/errors.py) answers
    it, unless the app registers one for its class."""

    def __init__(
        self,
        name: ProblemName,
        detail: str,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(PROBLEMS[name].status, detail, dict(headers or {}))
        self.name = name
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors)
        """The offending values, as a 422's `errors` lists them."""

    @property
    def status(self) -> int:
        return self.status_code


class Unauthorized(Problem):
    """401 with the RFC 6750 challenge; no error code when no token was sent."""

    def __init__(self, name: ProblemName, detail: str) -> None:
        challenge = (
            'Bearer realm="todo-api"'
            if name is ProblemName.TOKEN_MISSING
            else f'Bearer error="invalid_token", error_description="{detail}"'
        )
        super().__init__(name, detail, {"WWW-Authenticate": challenge})


class Forbidden(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.OTHER_USERS_TASKS,
            "The token does not grant access to this user's tasks.",
        )


class NotFound(Problem):
    def __init__(self) -> None:
        super().__init__(ProblemName.TASK_NOT_FOUND, "Task not found.")


class PreconditionFailed(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.VERSION_MISMATCH,
            "The task has changed since that version; fetch it again.",
        )


class InvalidCursor(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.CURSOR_INVALID,
            "The cursor is not one this list issued; start from the first page.",
        )


class TaskQuotaExceeded(Problem):
    def __init__(self, max_tasks: int) -> None:
        super().__init__(
            ProblemName.TASK_QUOTA_EXCEEDED,
            f"This user already has {max_tasks} tasks, the most allowed;"
            " delete one first.",
        )


class IdempotencyKeyReused(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.IDEMPOTENCY_KEY_REUSED,
            "This Idempotency-Key was already used with another body.",
        )


class IdempotencyKeyInProgress(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.IDEMPOTENCY_KEY_IN_PROGRESS,
            "A request with this Idempotency-Key is in progress; retry shortly.",
            retry_after(),
        )


class ShuttingDown(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.SHUTTING_DOWN, "The service is shutting down.", retry_after()
        )


Explainers = Mapping[str, Callable[[str], str]]
"""How a room says, in one sentence, what is wrong with a value that its
field's schema refused (a time zone, a rule), by the field's name: the
schema's own words (600 zone names, a regular expression) are not for
people. impl/http/errors.py uses it for a 422's `errors`."""

SHOWN_CHARACTERS = 40


def shown(value: str) -> str:
    """A refused value, quoted, when it is short and printable ASCII: an
    error may repeat a typo back, never a long or binary input."""
    if len(value) <= SHOWN_CHARACTERS and value.isascii() and value.isprintable():
        return f"'{value}'"
    return "the value given"


def body_errors(detail: str, *fields: str) -> list[dict[str, str]]:
    """The `errors` of a 422 that names these body fields."""
    return [
        {"in": "body", "pointer": f"/{field}", "detail": detail} for field in fields
    ]
