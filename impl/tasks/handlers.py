"""The task operations' handlers, one method per operationId.

Each handler runs one statement, from the room of its feature
(statements.py, listing.py, tags.py, bulk.py): one database round trip. The
exceptions are writes of recurring tasks, in one transaction
(writes.py, `update_task`): a completion with its next occurrence, and a patch of the
rule's fields with the check of the rule it leaves
(impl/tasks/recurrence/completion.py); and an idempotent create whose key
has expired but not yet been purged (impl/tasks/idempotency.py).
PostgreSQL finds the rows; the handler writes the task's or the page's JSON
from them (impl/tasks/bodies.py), with the version as the ETag and the id
in a new task's Location.
"""

import hashlib
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import orjson
from pydantic import AwareDatetime

from generated import routes
from generated.facts import CREATE_TASK_LOCATION, IDEMPOTENCY_KEY_LIFETIME
from generated.models import (
    ClearedTasks,
    Priority,
    SyncPage,
    TagList,
    Task,
    TaskCreate,
    TaskList,
    TaskPatch,
    TaskSort,
    TaskUpdate,
    TimeZone,
)
from generated.routes import (
    ClearCompletedTasksHeaders,
    CreateTaskHeaders,
    GetTaskHeaders,
    ListTagsHeaders,
    ListTasksHeaders,
    PatchTaskHeaders,
    SyncTasksHeaders,
    UpdateTaskHeaders,
)
from impl.contexts import PublicContext, RequestContext
from impl.db.statements import Record
from impl.problems import (
    IdempotencyKeyReused,
    NotFound,
)
from impl.tasks import bodies, idempotency, pagination, recurrence, writes
from impl.tasks.bulk import CLEAR_COMPLETED
from impl.tasks.columns import sort_columns
from impl.tasks.listing import ListParams, bound, list_statement
from impl.tasks.preconditions import etag, none_match, page_etag
from impl.tasks.statements import (
    CREATE,
    DELETE,
    DELETE_IF_MATCH,
    GET,
    WriteParams,
    new,
    over_quota,
)
from impl.tasks.sync import feed, live
from impl.tasks.tags import TAGS, tags_json
from runtime.replies import NotModified, Reply
from runtime.streams import EventStream


def _created(user_id: str, row: Record) -> Reply[Task, CreateTaskHeaders]:
    """A new task, with where it lives."""
    location = CREATE_TASK_LOCATION.format(user_id=user_id, task_id=row["id"])
    return Reply(
        bodies.task_json(row), {"ETag": etag(row["version"]), "Location": location}
    )


