"""A change to openapi.yaml that would break clients fails `make check`.

`make breaking` (part of `make check`) compares openapi.yaml with the last
released contract, released/openapi.yaml, with Optic. Each case below edits
a scratch copy of the contract as a team might, and runs the same command.
"""

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from impl.settings import PROJECT_ROOT
from tests import contract
from tests.scratch import Scratch
from tests.support import node_project

pytestmark = [pytest.mark.needs_binary, pytest.mark.process]

CONTRACT_DIFF = PROJECT_ROOT / "tools" / "contract-diff"
OPTIC = CONTRACT_DIFF / "node_modules" / ".bin" / "optic"
RELEASED = PROJECT_ROOT / "released" / "openapi.yaml"
STANDARD = PROJECT_ROOT / "tools" / "contract-diff" / "optic.yml"
Spec = dict[str, Any]
TASKS = "/api/{user_id}/tasks"
TASK = "/api/{user_id}/tasks/{task_id}"


def schemas(spec: Spec) -> Spec:
    schema_map: Spec = spec["components"]["schemas"]
    return schema_map


def remove_response_field(spec: Spec) -> None:
    schemas(spec)["Task"]["properties"].pop("description")
    schemas(spec)["Task"]["required"].remove("description")


def require_request_field(spec: Spec) -> None:
    schemas(spec)["TaskCreate"]["required"].append("completed")


def narrow_type(spec: Spec) -> None:
    schemas(spec)["TaskCreate"]["properties"]["completed"] = {"type": "string"}


def remove_enum_value(spec: Spec) -> None:
    schemas(spec)["TaskSort"]["enum"].remove("-title")


def remove_operation(spec: Spec) -> None:
    del spec["paths"][TASK]["delete"]


def remove_parameter(spec: Spec) -> None:
    """The list's last query parameter (optional, as all of them are)."""
    parameters = spec["paths"][TASKS]["get"]["parameters"]
    shared = spec["components"]["parameters"]
    [*_, last] = [
        p for p in parameters if shared[p["$ref"].rsplit("/", 1)[-1]]["in"] == "query"
    ]
    parameters.remove(last)


def require_parameter(spec: Spec) -> None:
    spec["paths"][TASKS]["post"]["parameters"] = [
        {"name": "Idempotency-Key", "in": "header", "required": True,
         "schema": {"type": "string"}},
    ]  # fmt: skip


def remove_response_status(spec: Spec) -> None:
    del spec["paths"][TASK]["get"]["responses"]["200"]


BREAKING: dict[str, Any] = {
    "a removed response field": (remove_response_field, "remove response property"),
    "a request field made required": (require_request_field, "required"),
    "a narrowed type": (narrow_type, "type"),
    "a removed enum value": (remove_enum_value, "remove enum option"),
    "a removed operation": (remove_operation, "remove"),
    # An optional one: Optic's own rules let it go; ours do not.
    "a removed parameter": (remove_parameter, "cannot remove query parameter"),
    "a parameter made required": (require_parameter, "required"),
    "a removed response status": (remove_response_status, "remove"),
}


def add_response_field(spec: Spec) -> None:
    schemas(spec)["Task"]["properties"]["note"] = {"type": ["string", "null"]}


def add_optional_parameter(spec: Spec) -> None:
    spec["paths"][TASKS]["get"]["parameters"].append(
        {"name": "q", "in": "query", "schema": {"type": "string"}}
    )


def diff(tmp_path: Path, edit: Callable[[Spec], None], *, major: bool = False) -> str:
    node_project(CONTRACT_DIFF)
    spec = copy.deepcopy(yaml.safe_load(RELEASED.read_text()))
    edit(spec)
    if major:
        released_major = int(spec["info"]["version"].split(".")[0])
        spec["info"]["version"] = f"{released_major + 1}.0.0"
    changed = tmp_path / "openapi.yaml"
    changed.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = subprocess.run(
        [
            str(OPTIC),
            "diff",
            str(RELEASED),
            str(changed),
            "--check",
            "--standard",
            str(STANDARD.relative_to(PROJECT_ROOT)),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        },
        timeout=120,
        check=False,
    )
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize(("edit", "named"), BREAKING.values(), ids=BREAKING.keys())
def test_a_breaking_change_fails_and_is_named(
    tmp_path: Path, edit: Callable[[Spec], None], named: str
) -> None:
    output = diff(tmp_path, edit)

    assert not output.startswith("exit 0"), output
    assert "This is a breaking change" in output or "x [" in output, output
    assert named in output, output


@pytest.mark.parametrize("edit", [add_response_field, add_optional_parameter])
def test_an_additive_change_passes(
    tmp_path: Path, edit: Callable[[Spec], None]
) -> None:
    output = diff(tmp_path, edit)

    assert output.startswith("exit 0"), output


def test_a_breaking_change_passes_with_a_new_major_version(tmp_path: Path) -> None:
    output = diff(tmp_path, remove_response_field, major=True)

    assert output.startswith("exit 0"), output


def test_the_contract_is_compatible_with_the_released_one(tmp_path: Path) -> None:
    output = diff(
        tmp_path,
        lambda spec: spec.update(copy.deepcopy(contract.CONTRACT)),
    )

    assert output.startswith("exit 0"), output


@pytest.mark.scratch_copy
def test_make_check_names_a_breaking_edit_before_any_type_error(
    scratch: Scratch,
) -> None:
    """A required request field breaks clients, and the regenerated model
    breaks code that leaves it out: `make check` reports the first."""

    def require_description(spec: Spec) -> None:
        schemas(spec)["TaskCreate"]["required"].append("description")
        create = spec["paths"][TASKS]["post"]["requestBody"]["content"]
        create["application/json"]["examples"]["minimal"]["value"]["description"] = None

    scratch.edit_contract(require_description)
    scratch.run("make generate")

    returncode, output = scratch.attempt("make check")

    assert returncode != 0, output
    assert "has breaking changes" in output, output
    assert "description" in output.partition("has breaking changes")[0], output
    assert "mypy" not in output, output
