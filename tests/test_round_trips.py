"""Every operation costs one database round trip and one statement.

A wire-protocol relay between the service and PostgreSQL counts them.
"""

from collections.abc import Callable, Iterator

import httpx
import pytest

from impl.settings import Settings
from tests.support import Api, Keys, LiveServer, PgProxy, changed


@pytest.fixture(scope="module")
def proxy(database_url: str) -> Iterator[PgProxy]:
    with PgProxy.serve(database_url) as relay:
        yield relay


@pytest.fixture(scope="module")
def counted_app(settings: Settings, proxy: PgProxy, db: object) -> Iterator[LiveServer]:
    # One connection, so that warming it up prepares every statement. The
    # events' broker listens on a connection of its own, direct, as it must
    # behind a transaction pooler: its notifications are not a request's.
    counted = changed(
        settings,
        database_url=proxy.url,
        database_direct_url=settings.database_url,
        db_pool_size=1,
    )
    with LiveServer.serve(counted) as live:
        yield live


@pytest.fixture
def api(counted_app: LiveServer, keys: Keys) -> Iterator[Api]:
    with Api.for_user(counted_app.base_url, "rt-user", keys) as user_api:
        yield user_api


Request = Callable[[], httpx.Response]


def measure(proxy: PgProxy, prepare: Callable[[], Request]) -> tuple[int, int]:
    """Round trips and statements of one request, its statements prepared.

    `prepare` does any setup through the API (uncounted) and returns the
    request to count; it runs twice first to warm the connection up.
    """
    for _ in range(2):
        prepare()()
    request = prepare()
    proxy.reset()
    response = request()
    # 304 is a conditional read's success: the client's copy is current.
    assert response.status_code < 300 or response.status_code == 304, response.text
    return proxy.round_trips, proxy.statements


def unchanged(request: Request) -> Request:
    """The request, which must be answered 304."""

    def sent() -> httpx.Response:
        response = request()
        assert response.status_code == 304, response.text
        return response

    return sent


def first_page_cursor(api: Api) -> str:
    return str(api.list(limit=1, completed="false", sort="title").json()["next_cursor"])


OPERATIONS: dict[str, Callable[[Api], Request]] = {
    "listTasks": lambda api: lambda: api.list(),
    "listTasks, page 2, filtered, by title": lambda api: (
        lambda cursor: (
            lambda: api.list(limit=1, completed="false", sort="title", cursor=cursor)
        )
    )(first_page_cursor(api)),
    "createTask": lambda api: lambda: api.create({"title": "new"}),
    "createTask with Idempotency-Key": lambda api: (
        lambda: api.create({"title": "once"}, headers={"Idempotency-Key": "rt-key"})
    ),
    "getTask": lambda api: (lambda task: lambda: api.get(task["id"]))(api.new_task()),
    "getTask answered 304": lambda api: (
        lambda task: unchanged(
            lambda: api.client.get(
                api.task_url(task["id"]), headers={"If-None-Match": '"1"'}
            )
        )
    )(api.new_task()),
    "listTasks answered 304": lambda api: (
        lambda page: unchanged(
            lambda: api.client.get(
                api.tasks_url(), headers={"If-None-Match": page.headers["ETag"]}
            )
        )
    )(api.list()),
    "updateTask": lambda api: (
        lambda task: lambda: api.put(task["id"], {"title": "changed"})
    )(api.new_task()),
    "updateTask with If-Match": lambda api: (
        lambda task: (
            lambda: api.put(task["id"], {"title": "c"}, headers={"If-Match": '"1"'})
        )
    )(api.new_task()),
    "deleteTask": lambda api: (lambda task: lambda: api.delete(task["id"]))(
        api.new_task()
    ),
    "deleteTask with If-Match": lambda api: (
        lambda task: (
            lambda: api.client.delete(
                api.task_url(task["id"]), headers={"If-Match": '"1"'}
            )
        )
    )(api.new_task()),
}


@pytest.mark.parametrize("operation", OPERATIONS.keys())
def test_one_round_trip_and_one_statement_per_operation(
    api: Api, proxy: PgProxy, operation: str
) -> None:
    api.new_task("a")
    api.new_task("b")

    assert measure(proxy, lambda: OPERATIONS[operation](api)) == (1, 1)


def test_the_first_write_of_a_new_user_is_one_round_trip(
    api: Api, proxy: PgProxy, keys: Keys
) -> None:
    measure(proxy, lambda: lambda: api.create({"title": "warm up"}))
    with Api.for_user(str(api.client.base_url), "brand-new-user", keys) as new:
        proxy.reset()
        assert new.create({"title": "first"}).status_code == 201

    assert (proxy.round_trips, proxy.statements) == (1, 1)