class TaskHandlers(routes.Handlers[RequestContext, PublicContext]):
    """The task operations of openapi.yaml, one method per operationId.

    Subclassing the generated protocol makes mypy check every method's
    signature against the contract's at the method itself; build_routes
    checks the same at startup.
    """

    def __init__(
        self, *, max_tasks_per_user: int, sync_retention: timedelta, live: live.Live
    ) -> None:
        self.max_tasks = max_tasks_per_user
        self.sync_retention = sync_retention
        self.live = live

    async def list_tasks(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        limit: int,
        cursor: str | None,
        completed: bool | None,
        sort: list[TaskSort],
        due_before: AwareDatetime | None,
        due_after: AwareDatetime | None,
        due_on: date | None,
        zone: TimeZone,
        overdue: bool | None,
        priority: list[Priority] | None,
        tag: list[str] | None,
        q: str | None,
        if_none_match: str | None,
    ) -> Reply[TaskList, ListTasksHeaders]:
        # Each filter of listing.FILTERS that is set, and its qualifiers:
        # every one is a parameter of this method by its name (listing.py
        # checks at import that each query parameter but the paging ones
        # has one).
        filters, values = bound(locals())
        keys = sort_columns(sort)
        # A one-key sort's scope is as it was before sorts had several keys,
        # so that a cursor stays valid across that upgrade's rolling restart.
        scope = [user_id, ",".join(key.value for key in sort), values]
        keyset = pagination.Keyset(keys, scope, cursor)
        params: ListParams = {
            "owner": user_id,
            "limit": limit + 1,
            "filter": values,
            "after": keyset.position,
        }
        statement = list_statement(tuple(sort), frozenset(filters), keyset.after)
        rows = await ctx.db.fetch(statement(params))
        body = bodies.page_json(rows[:limit], keyset.next_cursor(rows, limit))
        page = page_etag(body)
        if none_match(if_none_match, page):
            raise NotModified({"ETag": page})
        return Reply(body, {"ETag": page})

    async def create_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        idempotency_key: str | None,
        body: TaskCreate,
    ) -> Reply[Task, CreateTaskHeaders]:
        recurrence.require_occurrence(
            body.recurrence, body.due_date, body.due_at, body.time_zone
        )
        fields = new(body)
        if idempotency_key is None:
            rows = await ctx.db.fetch(
                CREATE({"owner": user_id, "new": fields, "max_tasks": self.max_tasks})
            )
            if not rows:
                raise over_quota(self.max_tasks)
            return _created(user_id, rows[0])
        request_hash = hashlib.sha256(body.model_dump_json().encode()).digest()
        rows = await idempotency.create(
            ctx.db,
            {
                "owner": user_id,
                "new": fields,
                "max_tasks": self.max_tasks,
                "key": idempotency_key,
                "ttl": IDEMPOTENCY_KEY_LIFETIME,
                "request_hash": request_hash,
            },
        )
        if not rows:
            raise over_quota(self.max_tasks)
        [row] = rows
        stored_hash = row["request_hash"]
        if stored_hash is not None and stored_hash != request_hash:
            raise IdempotencyKeyReused
        return _created(user_id, row)

    async def get_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        task_id: UUID,
        if_none_match: str | None,
    ) -> Reply[Task, GetTaskHeaders]:
        rows = await ctx.db.fetch(GET({"owner": user_id, "task": task_id}))
        if not rows:
            raise NotFound()
        current = etag(rows[0]["version"])
        if none_match(if_none_match, current):
            raise NotModified({"ETag": current})
        return writes.reply(rows[0])

    async def update_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        task_id: UUID,
        if_match: str | None,
        body: TaskUpdate,
    ) -> Reply[Task, UpdateTaskHeaders]:
        recurrence.require_occurrence(
            body.recurrence, body.due_date, body.due_at, body.time_zone
        )
        return await writes.update_task(
            ctx, user_id, task_id, if_match, new(body), self.max_tasks, check_rule=False
        )

    async def patch_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        task_id: UUID,
        if_match: str | None,
        body: TaskPatch,
    ) -> Reply[Task, PatchTaskHeaders]:
        fields = new(body)
        check = not recurrence.RULE_FIELDS.isdisjoint(fields)
        return await writes.update_task(
            ctx, user_id, task_id, if_match, fields, self.max_tasks, check_rule=check
        )

    async def delete_task(
        self, ctx: RequestContext, *, user_id: str, task_id: UUID, if_match: str | None
    ) -> None:
        versions = writes.accepted_versions(if_match)
        params: WriteParams = {
            "owner": user_id,
            "task": task_id,
            "versions": versions or [],
        }
        await writes.write(
            ctx, (DELETE, DELETE_IF_MATCH), params, conditional=versions is not None
        )

    async def clear_completed_tasks(
        self, ctx: RequestContext, *, user_id: str, completed: bool
    ) -> Reply[ClearedTasks, ClearCompletedTasksHeaders]:
        [row] = await ctx.db.fetch(CLEAR_COMPLETED({"owner": user_id}))
        return Reply(orjson.dumps({"deleted": row["deleted"]}), {})

    async def sync_tasks(
        self, ctx: RequestContext, *, user_id: str, token: str | None, limit: int
    ) -> Reply[SyncPage, SyncTasksHeaders]:
        page = await feed.page(
            ctx.db, user_id, token, limit, datetime.now(UTC), self.sync_retention
        )
        return Reply(page.body, {})

    async def stream_events(
        self, ctx: RequestContext, *, user_id: str, last_event_id: str | None
    ) -> EventStream:
        return live.stream(ctx, self.live, user_id, last_event_id)

    async def list_tags(
        self, ctx: RequestContext, *, user_id: str
    ) -> Reply[TagList, ListTagsHeaders]:
        rows = await ctx.db.fetch(TAGS({"owner": user_id}))
        return Reply(tags_json(rows), {})
