"""The handlers, one per operationId of openapi.yaml.

Each handler costs one database round trip: one SQL statement, filtered by
the caller's user_id, with RETURNING instead of a read after the write, and
with the checks (does the task exist, does its version match) folded into
the same statement. Another user's task is indistinguishable from a missing
one: both are 404.

The statements are built with SQLAlchemy Core from the tables and compiled
once, at import. PostgreSQL writes each task's JSON itself (see
`columns.task_json`), and a list page's as one value: the service sends those
bytes as they are, and decodes only what it acts on (a version for the ETag,
an id for the Location, a cursor's position).
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any, Literal, Required, TypedDict, TypeVar
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Delete,
    Integer,
    LargeBinary,
    Select,
    Update,
    any_,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from generated import routes
from generated.models import (
    Health,
    Status,
    Task,
    TaskCreate,
    TaskList,
    TaskPatch,
    TaskSort,
    TaskUpdate,
)
from generated.routes import (
    CreateTaskHeaders,
    GetTaskHeaders,
    PatchTaskHeaders,
    UpdateTaskHeaders,
)
from impl import facts, metrics
from impl.db.database import Record, Statement, compile_statement
from impl.db.tables import idempotency_keys, tasks, users
from impl.http.contexts import PublicContext, RequestContext
from impl.http.errors import NotFound, Problem, ProblemName, retry_after, sqlstate
from impl.tasks import pagination
from impl.tasks.columns import CREATED, REPLACED, RETURNED, sort_column, task_json
from impl.tasks.housekeeping import IDEMPOTENCY_TTL, TTL
from impl.tasks.preconditions import PreconditionFailed, etag, parse_if_match
from runtime.routes import NoHeaders, Reply

# Each statement's parameters, as the handlers pass them: mypy checks every
# call, and compile_statement checks every bind name against them. A body's
# fields travel as one dict, `new`, that fills the binds `new_<field>`.
# Bind parameters are named unlike columns: SQLAlchemy reserves column names
# for the VALUES and SET clauses.


class NoParams(TypedDict):
    pass


class OwnedParams(TypedDict):
    owner: str
    task: UUID


class CreateParams(TypedDict):
    owner: str
    new: dict[str, Any]
    max_tasks: int


class KeyedCreateParams(CreateParams):
    key: str
    ttl: timedelta
    request_hash: bytes


class WriteParams(OwnedParams):
    versions: list[int]
    """The versions If-Match accepts; only the conditional statement reads it."""


class ReplaceParams(WriteParams):
    new: dict[str, Any]
    """The fields written: every one of TaskUpdate, or a merge patch's."""


class ListParams(TypedDict, total=False):
    owner: Required[str]
    limit: Required[int]
    """The rows read: one more than the page, to tell whether one follows."""
    size: Required[int]
    """The tasks on the page."""
    filter: Required[dict[str, Any]]
    """Each filter that is set, by name: the binds `filter_<name>`."""
    after_value: Any
    after_id: UUID


OWNER = bindparam("owner", type_=tasks.c.user_id.type)
OWNED = (tasks.c.user_id == OWNER, tasks.c.id == bindparam("task"))


def _new_values(fields: tuple[str, ...]) -> dict[str, Any]:
    """A bind parameter per writable field, filled from the `new` dict."""
    return {
        field: bindparam(f"new_{field}", type_=tasks.c[field].type) for field in fields
    }


def _new(body: TaskCreate | TaskUpdate | TaskPatch) -> dict[str, Any]:
    # Python mode: nested objects become dicts (for JSONB), enums and dates
    # stay what asyncpg encodes. A merge patch's absent members are unset.
    return body.model_dump(exclude_unset=isinstance(body, TaskPatch))


def answered(source: ReadOnlyColumnCollection[str, Any]) -> list[Any]:
    """What a statement of one task returns: the task as its JSON body, its
    version (the ETag) and its id (the Location of a new one)."""
    return [task_json(source).label("body"), source["version"], source["id"]]


