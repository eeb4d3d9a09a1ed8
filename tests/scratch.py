"""A scratch copy of the repository, for tests that change the contract as a
team would and then run the project's own commands on the copy.

The copy holds what git tracks (or would), and links to this checkout's
.venv and node_modules, so nothing is installed again. It gets an empty
database of its own for `make revision`.
"""

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from impl.settings import PROJECT_ROOT
from tests.support import Database, Keys, node_project

BIN = Path(sys.executable).parent
NODE_PROJECTS = ("tools/contract-diff", "tests/frontend")
"""Installed once, here, and shared by every copy (linked, not copied). Not
the Next.js example: its bundler refuses packages linked from outside its
folder, so a copy that builds it installs its own."""
# The suite on a copy leaves out the tests that make copies: they would copy
# the copy, without end.
SERVICE_ENV = ("DATABASE_URL", "JWKS_JSON", "JWT_ISSUER", "JWT_AUDIENCE")
SUITE = "make test PYTEST_ARGS='-m \"not scratch_copy\"'"


@dataclass(frozen=True)
class Scratch:
    root: Path
    env: dict[str, str]
    """The environment of the copy's commands: its database, the test keys."""

    def run(
        self, command: str, timeout: int = 300, env: dict[str, str] | None = None
    ) -> str:
        """A command as a user types it, in the copy; its output. It must pass."""
        returncode, output = self.attempt(command, timeout, env)
        assert returncode == 0, f"{command}\n{output[-8000:]}"
        return output

    def attempt(
        self, command: str, timeout: int = 300, env: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """A command as a user types it, in the copy, however it ends: its
        exit status and output."""
        result = subprocess.run(  # noqa: S602
            command,
            shell=True,
            cwd=self.root,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return result.returncode, f"{result.stdout}\n{result.stderr}"

    def service(self, *args: str) -> "subprocess.CompletedProcess[str]":
        """`python -m impl` with these arguments, in the copy, however it ends."""
        return subprocess.run(
            [sys.executable, "-m", "impl", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def check_and_test(self) -> None:
        """`make check` and the whole `make test`, as on any change."""
        self.run("make check")
        # The suite configures the service itself, on a database it makes on
        # the same server.
        suite_env = {k: v for k, v in self.env.items() if k not in SERVICE_ENV}
        output = self.run(SUITE, timeout=1800, env=suite_env)
        assert " passed" in output, output[-3000:]
        assert " failed" not in output, output[-3000:]

    def edit_contract(self, change: Callable[[dict[str, Any]], None]) -> None:
        contract = self.root / "openapi.yaml"
        spec = yaml.safe_load(contract.read_text())
        change(spec)
        contract.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))

    def insert(self, path: str, anchor: str, text: str, *, before: bool = True) -> None:
        """Insert `text` next to the one occurrence of `anchor` in a file."""
        file = self.root / path
        source = file.read_text()
        assert source.count(anchor) == 1, (path, anchor)
        placed = text + anchor if before else anchor + text
        file.write_text(source.replace(anchor, placed))


def copy_repository(root: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (PROJECT_ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, root / name)
    (root / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    for project in NODE_PROJECTS:
        modules = node_project(PROJECT_ROOT / project) / "node_modules"
        (root / project / "node_modules").symlink_to(modules)


@contextmanager
def scratch_copy(tmp_path: Path, database_url: str, keys: Keys) -> Iterator[Scratch]:
    root = tmp_path / "repo"
    copy_repository(root)
    admin = Database(database_url)
    name = f"scratch_{os.getpid()}_{tmp_path.name[-12:]}".replace("-", "_")
    asyncio.run(admin.execute(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin.execute(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(False)
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": url,
        "TEST_DATABASE_URL": url,
        "JWKS_JSON": keys.jwks_json(),
        "JWT_ISSUER": keys.issuer,
        "JWT_AUDIENCE": keys.audience,
        "PYTHONPATH": str(root),
    }
    try:
        yield Scratch(root, env)
    finally:
        asyncio.run(admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'))
