"""RATE_LIMIT: each user's requests are counted, and one too many gets 429
with Retry-After, RateLimit and RateLimit-Policy; a browser can read them.

Redis, when configured, is a guard and never a dependency: a Redis that does
not answer lets every request through at once. The shared limit across
instances, and Redis dying mid-run, are in tests/test_fleet.py.
"""

import logging
import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from impl.settings import Settings
from tests.contract import CONTRACT, operations, problems, resolve
from tests.support import Api, Database, Keys, LiveServer, changed, free_port

LIMIT = 5
EDGE = 2
"""Requests the sliding window may let past the limit where two windows meet."""
TOO_MANY = resolve(CONTRACT["components"]["responses"]["TooManyRequests"])
ORIGIN = "http://app.example.test"


def use_up(call: Callable[[], httpx.Response], limit: int = LIMIT) -> httpx.Response:
    """Call until refused; the refusal, after `limit` passes (a few more at a
    window's edge)."""
    for passed in range(limit + EDGE + 1):
        response = call()
        if response.status_code == 429:
            assert passed >= limit, f"refused after {passed} of {limit}"
            return response
        assert response.status_code < 300, response.text
    raise AssertionError(f"{limit + EDGE + 1} requests passed a limit of {limit}")


@pytest.fixture(scope="module")
def limited(settings: Settings, db: Database) -> Iterator[LiveServer]:
    with LiveServer.serve(
        changed(settings, rate_limit=f"{LIMIT}/minute", cors_origins=(ORIGIN,))
    ) as live:
        yield live


@pytest.fixture
def erin(limited: LiveServer, keys: Keys, db: Database) -> Iterator[Api]:
    # Each test its own user: the count of the last test's user lives on.
    with Api.for_user(limited.base_url, f"erin-{time.monotonic_ns()}", keys) as api:
        yield api


def test_every_task_operation_documents_429() -> None:
    for operation in operations():
        if operation.spec.get("security") != []:
            assert "429" in operation.spec["responses"], operation.spec["operationId"]


def test_the_request_past_the_limit_gets_429_with_the_fields(erin: Api) -> None:
    task = erin.new_task()
    assert erin.list().status_code == 200
    refused = use_up(lambda: erin.get(task["id"]), LIMIT - 2)
    assert refused.headers["content-type"] == "application/problem+json"
    expected = problems()["RateLimited"]
    assert {k: refused.json()[k] for k in ("type", "title")} == {
        k: expected[k] for k in ("type", "title")
    }
    for name in TOO_MANY["headers"]:
        assert name in refused.headers, name
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.headers["RateLimit"] == f'"{LIMIT}-per-minute";r=0;t={retry_after}'
    assert refused.headers["RateLimit-Policy"] == f'"{LIMIT}-per-minute";q={LIMIT};w=60'


def left(response: httpx.Response) -> int:
    """What the RateLimit field says is left (`r`), its window checked."""
    found = re.fullmatch(
        rf'"{LIMIT}-per-minute";r=(\d+);t=(\d+)', response.headers["RateLimit"]
    )
    assert found is not None, response.headers["RateLimit"]
    assert 1 <= int(found[2]) <= 60
    assert (
        response.headers["RateLimit-Policy"] == f'"{LIMIT}-per-minute";q={LIMIT};w=60'
    )
    return int(found[1])


def test_every_counted_answer_says_what_is_left(erin: Api) -> None:
    """A client sees its budget before a 429: on a success, a 404 and a 422
    alike, for each request counted."""
    listed = erin.list()
    missing = erin.get("00000000-0000-4000-8000-000000000000")
    refused = erin.client.get(erin.tasks_url(), params={"tags": "home"})

    assert [r.status_code for r in (listed, missing, refused)] == [200, 404, 422]
    assert [left(r) for r in (listed, missing, refused)] == [
        LIMIT - 1,
        LIMIT - 2,
        LIMIT - 3,
    ]