def _reply(row: Record) -> Reply[Task, GetTaskHeaders]:
    """A task's body as PostgreSQL wrote it, and its version as the ETag."""
    return Reply(row["body"], {"ETag": etag(row["version"])})


def _created(user_id: str, row: Record) -> Reply[Task, CreateTaskHeaders]:
    """A new task, with where it lives."""
    location = facts.task_location(user_id, row["id"])
    return Reply(row["body"], {"ETag": etag(row["version"]), "Location": location})


Filter = Callable[[BindParameter[Any]], ColumnElement[bool]]
FILTERS: dict[str, Filter] = {
    "completed": lambda value: tasks.c.completed == value,
}
"""listTasks' filters: the condition each query parameter adds when it is set,
on a bind parameter of its name."""

WriteParamsT = TypeVar("WriteParamsT", bound=WriteParams)

After = Literal["value", "null"] | None
"""Where a page starts: at the first task, or after a cursor's sort value
(or after one whose sort value is NULL)."""


LIST_SUMMARY = "SELECT page of tasks"
"""Every shape of the list query, as one statement in metrics and traces."""


@cache
def _list_statement(
    sort: TaskSort, filters: frozenset[str], after: After
) -> Statement[ListParams]:
    """The list query of one shape (sort, filters set, where it starts): the
    page's tasks as one JSON array, and where the next page starts."""
    return compile_statement(
        _page_json(_page_rows(sort, filters, after), sort),
        ListParams,
        idempotent=True,
        summary=LIST_SUMMARY,
    )


def _page_rows(sort: TaskSort, filters: frozenset[str], after: After) -> Select[Any]:
    """The rows of a page and the one after it, in order, numbered from 1."""
    key, descending = sort_column(sort)
    statement = select(*RETURNED).where(
        tasks.c.user_id == OWNER,
        *(FILTERS[name](bindparam(f"filter_{name}")) for name in sorted(filters)),
    )
    order = (key.desc(), tasks.c.id.desc()) if descending else (key, tasks.c.id)
    limit: BindParameter[int] = bindparam("limit")
    if after is None:
        return statement.add_columns(_numbered(order)).order_by(*order).limit(limit)
    ranges = [
        statement.where(condition).order_by(*order).limit(limit)
        for condition in pagination.after(
            key, tasks.c.id, descending=descending, at_null=after == "null"
        )
    ]
    if len(ranges) == 1:
        return ranges[0].add_columns(_numbered(order))
    merged = union_all(*ranges).subquery("merged")
    keys = (merged.c[key.name], merged.c.id)
    in_order = tuple(c.desc() for c in keys) if descending else keys
    return select(*merged.c, _numbered(in_order)).order_by(*in_order).limit(limit)


def _numbered(order: tuple[Any, ...]) -> Any:
    return func.row_number().over(order_by=order).label("n")


def _page_json(rows: Select[Any], sort: TaskSort) -> ClauseElement:
    """One row: the first `size` tasks as a JSON array (in their order),
    whether more follow, and the sort key and id of the page's last task."""
    key, _ = sort_column(sort)
    page = rows.subquery("page")
    size: BindParameter[int] = bindparam("size")
    on_page, last = page.c.n <= size, page.c.n == size
    return select(
        func.coalesce(
            func.json_agg(aggregate_order_by(task_json(page.c), page.c.n)).filter(
                on_page
            ),
            literal_column("'[]'::json"),
        ).label("items"),
        (func.count() > size).label("more"),
        func.array_agg(page.c[key.name]).filter(last).label("last_key"),
        func.array_agg(page.c.id).filter(last).label("last_id"),
    )


MAX_TASKS: BindParameter[int] = bindparam("max_tasks")


def _counted(source: Any = None) -> Any:
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
    counted = _counted()
    new = _new_values(CREATED)
    return compile_statement(
        insert(tasks)
        .from_select(["user_id", *new], select(counted.c.id, *new.values()))
        .returning(*answered(tasks.c)),
        CreateParams,
        idempotent=False,
        summary="INSERT task",
    )


