"""A Python client generated from the published contract, as the README
writes the command: openapi-python-client (pinned in uv.lock) at its
default settings, then the whole CRUD cycle with the package it makes."""

import importlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from tests import contract
from tests.support import Keys, LiveServer, readme_command

pytestmark = pytest.mark.process

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def client_package(
    server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> ModuleType:
    tmp_path = tmp_path_factory.mktemp("python-client")
    program, *arguments = readme_command("openapi-python-client", server.base_url)
    result = subprocess.run(
        [str(BIN / program), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "todo-api-client"
    assert (project / "todo_api_client").is_dir(), result.stdout
    sys.path.insert(0, str(project))
    try:
        return importlib.import_module("todo_api_client")
    finally:
        sys.path.remove(str(project))


def test_every_object_and_enumeration_of_the_contract_is_a_class(
    client_package: ModuleType,
) -> None:
    """The generator leaves out, with a warning at most, a schema it cannot
    make a class of (an enumeration whose member names collide)."""
    models = importlib.import_module("todo_api_client.models")
    expected = {
        name
        for name, schema in contract.CONTRACT["components"]["schemas"].items()
        if schema.get("type") == "object" or "enum" in schema
    }

    assert {name for name in expected if not hasattr(models, name)} == set()


def test_the_readmes_python_client_runs_a_full_cycle(
    client_package: ModuleType, server: LiveServer, keys: Keys, db: object
) -> None:
    models = importlib.import_module("todo_api_client.models")
    ops = {
        name: importlib.import_module(f"todo_api_client.api.tasks.{name}")
        for name in (
            "create_task",
            "get_task",
            "update_task",
            "list_tasks",
            "delete_task",
        )
    }
    client = client_package.AuthenticatedClient(
        base_url=server.base_url, token=keys.token("carol")
    )

    with client:
        created = ops["create_task"].sync_detailed(
            "carol",
            client=client,
            body=models.TaskCreate(
                title="Typed",
                due_date=date(2026, 12, 7),
                time_zone=models.TimeZone.ETC_GMT_MINUS_0,
            ),
        )
        assert created.status_code == 201, created.content
        task = created.parsed
        assert isinstance(task, models.Task)
        assert task.time_zone is models.TimeZone.ETC_GMT_MINUS_0

        fetched = ops["get_task"].sync("carol", task.id, client=client)
        assert fetched == task

        updated = ops["update_task"].sync(
            "carol",
            task.id,
            client=client,
            body=models.TaskUpdate(title="Typed", completed=True),
            if_match=created.headers["ETag"],
        )
        assert isinstance(updated, models.Task)
        assert updated.completed is True

        page = ops["list_tasks"].sync(
            "carol", client=client, sort=[models.TaskSort.TITLE]
        )
        assert [t.id for t in page.items] == [task.id]

        deleted = ops["delete_task"].sync_detailed("carol", task.id, client=client)
        assert deleted.status_code == 204
        missing = ops["get_task"].sync("carol", task.id, client=client)
        assert isinstance(missing, models.Problem)
        assert missing.status == 404
