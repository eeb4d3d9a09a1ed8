"""A nullable sort key of every type the generator maps, on a scratch copy.

Each key takes only what the README's due-date example takes: the field in
the contract, its two sort values, a column and its migration. The copy's
own pagination test (tests/test_pagination.py, which reads the sort keys
from the copy's contract) then pages through each key both ways with limit
3 over NULLs and ties, and its scale test checks that every page is an index
range scan with no sort.
"""

from typing import Any

import pytest

from tests.contract import DATE_TIME_RANGE
from tests.scratch import SERVICE_ENV, Scratch
from tests.test_pagination import FIELD_SORTS

pytestmark = pytest.mark.scratch_copy

TEXT = "^[^\\u0000]*$"
# Per type: its nullable schema, and the column that stores it.
KEYS: dict[str, tuple[dict[str, Any], str]] = {
    "string": (
        {"type": ["string", "null"], "maxLength": 40, "pattern": TEXT},
        "str | None = Field(sa_column=Column(Text, nullable=True))",
    ),
    "integer": (
        {"type": ["integer", "null"], "minimum": -1000, "maximum": 1000},
        "int | None = Field(sa_column=Column(Integer, nullable=True))",
    ),
    "number": (
        {"type": ["number", "null"], "minimum": -1000, "maximum": 1000},
        "float | None = Field(sa_column=Column(Double, nullable=True))",
    ),
    "boolean": (
        {"type": ["boolean", "null"]},
        "bool | None = Field(sa_column=Column(Boolean, nullable=True))",
    ),
    "enum": (
        {"anyOf": [{"$ref": "#/components/schemas/Level"}, {"type": "null"}]},
        "str | None = Field(sa_column=Column(Text, nullable=True))",
    ),
    "date": (
        {"type": ["string", "null"], "format": "date"},
        "date | None = Field(sa_column=Column(Date, nullable=True))",
    ),
    "date_time": (
        {"type": ["string", "null"], "format": "date-time", "pattern": DATE_TIME_RANGE},
        "datetime | None = Field(sa_column=Column(DateTime(timezone=True)))",
    ),
    "uuid": (
        {"type": ["string", "null"], "format": "uuid"},
        "UUID | None = Field(sa_column=Column(PG_UUID(as_uuid=True)))",
    ),
}


def add_sort_keys(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    schemas["Level"] = {"type": "string", "enum": ["low", "high"]}
    for kind, (schema, _) in KEYS.items():
        name = f"by_{kind}"
        for request in ("TaskCreate", "TaskUpdate"):
            schemas[request]["properties"][name] = {**schema, "default": None}
        schemas["Task"]["properties"][name] = schema
        schemas["Task"]["required"].append(name)
        schemas["Task"]["examples"][0][name] = None
        schemas["TaskSort"]["enum"] += [name, f"-{name}"]


def test_a_nullable_sort_key_of_every_type_pages_both_ways(scratch: Scratch) -> None:
    scratch.edit_contract(add_sort_keys)
    columns = "".join(
        f"    by_{kind}: {column}\n" for kind, (_, column) in KEYS.items()
    )
    scratch.insert("impl/tasks/tables.py", "    version: int = Field(", columns)
    scratch.insert(
        "impl/tasks/tables.py",
        "from sqlmodel import Field, SQLModel\n",
        "from datetime import date\n\nfrom sqlalchemy import Date, Double\n",
    )
    scratch.run("make format")
    scratch.run("make generate")
    scratch.run('make revision MESSAGE="add sort keys"')

    suite_env = {k: v for k, v in scratch.env.items() if k not in SERVICE_ENV}
    output = scratch.run(
        ".venv/bin/pytest -q -p no:cacheprovider tests/test_pagination.py "
        "tests/test_scale.py",
        env=suite_env,
        timeout=900,
    )

    # The copy's pages: the product's sort keys and the corpus's, both ways;
    # then test_pagination's two other tests and test_scale's two.
    sorts = len(FIELD_SORTS) + 2 * len(KEYS)
    assert f"{sorts + 2 + 2} passed" in output, output[-3000:]
