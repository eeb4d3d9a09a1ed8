"""The statements of the task operations: one per operation, each one round
trip.

Each statement is filtered by the caller's user_id, uses RETURNING instead
of a read after the write, and folds the checks (does the task exist, does
its version match) into itself. Another user's task is indistinguishable
from a missing one: neither returns a row.

They are built with SQLAlchemy Core from the tables and compiled once, at
import. They return columns, the Task's fields first, and the service writes
the JSON (impl/tasks/bodies.py): PostgreSQL only finds the rows.
"""

from collections.abc import Callable
from functools import cache
from typing import Any, TypedDict, TypeVar
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Delete,
    Integer,
    Select,
    Update,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from generated.models import TaskCreate, TaskPatch, TaskUpdate
from impl import metrics
from impl.db.statements import SqlOperation, Statement, compile_statement
from impl.problems import TaskQuotaExceeded
from impl.tasks.columns import CREATED, REPLACED, RETURNED
from impl.tasks.tables import tasks, users

# Each statement's parameters, as the handlers pass them: mypy checks every
# call, and compile_statement checks every bind name against them. A body's
# fields travel as one dict, `new`, that fills the binds `new_<field>`.
# Bind parameters are named unlike columns: SQLAlchemy reserves column names
# for the VALUES and SET clauses.


class OwnerParams(TypedDict):
    owner: str


class OwnedParams(OwnerParams):
    task: UUID


class CreateParams(TypedDict):
    owner: str
    new: dict[str, Any]
    max_tasks: int


class WriteParams(OwnedParams):
    versions: list[int]
    """The versions If-Match accepts; only the conditional statement reads it."""


class ReplaceParams(WriteParams):
    new: dict[str, Any]
    """The fields written: every one of TaskUpdate, or a merge patch's."""


OWNER = bindparam("owner", type_=tasks.c.user_id.type)
OWNED = (tasks.c.user_id == OWNER, tasks.c.id == bindparam("task"))


def new_values(fields: tuple[str, ...]) -> dict[str, Any]:
    """A bind parameter per writable field, filled from the `new` dict."""
    return {
        field: bindparam(f"new_{field}", type_=tasks.c[field].type) for field in fields
    }


def new(body: TaskCreate | TaskUpdate | TaskPatch) -> dict[str, Any]:
    # Python mode: nested objects become dicts (for JSONB), enums and dates
    # stay what asyncpg encodes. A merge patch's absent members are unset.
    return body.model_dump(exclude_unset=isinstance(body, TaskPatch))


def answered(source: ReadOnlyColumnCollection[str, Any]) -> list[Any]:
    """What a statement of one task returns: the Task's fields, in order
    (its body; the version is its ETag, the id a new one's Location)."""
    return [source[column.name] for column in RETURNED]


WriteParamsT = TypeVar("WriteParamsT", bound=WriteParams)

MAX_TASKS: BindParameter[int] = bindparam("max_tasks")


def counted_user(source: Any = None) -> Any:
    """The user's row, created by the first write, its task count raised by
    one unless that would pass MAX_TASKS_PER_USER: the user's id when there
    is room, no row when there is none. The row lock the upsert takes makes
    concurrent creates of one user count one after another, on every
    instance; `source` replaces VALUES when a create may write nothing."""
    upsert = (
        pg_insert(users).values(id=OWNER, task_count=1)
        if source is None
        else pg_insert(users).from_select(["id", "task_count"], source)
    )
    return (
        upsert.on_conflict_do_update(
            index_elements=[users.c.id],
            set_={"task_count": users.c.task_count + 1},
            where=users.c.task_count < MAX_TASKS,
        )
        .returning(users.c.id)
        .cte("counted")
    )


def _create() -> Statement[CreateParams]:
    """The task, inserted only where `counted` made room: one statement, no
    row when the user is at the quota. Not idempotent: a retry could create
    the task twice."""
    counted = counted_user()
    new = new_values(CREATED)
    return compile_statement(
        insert(tasks)
        .from_select(["user_id", *new], select(counted.c.id, *new.values()))
        .returning(*answered(tasks.c)),
        CreateParams,
        idempotent=False,
        operation="INSERT",
        target="task",
    )


CREATE = _create()


FOUND = "found"
"""The label of the task's id in a conditional write's answer."""


GET = compile_statement(
    select(*answered(tasks.c)).where(*OWNED),
    OwnedParams,
    idempotent=True,
    operation="SELECT",
    target="task",
)


Write = Callable[..., Update | Delete | Select[Any]]
"""A write of one task, given any further conditions on the task's row."""


def _conditional(
    write: Write, params: type[WriteParamsT], operation: SqlOperation
) -> Statement[WriteParamsT]:
    """The write under If-Match, and the lookup that tells 404 from 412.

    Replaying a conditional write that did commit answers 412: safe.
    """
    versions = bindparam("versions", type_=ARRAY(Integer))
    written = write(tasks.c.version == any_(versions)).cte("written")
    # The task's id if it exists: with no written row, 412 rather than 404.
    # It comes last, after the task's fields (see impl/tasks/bodies.py).
    target = select(tasks.c.id.label(FOUND)).where(*OWNED).cte("target")
    return compile_statement(
        select(*written.c, target.c[FOUND]).select_from(
            target.outerjoin(written, true())
        ),
        params,
        idempotent=True,
        operation=operation,
        target="task if version matches",
    )


def _writes(
    write: Write, params: type[WriteParamsT], operation: SqlOperation
) -> tuple[Statement[WriteParamsT], Statement[WriteParamsT]]:
    """The write as it is, and under If-Match (see `_conditional`)."""
    plain = compile_statement(
        write(), params, idempotent=True, operation=operation, target="task"
    )
    return plain, _conditional(write, params, operation)


def _update(fields: tuple[str, ...]) -> Write:
    """A write of these fields, a new version and the time of the change."""
    return lambda *conditions: (
        update(tasks)
        .where(*OWNED, *conditions)
        .values(
            **new_values(fields),
            version=tasks.c.version + 1,
            updated_at=func.now(),
        )
        .returning(*answered(tasks.c))
    )


@cache
def update_statements(
    fields: frozenset[str],
) -> tuple[Statement[ReplaceParams], Statement[ReplaceParams]]:
    """A write of these fields: every one of TaskUpdate's for a replacement,
    the members a merge patch names for a patch; each set compiled once."""
    return _writes(_update(tuple(sorted(fields))), ReplaceParams, "UPDATE")


# A replacement's statements are compiled at import, as every fixed one is.
update_statements(frozenset(REPLACED))


def _delete(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The task deleted, and its user's task count lowered in the same
    statement; the deleted task's id, or no row."""
    deleted = (
        delete(tasks).where(*OWNED, *conditions).returning(tasks.c.id).cte("deleted")
    )
    uncounted = (
        update(users)
        # By the owner's id, not a join: one index probe, whatever the plan.
        .where(users.c.id == OWNER, exists(deleted.select()))
        .values(task_count=users.c.task_count - 1)
        .returning(users.c.id)
        .cte("uncounted")
    )
    return select(deleted.c.id).add_cte(uncounted)


DELETE, DELETE_IF_MATCH = _writes(_delete, WriteParams, "DELETE")


def over_quota(max_tasks: int) -> TaskQuotaExceeded:
    """The refusal of a write that found no room under the quota, counted."""
    metrics.QUOTA_REFUSALS.inc()
    return TaskQuotaExceeded(max_tasks)
