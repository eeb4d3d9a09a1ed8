"""A problem whose status its operation does not document never passes
unnoticed: the suite's servers answer it as 500 (STRICT_CONTRACT, which
every test and schemathesis fail on), and production logs it once.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

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
def serve(settings: Settings, strict: bool) -> Iterator[LiveServer]:
    changed = settings.model_copy(update={"strict_contract": strict})
    with LiveServer.serve(changed) as live:
        yield live


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
