"""The README's worked example, step by step, on a scratch copy of the repo.

Adding a field (`priority`, an enum with a default) takes the steps the
README lists, and nothing else: the contract, `make generate`, a column,
`make revision`. The field then round-trips through every write path
(create, create with Idempotency-Key and its replay, replace, replace with
If-Match) and through get and list. The README must show each snippet used
here, verbatim.
"""

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from impl.settings import PROJECT_ROOT
from tests.support import Database, Keys, service_process

PRIORITY_SCHEMA = """\
    Priority:
      type: string
      enum: [low, normal, high]
"""
PRIORITY_FIELD = """\
        priority:
          $ref: '#/components/schemas/Priority'
          default: normal
"""
PRIORITY_COLUMN = """\
    priority: str = Field(
        sa_column=Column(Text, nullable=False, server_default="normal")
    )
"""
COMMANDS = ["make generate", 'make revision MESSAGE="add priority"']
BIN = Path(sys.executable).parent


def test_the_readme_shows_every_step() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()

    for snippet in (PRIORITY_SCHEMA, PRIORITY_FIELD, PRIORITY_COLUMN, *COMMANDS):
        assert snippet in readme, snippet
    prose = " ".join(readme.split())
    assert "to `Task`, without the default" in prose
    assert "add `priority` to `Task`'s `required`" in prose


def add_priority(root: Path) -> None:
    """Step 1 and 3: the contract and the column, as the README says."""
    contract = root / "openapi.yaml"
    spec = yaml.safe_load(contract.read_text())
    schemas = spec["components"]["schemas"]
    schemas.update(yaml.safe_load(PRIORITY_SCHEMA))
    for name in ("TaskCreate", "TaskUpdate"):
        schemas[name]["properties"].update(yaml.safe_load(PRIORITY_FIELD))
    in_task = yaml.safe_load(PRIORITY_FIELD)
    del in_task["priority"]["default"]
    schemas["Task"]["properties"].update(in_task)
    schemas["Task"]["required"].append("priority")
    contract.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    tables = root / "impl" / "tables.py"
    source = tables.read_text()
    anchor = "    version: int = Field("
    assert source.count(anchor) == 1
    tables.write_text(source.replace(anchor, PRIORITY_COLUMN + anchor))


def run(root: Path, command: str, env: dict[str, str]) -> None:
    # The README's commands, through a shell, as a user types them.
    result = subprocess.run(  # noqa: S602
        command,
        shell=True,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def scratch(tmp_path: Path, database_url: str) -> Iterator[tuple[Path, str]]:
    """A copy of the repository (what git tracks or would, and this .venv), and an
    empty database of its own."""
    root = tmp_path / "repo"
    tracked = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (PROJECT_ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, root / name)
    (root / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    admin = Database(database_url)
    name = f"worked_{os.getpid()}"
    asyncio.run(admin.execute(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin.execute(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(False)
    yield root, url
    asyncio.run(admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_adding_an_enum_field_with_a_default_takes_the_readmes_steps(
    scratch: tuple[Path, str], keys: Keys
) -> None:
    root, url = scratch
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": url,
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": keys.issuer,
        "JWT_AUDIENCE": keys.audience,
        "PYTHONPATH": str(root),
    }
    add_priority(root)
    for command in COMMANDS:
        run(root, command, env)
    [revision] = (root / "impl" / "alembic" / "versions").glob("*add_priority*.py")
    # The revision passes `make check` as Alembic wrote it (formatted for us).
    run(
        root,
        f"{BIN}/ruff check {revision} && {BIN}/ruff format --check {revision}",
        env,
    )
    run(root, f"{BIN}/python tools/generate.py --check", env)

    with service_process(root, env) as (_, base, _):
        assert_priority_round_trips(base, keys)


def assert_priority_round_trips(base: str, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.token('pat')}"}
    tasks = "/api/pat/tasks"
    with httpx.Client(base_url=base, headers=headers) as client:
        default = client.post(tasks, json={"title": "default"})
        assert default.status_code == 201, default.text
        assert default.json()["priority"] == "normal"

        created = client.post(tasks, json={"title": "high", "priority": "high"})
        assert created.json()["priority"] == "high"
        task = f"{tasks}/{created.json()['id']}"

        keyed = {"Idempotency-Key": "worked-example"}
        first = client.post(
            tasks, json={"title": "k", "priority": "low"}, headers=keyed
        )
        replay = client.post(
            tasks, json={"title": "k", "priority": "low"}, headers=keyed
        )
        assert (first.status_code, replay.status_code) == (201, 201)
        assert first.json()["priority"] == replay.json()["priority"] == "low"

        replaced = client.put(task, json={"title": "high", "priority": "low"})
        assert replaced.json()["priority"] == "low"
        conditional = client.put(
            task,
            json={"title": "high", "priority": "high"},
            headers={"If-Match": replaced.headers["ETag"]},
        )
        assert conditional.status_code == 200, conditional.text
        assert conditional.json()["priority"] == "high"
        # Left out of a replacement, the field takes its default.
        assert client.put(task, json={"title": "x"}).json()["priority"] == "normal"

        assert client.get(task).json()["priority"] == "normal"
        listed = {t["title"]: t["priority"] for t in client.get(tasks).json()["items"]}
        assert listed == {"default": "normal", "x": "normal", "k": "low"}
        invalid = client.post(tasks, json={"title": "bad", "priority": "urgent"})
        assert invalid.status_code == 422
