"""Statements stay fast at any size, and every one is keyed by user_id.

Every SQL statement the handlers issue is captured while a user with many
tasks calls every operation (every sort of the list, alone and with each
filter of the contract, read from openapi.yaml; a filter that no index keeps
in keyset order may sort the caller's matching tasks),
then explained on that data: each table is reached through an index whose
condition starts with user_id, and no plan sorts. So a page costs the same
at the user's 100,000th task as at the first, and the tasks table can be
distributed by user_id (Citus) without code changes.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from impl.db.statements import Bound
from impl.tasks.idempotency import PURGE_EXPIRED_KEYS
from impl.tasks.sync.feed import PURGE
from impl.tasks.tables import tasks
from tests import contract
from tests.support import Api, Database, LiveServer

TABLES = {"tasks", "idempotency_keys", "users"}
CAROL = "carol"
"""A user with a few tasks, beside alice's 20,000."""
SORTS = contract.sort_values()
FILTERS = [
    {name: value}
    for name, schema in contract.list_filters().items()
    for value in contract.filter_values(schema)
]
"""Each filter of the contract alone, with each value worth trying."""
ORDER_KEEPING = {
    name
    for name in contract.list_filters()
    if all(
        f"ix_tasks_user_id_{name}_{value.lstrip('-')}_id"
        in {ix.name for ix in tasks.indexes}
        for value in SORTS
    )
}
"""The filters an index `(user_id, column, key, id)` serves in the order of
every sort key, as impl/tasks/tables.py gives `completed`."""

SEED = """
-- As many users as a real service has, so the planner prices the users
-- table as it would there. Alice's task_count leaves room under the
-- suite's MAX_TASKS_PER_USER, so that her creates are planned too. She holds
-- one task in twenty (a real user's share is far smaller), so that reading
-- all of hers is never worth reading the whole table.
INSERT INTO users (id, task_count) VALUES ('alice', 100);
INSERT INTO users (id) SELECT 'user-' || n FROM generate_series(1, 20000) AS n;
INSERT INTO tasks (user_id, title, completed, created_at, updated_at)
SELECT CASE WHEN n % 20 = 0 THEN 'alice' ELSE 'user-' || n % 1000 + 1 END,
       'task ' || md5(n::text),
       n % 3 = 0,
       now() - n * interval '1 second',
       now() - (n % 997) * interval '1 minute'
FROM generate_series(1, 40000) AS n;
INSERT INTO idempotency_keys (user_id, key, task_id, request_hash, response)
SELECT user_id, id::text, id, '\\x00', '{}' FROM tasks;
ANALYZE;
"""


PURGES = frozenset({PURGE_EXPIRED_KEYS.sql, PURGE.sql})


