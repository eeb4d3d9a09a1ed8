"""The README's worked examples, step by step, each on a scratch copy.

Each example takes the steps the README lists and nothing else, then runs
what a team runs on any change: `make check` and the whole `make test` on
the changed copy (schemathesis, the bad-input probes and the pagination of
every sort key then cover the new field too). A service started from the
copy shows the example's own behaviour. The README must show each snippet
used here, verbatim.

1. A effort: an enum field with a default, through every write path.
2. A start time: a nullable date-time field, sortable both ways, and a query
   parameter that filters by it, implemented in the handler.
"""

from typing import Any

import httpx
import pytest
import yaml

from impl.settings import PROJECT_ROOT
from tests.scratch import Scratch
from tests.support import Keys, service_process

pytestmark = pytest.mark.scratch_copy

README = (PROJECT_ROOT / "README.md").read_text()

EFFORT_SCHEMA = """\
    Effort:
      type: string
      enum: [low, normal, high]
"""
EFFORT_FIELD = """\
        effort:
          $ref: '#/components/schemas/Effort'
          default: normal
"""
EFFORT_COLUMN = """\
    effort: str = Field(sa_column=Column(Text, nullable=False, server_default="normal"))
"""
EFFORT_COMMANDS = ["make generate", 'make revision MESSAGE="add effort"']

DATE_TIME_RANGE = (
    "'^(?!0001-01-01[Tt][0-9:.]+\\+(?!00:00$))(?!9999-12-31[Tt][0-9:.]+-(?!00:00$))'"
)
DUE_FIELD = f"""\
        start_at:
          type: [string, 'null']
          format: date-time
          pattern: {DATE_TIME_RANGE}
          default: null
"""
DUE_SORTS = ["start_at", "-start_at"]
DUE_PARAMETER = f"""\
        - name: start_before
          in: query
          description: Only the tasks that start before this instant.
          schema:
            type: string
            format: date-time
            pattern: {DATE_TIME_RANGE}
"""
DUE_COLUMN = """\
    start_at: datetime | None = Field(
        sa_column=Column(DateTime(timezone=True), nullable=True)
    )
"""
DUE_HANDLER_PARAMETER = """\
        start_before: AwareDatetime | None,
"""
DUE_FILTER = """\
    "start_before": lambda tasks, value: tasks.c.start_at < value,
"""
DUE_COMMANDS = ["make generate", 'make revision MESSAGE="add start_at"']

SNIPPETS = [
    EFFORT_SCHEMA,
    EFFORT_FIELD,
    EFFORT_COLUMN,
    *EFFORT_COMMANDS,
    DUE_FIELD,
    DUE_PARAMETER,
    DUE_COLUMN,
    DUE_HANDLER_PARAMETER,
    DUE_FILTER,
    *DUE_COMMANDS,
]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_the_readme_shows_every_step(snippet: str) -> None:
    assert snippet in README


def test_the_readme_says_where_each_step_goes() -> None:
    prose = " ".join(README.split())
    assert "to `TaskPatch` and `Task`, without the default" in prose
    assert "add `effort` to `Task`'s `required`" in prose
    assert "`effort: normal` to `Task`'s example" in prose
    assert "add `start_at` to `Task`'s `required`" in prose
    assert "`start_at: null` to its example" in prose
    assert "`start_at` and `-start_at` to the `enum` of `TaskSort`" in prose


def add_field(spec: dict[str, Any], field: str, name: str, example: Any) -> None:
    """A field on the create and replace schemas, and on the patch and Task
    without its default; required in Task, and in its example."""
    schemas = spec["components"]["schemas"]
    for schema in ("TaskCreate", "TaskUpdate"):
        schemas[schema]["properties"].update(yaml.safe_load(field))
    without_default = yaml.safe_load(field)
    del without_default[name]["default"]
    for schema in ("TaskPatch", "Task"):
        schemas[schema]["properties"].update(without_default)
    schemas["Task"]["required"].append(name)
    schemas["Task"]["examples"][0][name] = example


def run_steps(scratch: Scratch, commands: list[str], revision: str) -> None:
    for command in commands:
        scratch.run(command)
    [written] = (scratch.root / "impl" / "db" / "alembic" / "versions").glob(
        f"*{revision}*"
    )
    # The revision passes `make check` as Alembic wrote it (formatted for us).
    scratch.run(f"ruff check {written} && ruff format --check {written}")


def test_adding_an_enum_field_with_a_default_takes_the_readmes_steps(
    scratch: Scratch, keys: Keys
) -> None:
    def contract(spec: dict[str, Any]) -> None:
        spec["components"]["schemas"].update(yaml.safe_load(EFFORT_SCHEMA))
        add_field(spec, EFFORT_FIELD, "effort", "normal")

    scratch.edit_contract(contract)
    scratch.insert("impl/tasks/tables.py", "    version: int = Field(", EFFORT_COLUMN)
    run_steps(scratch, EFFORT_COMMANDS, "add_effort")
    scratch.check_and_test()

    with service_process(scratch.root, scratch.env) as (_, base, _):
        assert_effort_round_trips(base, keys)