CREATE = _create()


def _create_idempotently() -> Statement[KeyedCreateParams]:
    """Either create the task and record it under the key, or find the key's
    first response: one statement.

    The first response is kept as the row itself (to_jsonb), and a replay
    reads it back into the same typed columns, so both answers are
    serialized alike. Two first requests racing with one key make the second
    fail on the key's primary key; the handler then retries once.
    """
    keys = idempotency_keys.c
    existing = (
        select(keys.request_hash, keys.response)
        .where(
            keys.user_id == OWNER,
            keys.key == bindparam("key"),
            keys.created_at > func.now() - TTL,
        )
        .cte("existing")
    )
    counted = _counted(select(OWNER, literal(1)).where(~exists(existing.select())))
    new = _new_values(CREATED)
    created = (
        insert(tasks)
        .from_select(["user_id", *new], select(counted.c.id, *new.values()))
        .returning(*RETURNED)
        .cte("created")
    )
    recorded = (
        insert(idempotency_keys)
        .from_select(
            ["user_id", "key", "task_id", "request_hash", "response"],
            select(
                created.c.user_id,
                bindparam("key"),
                created.c.id,
                bindparam("request_hash", type_=LargeBinary),
                func.to_jsonb(created.table_valued()),
            ),
        )
        .cte("recorded")
    )
    stored = (
        func.jsonb_to_record(existing.c.response)
        # The stored row's fields, by name, typed as the columns are.
        .table_valued(*(column(c.name, c.type) for c in RETURNED))
        .render_derived(with_types=True)
        .alias("stored")
    )
    answer = (
        union_all(
            select(*created.c, cast(null(), LargeBinary).label("request_hash")),
            select(
                *(stored.c[c.name] for c in RETURNED),
                existing.c.request_hash,
            ).select_from(existing.join(stored, true())),
        )
        .add_cte(recorded)
        .subquery("answer")
    )
    return compile_statement(
        select(*answered(answer.c), answer.c.request_hash),
        KeyedCreateParams,
        idempotent=True,
        summary="INSERT task with idempotency key",
    )


CREATE_IDEMPOTENTLY = _create_idempotently()

# An expired key that the periodic purge has not removed yet.
PURGE_EXPIRED_KEY = compile_statement(
    delete(idempotency_keys)
    .where(
        idempotency_keys.c.user_id == OWNER,
        idempotency_keys.c.key == bindparam("key"),
        idempotency_keys.c.created_at <= func.now() - TTL,
    )
    .returning(idempotency_keys.c.key),
    KeyedCreateParams,
    idempotent=True,
    summary="DELETE expired idempotency key",
)


