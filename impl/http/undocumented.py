"""A problem whose status its operation does not document, caught.

The edge of the operations (impl/http/operations.py) checks every error
answer against the statuses the operation's entry in OPERATIONS documents;
this decides what happens to one that is not among them.
"""

import logging

from impl.http.errors import problem_answer
from runtime.operations import Operation
from runtime.replies import Answer

logger = logging.getLogger(__name__)


class UndocumentedStatuses:
    """What happens to a problem whose status its operation does not document.

    Strict (STRICT_CONTRACT, the test suite's setting), it is answered as
    500, so that every test and schemathesis' not_a_server_error check fail
    on it. Otherwise the client gets the problem as it is, and the log says
    so once per operation and status, without costing the hot path anything:
    the check runs only on an answer that is already an error.
    """

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self._logged: set[tuple[str, int]] = set()

    def answered(
        self, operation: Operation, answer: Answer, error: Exception
    ) -> Answer:
        if answer.status == 500:
            # An unhandled error, already logged as one.
            return answer
        seen = (operation.operation_id, answer.status)
        if seen not in self._logged:
            self._logged.add(seen)
            logger.error(
                "%s answered %d, a status openapi.yaml does not document for it"
                " (%r): document it among the operation's responses, or raise"
                " another problem",
                operation.operation_id,
                answer.status,
                error,
            )
        if self.strict:
            return problem_answer(500, "Internal Server Error")
        return answer