def assert_effort_round_trips(base: str, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.token('pat')}"}
    tasks = "/api/pat/tasks"
    with httpx.Client(base_url=base, headers=headers) as client:
        default = client.post(tasks, json={"title": "default"})
        assert default.status_code == 201, default.text
        assert default.json()["effort"] == "normal"

        created = client.post(tasks, json={"title": "high", "effort": "high"})
        assert created.json()["effort"] == "high"
        task = f"{tasks}/{created.json()['id']}"

        keyed = {"Idempotency-Key": "worked-example"}
        first = client.post(tasks, json={"title": "k", "effort": "low"}, headers=keyed)
        replay = client.post(tasks, json={"title": "k", "effort": "low"}, headers=keyed)
        assert (first.status_code, replay.status_code) == (201, 201)
        assert first.json()["effort"] == replay.json()["effort"] == "low"

        replaced = client.put(task, json={"title": "high", "effort": "low"})
        assert replaced.json()["effort"] == "low"
        conditional = client.put(
            task,
            json={"title": "high", "effort": "high"},
            headers={"If-Match": replaced.headers["ETag"]},
        )
        assert conditional.status_code == 200, conditional.text
        assert conditional.json()["effort"] == "high"
        patched = client.patch(
            task,
            content=b'{"effort": "low"}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["title"], patched.json()["effort"]) == ("high", "low")
        # Left out of a replacement, the field takes its default.
        assert client.put(task, json={"title": "x"}).json()["effort"] == "normal"

        assert client.get(task).json()["effort"] == "normal"
        listed = {t["title"]: t["effort"] for t in client.get(tasks).json()["items"]}
        assert listed == {"default": "normal", "x": "normal", "k": "low"}
        invalid = client.post(tasks, json={"title": "bad", "effort": "urgent"})
        assert invalid.status_code == 422

        weekly = client.post(
            tasks,
            json={
                "title": "weekly",
                "effort": "high",
                "due_date": "2026-12-07",
                "recurrence": "FREQ=WEEKLY",
            },
        ).json()
        done = client.patch(
            f"{tasks}/{weekly['id']}",
            content=b'{"completed": true}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        following = client.get(f"{tasks}/{done.json()['next_occurrence']}").json()
        assert (following["due_date"], following["effort"]) == ("2026-12-14", "high")


def test_adding_a_sortable_filterable_start_time_takes_the_readmes_steps(
    scratch: Scratch, keys: Keys
) -> None:
    def contract(spec: dict[str, Any]) -> None:
        add_field(spec, DUE_FIELD, "start_at", None)
        spec["components"]["schemas"]["TaskSort"]["enum"] += DUE_SORTS
        listing = spec["paths"]["/api/{user_id}/tasks"]["get"]
        listing["parameters"] += yaml.safe_load(DUE_PARAMETER)

    scratch.edit_contract(contract)
    scratch.insert("impl/tasks/tables.py", "    version: int = Field(", DUE_COLUMN)
    scratch.insert(
        "impl/tasks/handlers.py",
        "        q: str | None,\n",
        DUE_HANDLER_PARAMETER,
        before=False,
    )
    scratch.insert(
        "impl/tasks/listing.py",
        '    "completed": lambda tasks, value: tasks.c.completed == value,\n',
        DUE_FILTER,
        before=False,
    )
    scratch.run("make format")
    run_steps(scratch, DUE_COMMANDS, "add_start_at")
    scratch.check_and_test()

    with service_process(scratch.root, scratch.env) as (_, base, _):
        assert_due_dates_round_trip(base, keys)


def assert_due_dates_round_trip(base: str, keys: Keys) -> None:
    headers = {"Authorization": f"Bearer {keys.token('pat')}"}
    tasks = "/api/pat/tasks"
    with httpx.Client(base_url=base, headers=headers) as client:
        undated = client.post(tasks, json={"title": "undated"})
        assert undated.status_code == 201, undated.text
        assert undated.json()["start_at"] is None
        soon = client.post(
            tasks, json={"title": "soon", "start_at": "2026-12-24T18:00:00+01:00"}
        ).json()
        assert soon["start_at"] == "2026-12-24T17:00:00Z"
        keyed = {"Idempotency-Key": "due"}
        body = {"title": "later", "start_at": "2027-01-31T09:00:00Z"}
        later = client.post(tasks, json=body, headers=keyed)
        assert client.post(tasks, json=body, headers=keyed).json() == later.json()

        task = f"{tasks}/{soon['id']}"
        moved = client.put(
            task,
            json={"title": "soon", "start_at": "2026-12-25T08:00:00Z"},
            headers={"If-Match": client.get(task).headers["ETag"]},
        )
        assert moved.json()["start_at"] == "2026-12-25T08:00:00Z"
        for due in ("2026-12-26T08:00:00Z", None):
            patched = client.patch(
                task,
                json={"start_at": due},
                headers={"Content-Type": "application/merge-patch+json"},
            )
            assert patched.status_code == 200, patched.text
            assert (patched.json()["title"], patched.json()["start_at"]) == (
                "soon",
                due,
            )
        client.put(task, json={"title": "soon", "start_at": "2026-12-25T08:00:00Z"})

        def titles(**params: str) -> list[str]:
            page = client.get(tasks, params=params)
            assert page.status_code == 200, page.text
            return [t["title"] for t in page.json()["items"]]

        assert titles(sort="start_at") == ["soon", "later", "undated"]
        assert titles(sort="-start_at") == ["undated", "later", "soon"]
        assert titles(start_before="2027-01-01T00:00:00Z") == ["soon"]
        assert titles(start_before="2027-01-31T10:00:00+01:00", sort="start_at") == [
            "soon"
        ]
        for loose in ("2026-12-25", "0.5", "9999999999", "2026-12-24T18:00"):
            refused = client.get(tasks, params={"start_before": loose})
            assert refused.status_code == 422, loose
            assert refused.json()["errors"][0]["pointer"] == "/start_before"
        out_of_range = client.post(
            tasks, json={"title": "x", "start_at": "0001-01-01T00:00:00+01:00"}
        )
        assert out_of_range.status_code == 422
        assert out_of_range.json()["errors"][0]["pointer"] == "/start_at"
