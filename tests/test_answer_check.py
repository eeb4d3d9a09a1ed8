"""An answer its operation does not document never passes unnoticed,
whoever produced it (the handler, an exception handler of the app): the
suite's servers (STRICT_CONTRACT, which every test and schemathesis fail
on) answer 500 for a status the operation does not document and for a
body its schema refuses, and production logs an undocumented status once.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from generated.models import Health
from generated.routes import OPERATIONS
from impl.contexts import PublicContext
from impl.probes import Probes
from impl.problems import NotFound
from impl.settings import Settings
from runtime.replies import NoHeaders, Reply
from tests.support import LiveServer

[HEALTH] = [o for o in OPERATIONS if o.handler == "get_health"]
UNDOCUMENTED = NotFound().status


async def answers_undocumented(
    self: Probes, ctx: PublicContext
) -> Reply[Health, NoHeaders]:
    raise NotFound


@pytest.fixture
def health_raises_undocumented(monkeypatch: pytest.MonkeyPatch) -> None:
    assert UNDOCUMENTED not in HEALTH.statuses
    monkeypatch.setattr(Probes, "get_health", answers_undocumented)


@contextmanager
def serve(
    settings: Settings, strict: bool, extend: Callable[[FastAPI], None] | None = None
) -> Iterator[LiveServer]:
    changed = settings.model_copy(update={"strict_contract": strict})
    with LiveServer.serve(changed, extend) as live:
        yield live


def answer_conflict(app: FastAPI) -> None:
    """An exception handler of the app's, answering a status getHealth does
    not document."""

    @app.exception_handler(NotFound)
    async def conflict(request: Request, exc: NotFound) -> JSONResponse:
        body = {"type": "about:blank", "title": "Conflict", "status": 409}
        return JSONResponse(body, 409, media_type="application/problem+json")


@pytest.mark.usefixtures("health_raises_undocumented")
def test_the_suites_servers_answer_an_undocumented_status_as_500(
    settings: Settings,
) -> None:
    assert settings.strict_contract
    with serve(settings, strict=True) as live:
        response = httpx.get(f"{live.base_url}{HEALTH.path}")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("health_raises_undocumented")
def test_production_answers_it_and_logs_it_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with serve(settings, strict=False) as live:
        statuses = [
            httpx.get(f"{live.base_url}{HEALTH.path}").status_code for _ in range(3)
        ]

    assert statuses == [UNDOCUMENTED] * 3
    logged = [r for r in caplog.records if "does not document" in r.getMessage()]
    assert len(logged) == 1
    assert HEALTH.operation_id in logged[0].getMessage()


def test_a_documented_problem_passes_unchanged(settings: Settings) -> None:
    with serve(settings, strict=True) as live:
        response = httpx.get(f"{live.base_url}/api/alice/tasks")

    assert response.status_code == 401


@pytest.mark.usefixtures("health_raises_undocumented")
def test_an_exception_handlers_answer_is_checked_like_any_other(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert 409 not in HEALTH.statuses
    with serve(settings, strict=True, extend=answer_conflict) as live:
        strict = httpx.get(f"{live.base_url}{HEALTH.path}")
    with serve(settings, strict=False, extend=answer_conflict) as live:
        lenient = httpx.get(f"{live.base_url}{HEALTH.path}")

    assert (strict.status_code, lenient.status_code) == (500, 409)
    logged = [r.getMessage() for r in caplog.records]
    assert any(f"{HEALTH.operation_id} answered 409" in m for m in logged)


async def answers_a_drifted_body(
    self: Probes, ctx: PublicContext
) -> Reply[Health, NoHeaders]:
    return Reply(b'{"status": 5}', NoHeaders())


def test_a_body_its_schema_refuses_is_a_500_under_the_strict_contract(
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bodies are written from rows (orjson), not through the models: the
    check is what holds them to the schema."""
    monkeypatch.setattr(Probes, "get_health", answers_a_drifted_body)
    with serve(settings, strict=True) as live:
        response = httpx.get(f"{live.base_url}{HEALTH.path}")

    assert response.status_code == 500
    logged = [r.getMessage() for r in caplog.records]
    assert any("does not match openapi.yaml's Health" in m for m in logged)
