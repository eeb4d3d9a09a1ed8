"""A task's writes under its preconditions: the versions If-Match accepts,
an UPDATE or DELETE that tells 404 from 412, and updateTask's and
patchTask's write, in one transaction with what a recurring task's
completion or a changed rule adds (impl/tasks/recurrence/completion.py)."""

from typing import Any
from uuid import UUID

from generated.models import Task
from generated.routes import GetTaskHeaders
from impl.contexts import RequestContext
from impl.db.statements import Record, Statement
from impl.problems import NotFound, PreconditionFailed
from impl.tasks import bodies
from impl.tasks.preconditions import etag, parse_if_match
from impl.tasks.recurrence import completion
from impl.tasks.statements import (
    ReplaceParams,
    WriteParamsT,
    update_statements,
)
from runtime.replies import Reply


def reply(row: Record) -> Reply[Task, GetTaskHeaders]:
    """A task's body, and its version as the ETag."""
    return Reply(bodies.task_json(row), {"ETag": etag(row["version"])})


def accepted_versions(if_match: str | None) -> list[int] | None:
    """The versions If-Match accepts, or None when any version will do."""
    condition = parse_if_match(if_match)
    if condition is None or condition.any_version:
        return None
    return sorted(condition.versions)


async def write(
    ctx: RequestContext,
    statements: tuple[Statement[WriteParamsT], Statement[WriteParamsT]],
    params: WriteParamsT,
    conditional: bool,
) -> Record:
    """Run an UPDATE or DELETE ... RETURNING of one task: 404, 412 or its row."""
    plain, under_if_match = statements
    rows = await ctx.db.fetch((under_if_match if conditional else plain)(params))
    if not rows:
        raise NotFound()
    if rows[0]["id"] is None:
        raise PreconditionFailed()
    return rows[0]


async def update_task(
    ctx: RequestContext,
    user_id: str,
    task_id: UUID,
    if_match: str | None,
    new: dict[str, Any],
    max_tasks: int,
    *,
    check_rule: bool,
) -> Reply[Task, GetTaskHeaders]:
    """Write the fields in `new` (updateTask's and patchTask's one statement).
    In one transaction instead: with `check_rule`, the write and the check
    of the rule on the task it makes; with the next occurrence of a
    recurring task it completes."""
    versions = accepted_versions(if_match)
    params: ReplaceParams = {
        "owner": user_id,
        "task": task_id,
        "new": new,
        "versions": versions or [],
    }
    statements = update_statements(frozenset(new))
    conditional = versions is not None
    if not (check_rule or completion.may_complete(new)):
        return reply(await write(ctx, statements, params, conditional))
    async with ctx.db.transaction():
        row = await write(ctx, statements, params, conditional)
        if check_rule:
            completion.check_rule(row)
        return reply(await completion.completed(ctx.db, user_id, row, max_tasks))
