"""generated/ is a pure function of openapi.yaml, and handlers must fit it.

A handler that is missing, not async, or whose signature drifted from the
contract stops the app when it is built, naming the operation; mypy reports
the same through the generated Handlers protocol.
"""

import inspect
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generated.routes import OPERATIONS, HandlerBindingError, build_routes
from impl import handlers
from impl.deps import public_context, request_context
from impl.settings import PROJECT_ROOT


def handlers_except(**changes: Any) -> SimpleNamespace:
    functions = {name: getattr(handlers, name) for name in OPERATIONS.values()}
    functions.update(changes)
    return SimpleNamespace(**{k: v for k, v in functions.items() if v is not None})


def build(candidate: object) -> None:
    build_routes(candidate, request_context, public_context)  # type: ignore[arg-type]


def test_the_real_handlers_bind() -> None:
    build(handlers)


def test_a_missing_handler_stops_the_app_naming_the_operation() -> None:
    with pytest.raises(
        HandlerBindingError, match=r"deleteTask: .* no handler delete_task"
    ):
        build(handlers_except(delete_task=None))


def test_a_sync_handler_stops_the_app() -> None:
    def get_task(ctx: Any, *, user_id: str, task_id: Any) -> Any: ...

    with pytest.raises(HandlerBindingError, match=r"getTask: .*must be `async def`"):
        build(handlers_except(get_task=get_task))


def test_a_drifted_signature_stops_the_app() -> None:
    async def create_task(ctx: Any, *, user_id: str, body: dict[str, Any]) -> Any: ...

    with pytest.raises(HandlerBindingError, match=r"createTask: .*the contract needs"):
        build(handlers_except(create_task=create_task))


def test_mypy_reports_a_drifted_handler(tmp_path: Path) -> None:
    source = inspect.getsource(handlers).replace(
        "async def get_task(ctx: RequestContext, *, user_id: str, task_id: UUID)",
        "async def get_task(ctx: RequestContext, *, user_id: str, task_id: str)",
    )
    assert "task_id: str)" in source
    (tmp_path / "drifted_handlers.py").write_text(source)
    (tmp_path / "binding.py").write_text(
        "from generated.routes import Handlers\n"
        "from impl.deps import PublicContext, RequestContext\n"
        "import drifted_handlers\n"
        "HANDLERS: Handlers[RequestContext, PublicContext] = drifted_handlers\n"
    )

    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(tmp_path / "binding.py")],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"MYPYPATH": f"{tmp_path}:{PROJECT_ROOT}", "PATH": ""},
        check=False,
    )

    assert result.returncode == 1, result.stdout
    assert (
        'variable has type "Handlers[RequestContext, PublicContext]"' in result.stdout
    )
    assert "def get_task(ctx: RequestContext, *, user_id: str, task_id: str)" in (
        result.stdout
    )


def generate_into(target: Path) -> None:
    target.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pathlib, generate\n"
            "generate.generate_into(pathlib.Path(sys.argv[1]))",
            str(target),
        ],
        cwd=PROJECT_ROOT / "tools",
        check=True,
        capture_output=True,
    )


def test_generation_is_deterministic_and_up_to_date(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"

    generate_into(first)
    generate_into(second)

    names = sorted(p.name for p in first.glob("*.py"))
    assert names == ["__init__.py", "base.py", "models.py", "routes.py"]
    assert names == sorted(p.name for p in second.glob("*.py"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        committed = PROJECT_ROOT / "generated" / name
        assert committed.read_bytes() == (first / name).read_bytes(), name
        assert committed.read_text().startswith("# DO NOT EDIT")