@pytest.fixture
def captured(server: LiveServer) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the service sends, with its arguments, as it sends it."""
    statements: list[tuple[str, Any]] = []
    database = server.app.state.services.open_database()
    send = database._run

    async def capture(statement: Bound) -> Any:
        # The periodic purges of expired keys and tombstones are the
        # service's own, over every user, whenever they fall due: no
        # request's.
        if statement.sql not in PURGES:
            statements.append((statement.sql, statement.arguments))
        return await send(statement)

    # A transaction's statements run on its connection (a recurring task's
    # completion): those too.
    send_on = database.run_on

    async def capture_on(connection: Any, statement: Bound, **options: Any) -> Any:
        statements.append((statement.sql, statement.arguments))
        return await send_on(connection, statement, **options)

    database._run = capture
    database.run_on = capture_on
    yield statements
    del database._run
    del database.run_on


def exercise_every_operation(
    alice: Api, db: Database, captured: list[tuple[str, Any]]
) -> set[int]:
    """Call every operation; the positions in `captured` of the statements
    of lists filtered where no index keeps the keyset order."""
    unordered: set[int] = set()
    for n in range(12):
        alice.new_task(f"t{n}", completed=n % 2 == 0)
    for sort in SORTS:
        for filters in [{}, *FILTERS]:
            params: dict[str, Any] = {"sort": sort, "limit": 5, **filters}
            start = len(captured)
            first = alice.list(**params)
            assert first.status_code == 200, (params, first.text)
            cursor = first.json()["next_cursor"]
            if cursor is not None:
                second = alice.list(**params, cursor=cursor)
                assert second.status_code == 200, (params, second.text)
            if set(filters) - ORDER_KEEPING:
                unordered.update(range(start, len(captured)))
    task = alice.new_task("new")
    alice.create({"title": "keyed"}, headers={"Idempotency-Key": "scale"})
    alice.get(task["id"])
    alice.put(task["id"], {"title": "changed"})
    alice.put(task["id"], {"title": "again"}, headers={"If-Match": '"2"'})
    alice.client.delete(alice.task_url(task["id"]), headers={"If-Match": '"3"'})
    alice.delete(alice.new_task("doomed")["id"])
    weekly = alice.new_task("weekly", due_date="2026-12-01", recurrence="FREQ=WEEKLY")
    assert alice.patch(weekly["id"], {"completed": True}).json()["next_occurrence"]
    # Clearing reads the caller's completed tasks in any order, and the tag
    # sidebar sorts the caller's tags by name: both read all of a user's
    # tasks (at most MAX_TASKS_PER_USER), like a filter no index keeps in
    # order. They run as a user of a real size, carol: alice holds half the
    # table, which PostgreSQL rightly reads whole.
    with Api.for_user(str(alice.client.base_url), CAROL, alice.keys) as carol:
        for n in range(5):
            carol.new_task(f"c{n}", completed=n % 2 == 0, tags=[f"tag{n % 3}"])
        start = len(captured)
        cleared = carol.client.delete(carol.tasks_url(), params={"completed": "true"})
        assert cleared.json() == {"deleted": 3}, cleared.text
        assert carol.client.get(f"/api/{CAROL}/tags").status_code == 200
        unordered.update(range(start, len(captured)))
    return unordered


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


async def explain(database_url: str, sql: str, params: Any) -> dict[str, Any]:
    connection = await asyncpg.connect(database_url)
    try:
        raw = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *params)
        plan: dict[str, Any] = json.loads(raw)[0]["Plan"]
        return plan
    finally:
        await connection.close()


def test_every_statement_uses_a_user_id_index_and_never_sorts(
    alice: Api, db: Database, database_url: str, captured: list[tuple[str, Any]]
) -> None:
    """A filter that no index keeps in keyset order may read the caller's
    tasks and sort those that match (README: at most MAX_TASKS_PER_USER);
    every other statement is index ranges only, with no sort."""
    asyncio.run(db.execute(SEED))

    unordered = exercise_every_operation(alice, db, captured)

    mine = [
        i
        for i, (_, params) in enumerate(captured)
        if "alice" in params or CAROL in params
    ]
    assert len(mine) >= len(SORTS) * (1 + len(FILTERS)) + 10
    for i in mine:
        sql, params = captured[i]
        plan = asyncio.run(explain(database_url, sql, params))
        for node in plan_nodes(plan):
            if i not in unordered:
                assert node["Node Type"] != "Sort", sql
            relation = node.get("Relation Name")
            if relation in TABLES and "Scan" in node["Node Type"]:
                key = "id" if relation == "users" else "user_id"
                assert re.match(
                    rf"\(+{key} = ", scan_condition(node, i in unordered)
                ), (
                    sql,
                    node,
                )


def scan_condition(node: dict[str, Any], unordered: bool) -> str:
    """The condition an index scan starts from; a bitmap scan's only where
    the order is not kept anyway."""
    if node["Node Type"] == "Bitmap Heap Scan" and unordered:
        return str(node["Recheck Cond"])
    assert node["Node Type"] in {"Index Scan", "Index Only Scan"}, node
    return str(node["Index Cond"])


def test_every_statement_is_keyed_by_the_callers_user_id(
    alice: Api, db: Database, captured: list[tuple[str, Any]]
) -> None:
    exercise_every_operation(alice, db, captured)

    handler_statements = [(sql, p) for sql, p in captured if "FROM pg_" not in sql]
    assert handler_statements
    for sql, params in handler_statements:
        assert "user_id" in sql, sql
        assert "alice" in params or CAROL in params, (sql, params)
