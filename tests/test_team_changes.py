"""Changes a team makes that the README's examples do not show, on a scratch
copy: a list field with a filter on it, and a nullable number with a sort
key and a filter. Each takes only the README's steps (the contract, `make
generate`, the column, the handler's parameter and its filter, the
migration), and then `make check` and the tests that read the contract's
fields, filters and sort keys pass on the copy with no test edited.
"""

from typing import Any

import pytest
import yaml

from tests.scratch import SERVICE_ENV, Scratch

pytestmark = pytest.mark.scratch_copy

TEXT = "^[^\\u0000]*$"
LABELS = {
    "type": "array",
    "maxItems": 10,
    "items": {
        "type": "string",
        "minLength": 1,
        "maxLength": 20,
        "pattern": TEXT,
        "examples": ["errand"],
    },
}
EFFORT = {"type": ["integer", "null"], "minimum": 0, "maximum": 100}
PARAMETERS = """\
- name: min_effort
  in: query
  description: Only the tasks of at least this effort.
  schema:
    type: integer
    minimum: 0
    maximum: 100
- name: label
  in: query
  description: Only the tasks that carry this label.
  schema:
    type: string
    minLength: 1
    maxLength: 20
    pattern: '^[^\\u0000]*$'
"""
COLUMNS = """\
    labels: list[str] = Field(
        sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    effort: int | None = Field(sa_column=Column(Integer, nullable=True))
"""
HANDLER_PARAMETERS = """\
        label: str | None,
        min_effort: int | None,
"""
FILTERS = """\
    "label": lambda tasks, value: value == any_(tasks.c.labels),
    "min_effort": lambda tasks, value: tasks.c.effort >= value,
"""
CONTRACT_TESTS = (
    "tests/test_patch.py tests/test_pagination.py tests/test_scale.py "
    "tests/test_bad_input.py tests/test_operations.py tests/test_round_trips.py "
    "tests/test_formats.py tests/test_conformance.py"
)


def add_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name, schema, default in (("labels", LABELS, []), ("effort", EFFORT, None)):
        for request in ("TaskCreate", "TaskUpdate"):
            schemas[request]["properties"][name] = {**schema, "default": default}
        for other in ("TaskPatch", "Task"):
            schemas[other]["properties"][name] = schema
        schemas["Task"]["required"].append(name)
        schemas["Task"]["examples"][0][name] = default
    schemas["TaskSort"]["enum"] += ["effort", "-effort"]
    listing = spec["paths"]["/api/{user_id}/tasks"]["get"]
    listing["parameters"] += yaml.safe_load(PARAMETERS)


def test_a_list_field_a_sort_key_and_filters_need_no_test_edited(
    scratch: Scratch,
) -> None:
    scratch.edit_contract(add_fields)
    scratch.insert("impl/tasks/tables.py", "    version: int = Field(", COLUMNS)
    scratch.insert(
        "impl/tasks/tables.py",
        "from sqlmodel import Field, SQLModel\n",
        "from sqlalchemy import ARRAY\n",
    )
    # Keyword-only parameters in another order than the contract's.
    scratch.insert(
        "impl/tasks/handlers.py", "        sort: list[TaskSort],\n", HANDLER_PARAMETERS
    )
    scratch.insert(
        "impl/tasks/listing.py",
        '    "completed": lambda tasks, value: tasks.c.completed == value,\n',
        FILTERS,
        before=False,
    )
    scratch.insert(
        "impl/tasks/listing.py",
        "from sqlalchemy import (\n",
        "from sqlalchemy import any_\n",
    )
    scratch.run("make format")
    scratch.run("make generate")
    scratch.run('make revision MESSAGE="add labels and effort"')
    scratch.run("make check")

    suite_env = {k: v for k, v in scratch.env.items() if k not in SERVICE_ENV}
    output = scratch.run(
        f".venv/bin/pytest -q -p no:cacheprovider {CONTRACT_TESTS}",
        env=suite_env,
        timeout=1200,
    )
    assert " passed" in output, output[-3000:]
    assert " failed" not in output, output[-3000:]