class IdempotencyKeyInProgress(Problem):
    def __init__(self) -> None:
        super().__init__(
            ProblemName.IDEMPOTENCY_KEY_IN_PROGRESS,
            "A request with this Idempotency-Key is in progress; retry shortly.",
            retry_after(),
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


GET = compile_statement(
    select(*answered(tasks.c)).where(*OWNED),
    OwnedParams,
    idempotent=True,
    summary="SELECT task",
)


Write = Callable[..., Update | Delete | Select[Any]]
"""A write of one task, given any further conditions on the task's row."""


def _conditional(
    write: Write, params: type[WriteParamsT], summary: str
) -> Statement[WriteParamsT]:
    """The write under If-Match, and the lookup that tells 404 from 412.

    Replaying a conditional write that did commit answers 412: safe.
    """
    versions = bindparam("versions", type_=ARRAY(Integer))
    written = write(tasks.c.version == any_(versions)).cte("written")
    target = select(tasks.c.id.label("found")).where(*OWNED).cte("target")
    return compile_statement(
        select(target.c.found, *written.c).select_from(
            target.outerjoin(written, true())
        ),
        params,
        idempotent=True,
        summary=f"{summary} if version matches",
    )


def _writes(
    write: Write, params: type[WriteParamsT], summary: str
) -> tuple[Statement[WriteParamsT], Statement[WriteParamsT]]:
    """The write as it is, and under If-Match (see `_conditional`)."""
    plain = compile_statement(write(), params, idempotent=True, summary=summary)
    return plain, _conditional(write, params, summary)


def _update(fields: tuple[str, ...]) -> Write:
    """A write of these fields, a new version and the time of the change."""
    return lambda *conditions: (
        update(tasks)
        .where(*OWNED, *conditions)
        .values(
            **_new_values(fields),
            version=tasks.c.version + 1,
            updated_at=func.now(),
        )
        .returning(*answered(tasks.c))
    )


@cache
def _update_statements(
    fields: frozenset[str],
) -> tuple[Statement[ReplaceParams], Statement[ReplaceParams]]:
    """A write of these fields: every one of TaskUpdate's for a replacement,
    the members a merge patch names for a patch; each set compiled once."""
    return _writes(_update(tuple(sorted(fields))), ReplaceParams, "UPDATE task")


# A replacement's statements are compiled at import, as every fixed one is.
_update_statements(frozenset(REPLACED))


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


DELETE, DELETE_IF_MATCH = _writes(_delete, WriteParams, "DELETE task")


def _accepted_versions(if_match: str | None) -> list[int] | None:
    """The versions If-Match accepts, or None when any version will do."""
    condition = parse_if_match(if_match)
    if condition is None or condition.any_version:
        return None
    return sorted(condition.versions)


async def _update_task(
    ctx: RequestContext,
    user_id: str,
    task_id: UUID,
    if_match: str | None,
    new: dict[str, Any],
) -> Reply[Task, GetTaskHeaders]:
    """Write the fields in `new` (updateTask's and patchTask's one statement)."""
    versions = _accepted_versions(if_match)
    params: ReplaceParams = {
        "owner": user_id,
        "task": task_id,
        "new": new,
        "versions": versions or [],
    }
    statements = _update_statements(frozenset(new))
    row = await _write(ctx, statements, params, conditional=versions is not None)
    return _reply(row)


async def _write(
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


READY = compile_statement(
    text("SELECT 1"), NoParams, idempotent=True, summary="SELECT 1"
)


class Handlers(routes.Handlers[RequestContext, PublicContext]):
    """The operations of openapi.yaml, one method per operationId.

    Subclassing the generated protocol makes mypy check every method's
    signature against the contract's at the method itself; build_routes
    checks the same at startup.
    """

    def __init__(self, *, max_tasks_per_user: int, metrics_enabled: bool) -> None:
        self.max_tasks = max_tasks_per_user
        self.metrics_enabled = metrics_enabled

    async def list_tasks(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        limit: int,
        cursor: str | None,
        completed: bool | None,
        sort: TaskSort,
    ) -> Reply[TaskList, NoHeaders]:
        # Each filter of FILTERS, and its value; those left out are unset.
        values = {
            "completed": completed,
        }
        filters = {name: value for name, value in values.items() if value is not None}
        key, _ = sort_column(sort)
        # A cursor is valid only for the list that issued it.
        scope = json.dumps([user_id, sort.value, filters], sort_keys=True, default=str)
        params: ListParams = {
            "owner": user_id,
            "limit": limit + 1,
            "size": limit,
            "filter": filters,
        }
        after: After = None
        if cursor is not None:
            value, params["after_id"] = pagination.decode(scope, key, cursor)
            after = "null" if value is None else "value"
            params["after_value"] = value
        [page] = await ctx.db.fetch(
            _list_statement(sort, frozenset(filters), after)(params)
        )
        next_cursor = b"null"
        if page["more"]:
            [last_key], [last_id] = page["last_key"], page["last_id"]
            encoded = pagination.encode(scope, key, last_key, last_id)
            next_cursor = b'"%s"' % encoded.encode()
        body = b'{"items":%s,"next_cursor":%s}' % (page["items"], next_cursor)
        return Reply(body, {})

    async def create_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        idempotency_key: str | None,
        body: TaskCreate,
    ) -> Reply[Task, CreateTaskHeaders]:
        new = _new(body)
        if idempotency_key is None:
            rows = await ctx.db.fetch(
                CREATE({"owner": user_id, "new": new, "max_tasks": self.max_tasks})
            )
            if not rows:
                metrics.QUOTA_REFUSALS.inc()
                raise TaskQuotaExceeded(self.max_tasks)
            return _created(user_id, rows[0])
        request_hash = hashlib.sha256(body.model_dump_json().encode()).digest()
        params: KeyedCreateParams = {
            "owner": user_id,
            "new": new,
            "max_tasks": self.max_tasks,
            "key": idempotency_key,
            "ttl": IDEMPOTENCY_TTL,
            "request_hash": request_hash,
        }
        try:
            rows = await ctx.db.fetch(CREATE_IDEMPOTENTLY(params))
        except Exception as error:
            if sqlstate(error) != "23505":
                raise
            # The key is taken: by a twin request that has just committed, or by
            # an expired key the purge has not reached yet. Clear the latter and
            # run once more; the twin's answer is then found under `existing`.
            await ctx.db.fetch(PURGE_EXPIRED_KEY(params))
            try:
                rows = await ctx.db.fetch(CREATE_IDEMPOTENTLY(params))
            except Exception as again:
                if sqlstate(again) != "23505":
                    raise
                raise IdempotencyKeyInProgress from None
        if not rows:
            metrics.QUOTA_REFUSALS.inc()
            raise TaskQuotaExceeded(self.max_tasks)
        [row] = rows
        stored_hash = row["request_hash"]
        if stored_hash is not None and stored_hash != request_hash:
            raise IdempotencyKeyReused
        return _created(user_id, row)

    async def get_task(
        self, ctx: RequestContext, *, user_id: str, task_id: UUID
    ) -> Reply[Task, GetTaskHeaders]:
        rows = await ctx.db.fetch(GET({"owner": user_id, "task": task_id}))
        if not rows:
            raise NotFound()
        return _reply(rows[0])

    async def update_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        task_id: UUID,
        if_match: str | None,
        body: TaskUpdate,
    ) -> Reply[Task, UpdateTaskHeaders]:
        return await _update_task(ctx, user_id, task_id, if_match, _new(body))

    async def patch_task(
        self,
        ctx: RequestContext,
        *,
        user_id: str,
        task_id: UUID,
        if_match: str | None,
        body: TaskPatch,
    ) -> Reply[Task, PatchTaskHeaders]:
        return await _update_task(ctx, user_id, task_id, if_match, _new(body))

    async def delete_task(
        self, ctx: RequestContext, *, user_id: str, task_id: UUID, if_match: str | None
    ) -> None:
        versions = _accepted_versions(if_match)
        params: WriteParams = {
            "owner": user_id,
            "task": task_id,
            "versions": versions or [],
        }
        await _write(
            ctx, (DELETE, DELETE_IF_MATCH), params, conditional=versions is not None
        )

    async def get_health(self, ctx: PublicContext) -> Reply[Health, NoHeaders]:
        return Reply.of(Health(status=Status.OK), NoHeaders())

    async def get_readiness(self, ctx: PublicContext) -> Reply[Health, NoHeaders]:
        if ctx.draining:
            raise Problem(
                ProblemName.SHUTTING_DOWN,
                "The service is shutting down.",
                retry_after(),
            )
        await ctx.db.fetch(READY({}))
        return Reply.of(Health(status=Status.OK), NoHeaders())

    async def get_metrics(self, ctx: PublicContext) -> Reply[str, NoHeaders]:
        if not self.metrics_enabled:
            raise Problem(
                ProblemName.METRICS_OFF,
                "Metrics are turned off here (METRICS_ENABLED=false).",
            )
        return Reply(metrics.exposition(), NoHeaders())