def test_uncounted_answers_carry_no_fields(erin: Api) -> None:
    anonymous = erin.client.get(erin.tasks_url(), headers={"Authorization": ""})
    forbidden = erin.list(user_id="someone-else")

    for response in (anonymous, forbidden):
        assert "RateLimit" not in response.headers
        assert "RateLimit-Policy" not in response.headers


def test_a_browser_can_read_what_is_left(erin: Api) -> None:
    response = erin.client.get(erin.tasks_url(), headers={"Origin": ORIGIN})

    exposed = {
        h.strip().lower()
        for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"ratelimit", "ratelimit-policy"} <= exposed
    assert left(response) == LIMIT - 1


def test_a_refused_request_changes_nothing(erin: Api, db: Database) -> None:
    use_up(erin.list)
    before = db.snapshot()
    assert erin.create({"title": "refused"}).status_code == 429
    assert db.snapshot() == before


def test_each_user_has_a_limit_of_its_own(
    erin: Api, limited: LiveServer, keys: Keys
) -> None:
    use_up(erin.list)
    with Api.for_user(limited.base_url, f"frank-{time.monotonic_ns()}", keys) as frank:
        assert frank.list().status_code == 200


def test_anonymous_and_forbidden_requests_are_not_counted(
    erin: Api, limited: LiveServer, keys: Keys
) -> None:
    for _ in range(LIMIT + 1):
        assert (
            erin.client.get(erin.tasks_url(), headers={"Authorization": ""}).status_code
            == 401
        )
        assert erin.list(user_id="someone-else").status_code == 403
    assert erin.list().status_code == 200


def test_a_browser_can_read_the_fields_of_429_and_401(erin: Api) -> None:
    origin = {"Origin": ORIGIN}
    refused = use_up(lambda: erin.client.get(erin.tasks_url(), headers=origin))
    exposed = {
        h.strip().lower()
        for h in refused.headers["access-control-expose-headers"].split(",")
    }
    assert {"retry-after", "ratelimit", "ratelimit-policy"} <= exposed
    anonymous = erin.client.get(
        erin.tasks_url(), headers={**origin, "Authorization": ""}
    )
    assert anonymous.status_code == 401
    exposed = {
        h.strip().lower()
        for h in anonymous.headers["access-control-expose-headers"].split(",")
    }
    assert "www-authenticate" in exposed


def test_several_limits_name_the_one_used_up(
    settings: Settings, keys: Keys, db: Database
) -> None:
    with (
        LiveServer.serve(changed(settings, rate_limit="50/hour;2/minute")) as live,
        Api.for_user(live.base_url, "gina", keys) as gina,
    ):
        refused = use_up(gina.list, 2)
        assert refused.headers["RateLimit"].startswith('"2-per-minute";r=0;t=')
        assert refused.headers["RateLimit-Policy"] == (
            '"50-per-hour";q=50;w=3600, "2-per-minute";q=2;w=60'
        )


def test_off_turns_the_limit_off(settings: Settings, keys: Keys, db: Database) -> None:
    assert Settings(rate_limit="off").rate_limit == "off"
    with (
        LiveServer.serve(changed(settings, rate_limit="off")) as live,
        Api.for_user(live.base_url, "hal", keys) as hal,
    ):
        answers = [hal.list() for _ in range(30)]
        assert {answer.status_code for answer in answers} == {200}
        assert "RateLimit" not in answers[-1].headers


def test_an_unreachable_redis_lets_requests_through_at_once(
    settings: Settings, keys: Keys, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    caplog.set_level(logging.WARNING, logger="impl.rate_limit")
    with (
        LiveServer.serve(
            changed(settings, rate_limit="1/minute", redis_url=nothing_there)
        ) as live,
        Api.for_user(live.base_url, "ivy", keys) as ivy,
    ):
        started = time.monotonic()
        statuses = [ivy.list().status_code for _ in range(20)]
        elapsed = time.monotonic() - started
    assert statuses == [200] * 20
    assert elapsed < 2
    warnings = [r for r in caplog.records if r.name == "impl.rate_limit"]
    assert len(warnings) == 1
    assert re.search(r"unavailable.*pass unlimited", warnings[0].getMessage())
