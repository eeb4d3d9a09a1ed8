"""generated/ is a pure function of openapi.yaml, and handlers must fit it.

A handler that is missing, not async, or whose signature drifted from the
contract stops the app when it is built, naming the operation; mypy reports
the same through the generated Handlers protocol.
"""

import copy
import inspect
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
import yaml

from generated.routes import OPERATIONS, build_routes
from impl.app import Handlers
from impl.contexts import public_context, request_context
from impl.settings import PROJECT_ROOT, Settings
from impl.tasks import handlers
from runtime.binding import HandlerBindingError
from runtime.routes import SecurityBindingError
from tests.contract import DATE_TIME_RANGE
from tests.scratch import scratch_copy
from tests.support import Keys

HANDLERS = Handlers(Settings())


def handlers_except(**changes: Any) -> SimpleNamespace:
    functions = {o.handler: getattr(HANDLERS, o.handler) for o in OPERATIONS}
    functions.update(changes)
    return SimpleNamespace(**{k: v for k, v in functions.items() if v is not None})


def build(candidate: object) -> None:
    build_routes(
        candidate,  # type: ignore[arg-type]
        {"bearerAuth": request_context},
        public_context,
    )


def test_the_real_handlers_bind() -> None:
    build(HANDLERS)


def test_a_security_scheme_without_a_context_stops_the_app_naming_it() -> None:
    with pytest.raises(SecurityBindingError, match=r"listTasks requires bearerAuth"):
        build_routes(HANDLERS, {"cookieAuth": request_context}, public_context)


def test_a_missing_handler_stops_the_app_naming_the_operation() -> None:
    with pytest.raises(
        HandlerBindingError, match=r"deleteTask: .* no handler delete_task"
    ):
        build(handlers_except(delete_task=None))


def test_a_sync_handler_stops_the_app() -> None:
    def get_task(ctx: Any, *, user_id: str, task_id: Any) -> Any: ...

    with pytest.raises(HandlerBindingError, match=r"getTask: .*must be `async def`"):
        build(handlers_except(get_task=get_task))


def test_a_drifted_signature_stops_the_app_saying_what_differs() -> None:
    async def create_task(ctx: Any, *, user_id: str, body: dict[str, Any]) -> Any: ...

    with pytest.raises(HandlerBindingError) as refused:
        build(handlers_except(create_task=create_task))

    message = str(refused.value)
    assert "createTask: " in message
    assert "lacks `idempotency_key: str | None`" in message
    assert (
        "has `body: dict[str, typing.Any]`, the contract needs `body: TaskCreate`"
        in message
    )


def test_keyword_only_parameters_may_come_in_any_order() -> None:
    real = HANDLERS.get_task

    async def get_task(
        ctx: Any, *, if_none_match: str | None, task_id: UUID, user_id: str
    ) -> Any:
        return await real(
            ctx, user_id=user_id, task_id=task_id, if_none_match=if_none_match
        )

    get_task.__annotations__["return"] = inspect.signature(real).return_annotation
    build(handlers_except(get_task=get_task))


def run_generator(
    target: Path, spec: Path = PROJECT_ROOT / "openapi.yaml"
) -> subprocess.CompletedProcess[str]:
    target.mkdir()
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pathlib\n"
            "from tools import generate\n"
            "target, spec = map(pathlib.Path, sys.argv[1:])\n"
            "generate.generate_into(target, spec)",
            str(target),
            str(spec),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def generate_into(target: Path, spec: Path = PROJECT_ROOT / "openapi.yaml") -> None:
    result = run_generator(target, spec)
    assert result.returncode == 0, f"the generator failed:\n{result.stderr}"


@pytest.mark.process
def test_generation_is_deterministic_and_up_to_date(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"

    generate_into(first)
    generate_into(second)

    names = sorted(p.name for p in first.glob("*.py"))
    assert names == ["__init__.py", "facts.py", "models.py", "routes.py"]
    assert names == sorted(p.name for p in second.glob("*.py"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        committed = PROJECT_ROOT / "generated" / name
        assert committed.read_bytes() == (first / name).read_bytes(), name
        assert committed.read_text().startswith("# DO NOT EDIT")


# What teams write: contract variants, applied to a scratch copy of the
# contract, must generate code that passes mypy strict and ruff.

Spec = dict[str, Any]


def new_fields(spec: Spec) -> None:
    """An enum with a default, nullable values, arrays of constrained
    strings, nested objects, integer and number ranges, date and date-time,
    uuid, email and uri formats: on both request schemas and on Task. Their
    names are the examples' own, so that no field the product adds meets
    them."""
    schemas = spec["components"]["schemas"]
    schemas["SamplePriority"] = {"type": "string", "enum": ["low", "normal", "high"]}
    fields: Spec = {
        "sample_priority": {
            "$ref": "#/components/schemas/SamplePriority",
            "default": "normal",
        },
        "sample_tags": {
            "type": "array",
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": 32,
                "pattern": "^[^\\u0000]*$",
            },
            "maxItems": 20,
            "default": [],
        },
        "sample_due_on": {
            "type": ["string", "null"],
            "format": "date",
            "default": None,
        },
        "sample_remind_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "pattern": DATE_TIME_RANGE,
            "default": None,
        },
        "sample_estimate": {
            "type": "integer",
            "minimum": 0,
            "maximum": 600,
            "default": 0,
        },
        "sample_weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "sample_link": {"type": ["string", "null"], "format": "uri", "default": None},
        "sample_contact": {
            "type": ["string", "null"],
            "format": "email",
            "default": None,
        },
        "sample_parent_id": {
            "type": ["string", "null"],
            "format": "uuid",
            "default": None,
        },
        "sample_place": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["lat", "lon"],
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
            },
            "default": None,
        },
    }
    for name in ("TaskCreate", "TaskUpdate"):
        schemas[name]["properties"].update(fields)
    schemas["Task"]["properties"].update(
        {
            name: {k: v for k, v in field.items() if k != "default"}
            for name, field in fields.items()
        }
    )
    schemas["Task"]["required"] += list(fields)
    example = {name: field.get("default") for name, field in fields.items()}
    schemas["Task"]["examples"][0].update(example, sample_weight=0.5)


def new_parameters_and_operation(spec: Spec) -> None:
    """A new optional query parameter, a new request header, and a new
    operation: PATCH for partial updates."""
    tasks = spec["paths"]["/api/{user_id}/tasks"]
    # Names no real parameter has, so that the variant never collides with
    # what the contract has grown since.
    tasks["get"]["parameters"] += [
        {
            "name": "variant_q",
            "in": "query",
            "schema": {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000]*$"},
        },
        {
            "name": "variant_due_before",
            "in": "query",
            "schema": {"type": "string", "format": "date"},
        },
        {
            "name": "variant_after",
            "in": "query",
            "schema": {
                "type": "string",
                "format": "date-time",
                "pattern": DATE_TIME_RANGE,
            },
        },
    ]
    tasks["post"]["parameters"].append(
        {
            "name": "X-Variant-Client-Version",
            "in": "header",
            "schema": {"type": "string", "maxLength": 32},
        }
    )
    schemas = spec["components"]["schemas"]
    schemas["TaskPatch"] = {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "title": {"$ref": "#/components/schemas/Title"},
            "description": {"$ref": "#/components/schemas/Description"},
            "completed": {"type": "boolean"},
        },
    }
    task = spec["paths"]["/api/{user_id}/tasks/{task_id}"]
    task["patch"] = {
        "operationId": "patchTask",
        "summary": "Change some of a task's fields",
        "tags": ["tasks"],
        "parameters": [{"$ref": "#/components/parameters/IfMatch"}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/TaskPatch"}
                }
            },
        },
        "responses": task["put"]["responses"],
    }


VARIANTS = {
    "new fields": new_fields,
    "new parameters and a PATCH": new_parameters_and_operation,
}


@pytest.mark.process
def test_contract_variants_generate_code_that_type_checks(tmp_path: Path) -> None:
    contract = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
    roots = []
    for n, vary in enumerate(VARIANTS.values()):
        root = tmp_path / f"variant{n}"
        root.mkdir()
        spec = copy.deepcopy(contract)
        vary(spec)
        (root / "openapi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        generate_into(root / "generated", root / "openapi.yaml")
        # What generated code imports besides itself.
        (root / "runtime").symlink_to(PROJECT_ROOT / "runtime")
        roots.append(root)

    models = (roots[0] / "generated" / "models.py").read_text()
    assert "RootModel" not in models  # constrained items stay plain strings
    assert "sample_priority: SamplePriority = SamplePriority.NORMAL" in models
    routes = (roots[1] / "generated" / "routes.py").read_text()
    assert "async def patch_task(" in routes
    assert "variant_due_before: date | None" in routes
    assert "variant_after: AwareDatetime | None" in routes
    for root in roots:
        (root / "mypy.ini").write_text(
            "[mypy]\nstrict = True\nplugins = pydantic.mypy\n"
        )
        typed = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                "mypy.ini",
                "-p",
                "generated",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert typed.returncode == 0, (root.name, typed.stdout)
        linted = subprocess.run(
            [
                str(Path(sys.executable).parent / "ruff"), "check", "--no-cache",
                "--config", str(PROJECT_ROOT / "pyproject.toml"), "generated",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        assert linted.returncode == 0, (root.name, linted.stdout)


def test_a_contract_field_without_a_column_stops_the_app_naming_it() -> None:
    from pydantic import BaseModel

    from impl.tasks.binding import ColumnBindingError, check_columns
    from impl.tasks.tables import tasks

    class TaskCreate(BaseModel):
        title: str
        sample_labels: list[str]

    assert "sample_labels" not in tasks.c
    with pytest.raises(ColumnBindingError) as stopped:
        check_columns(tasks, TaskCreate)

    assert str(stopped.value) == (
        "openapi.yaml names what the database cannot hold: "
        "TaskCreate.sample_labels: add a `sample_labels` column to the table"
        " `tasks` (impl/tasks/tables.py), then write its migration with"
        ' `make revision MESSAGE="add sample_labels"`'
    )


def test_a_query_parameter_without_a_filter_stops_the_app_naming_it() -> None:
    from impl.tasks.binding import ColumnBindingError, check_filters
    from impl.tasks.listing import FILTERS, QUALIFIERS
    from runtime.parameters import Parameter

    [listing] = [o for o in OPERATIONS if o.operation_id == "listTasks"]
    check_filters(FILTERS, listing.parameters, QUALIFIERS)
    # A name no real parameter has, so that a copy that adds one still passes.
    extra = Parameter("variant_before", "query", "variant_before", False)

    with pytest.raises(ColumnBindingError) as stopped:
        check_filters(
            [name for name in FILTERS if name != "q"],
            (*listing.parameters, extra),
            QUALIFIERS,
        )

    assert str(stopped.value) == (
        "listTasks' query parameter q filters nothing: add"
        ' `"q": lambda tasks, value: <its condition>` to FILTERS in'
        " impl/tasks/listing.py (or to its feature's room); listTasks' query"
        " parameter variant_before filters nothing: add"
        ' `"variant_before": lambda tasks, value: <its condition>` to FILTERS'
        " in impl/tasks/listing.py (or to its feature's room)"
    )
    with pytest.raises(ColumnBindingError, match="FILTERS' variant_label is no"):
        check_filters([*FILTERS, "variant_label"], listing.parameters, QUALIFIERS)


@pytest.mark.process
@pytest.mark.scratch_copy
@pytest.mark.parametrize(
    "command", [["--dev"], ["--workers", "2"]], ids=["make run", "make serve"]
)
def test_a_field_or_sort_key_without_a_column_refuses_to_start_in_one_line(
    tmp_path: Path, database_url: str, keys: Keys, command: list[str]
) -> None:
    def contract(spec: dict[str, Any]) -> None:
        schemas = spec["components"]["schemas"]
        schemas["TaskCreate"]["properties"]["snoozed_until"] = {
            "type": ["string", "null"],
            "format": "date-time",
            "pattern": DATE_TIME_RANGE,
            "default": None,
        }
        schemas["TaskSort"]["enum"] += ["snoozed_until", "-snoozed_until", "rank"]

    with scratch_copy(tmp_path, database_url, keys) as scratch:
        scratch.edit_contract(contract)
        scratch.run("make generate")

        result = scratch.service(*command)

    assert result.returncode != 0
    assert result.stdout == ""  # no banner, no token
    assert result.stderr.startswith("refusing to start: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for missing in (
        "TaskCreate.snoozed_until: add a `snoozed_until` column",
        "TaskSort rank",
    ):
        assert missing in result.stderr, result.stderr


def free_text_without_pattern(spec: Spec) -> None:
    spec["components"]["schemas"]["TaskCreate"]["properties"]["notes"] = {
        "type": "string"
    }


def query_text_without_pattern(spec: Spec) -> None:
    spec["paths"]["/api/{user_id}/tasks"]["get"]["parameters"].append(
        {"name": "q", "in": "query", "schema": {"type": "string", "pattern": "[a-z]"}}
    )


def date_time_without_range(spec: Spec) -> None:
    spec["components"]["schemas"]["TaskCreate"]["properties"]["remind_at"] = {
        "type": "string",
        "format": "date-time",
    }


def query_date_time_without_range(spec: Spec) -> None:
    spec["paths"]["/api/{user_id}/tasks"]["get"]["parameters"].append(
        {
            "name": "since",
            "in": "query",
            "schema": {"type": "string", "format": "date-time"},
        }
    )


def property_named_for_no_one(spec: Spec) -> None:
    spec["components"]["schemas"]["TaskCreate"]["properties"]["_rank"] = {
        "type": "integer"
    }


def field_required_but_not_in_the_example(spec: Spec) -> None:
    task = spec["components"]["schemas"]["Task"]
    task["properties"]["variant_effort"] = {"type": "string"}
    task["required"].append("variant_effort")


def date_time_example_out_of_format(spec: Spec) -> None:
    task = spec["components"]["schemas"]["Task"]
    task["examples"][0]["created_at"] = "yesterday"


def inline_problem_response(spec: Spec) -> None:
    responses = spec["paths"]["/api/{user_id}/tasks/{task_id}"]["get"]["responses"]
    ref = responses["404"]["$ref"].rpartition("/")[2]
    responses["404"] = spec["components"]["responses"][ref]


@pytest.mark.process
@pytest.mark.parametrize(
    ("vary", "named"),
    [
        (
            field_required_but_not_in_the_example,
            '#/components/schemas/Task/examples/0: "variant_effort" is a required',
        ),
        (
            date_time_example_out_of_format,
            '#/components/schemas/Task/examples/0: "yesterday" is not a "date-time"',
        ),
        (inline_problem_response, "GET /api/{user_id}/tasks/{task_id} response 404"),
        (free_text_without_pattern, "TaskCreate/properties/notes: give it a pattern"),
        (query_text_without_pattern, "parameter q (schema): give it a pattern"),
        (
            date_time_without_range,
            "TaskCreate/properties/remind_at: give it the pattern",
        ),
        (
            query_date_time_without_range,
            "parameter since (schema): give it the pattern",
        ),
        (property_named_for_no_one, "properties/_rank: start its name with a letter"),
    ],
)
def test_make_generate_refuses_a_contract_that_leaves_out_a_rule(
    tmp_path: Path, vary: Any, named: str
) -> None:
    spec = yaml.safe_load((PROJECT_ROOT / "openapi.yaml").read_text())
    vary(spec)
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))

    result = run_generator(tmp_path / "generated", tmp_path / "openapi.yaml")

    assert result.returncode != 0
    assert "breaks a rule of the generator" in result.stderr, result.stderr
    assert named in result.stderr, result.stderr
    assert not list((tmp_path / "generated").iterdir())


def mypy_on_changed_handlers(tmp_path: Path, old: str, new: str) -> str:
    """mypy's report on impl/tasks/handlers.py with one change, at its own path."""
    source = inspect.getsource(handlers)
    assert source.count(old) == 1, old
    (tmp_path / "changed_handlers.py").write_text(source.replace(old, new))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            f"--cache-dir={tmp_path / 'mypy-cache'}",
            str(tmp_path / "changed_handlers.py"),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"MYPYPATH": str(PROJECT_ROOT), "PATH": ""},
        check=False,
    )
    assert result.returncode == 1, result.stdout
    return result.stdout


@pytest.mark.process
def test_mypy_refuses_a_reply_without_a_header_the_contract_requires(
    tmp_path: Path,
) -> None:
    report = mypy_on_changed_handlers(
        tmp_path,
        '{"ETag": etag(row["version"]), "Location": location}',
        '{"Location": location}',
    )

    assert 'Missing key "ETag" for TypedDict "CreateTaskHeaders"' in report, report


@pytest.mark.process
def test_mypy_reports_a_drifted_handler_at_the_handler(tmp_path: Path) -> None:
    signature = (
        "self, ctx: RequestContext, *, user_id: str, task_id: UUID,"
        " if_match: str | None\n"
    )
    source = inspect.getsource(handlers)
    line = source[: source.index(signature)].count("\n") + 1

    report = mypy_on_changed_handlers(
        tmp_path, signature, signature.replace("UUID", "str")
    )

    # The method's own line, whichever of the signature's lines it is on.
    reported = {
        int(found.split(":")[1])
        for found in report.splitlines()
        if found.startswith(f"{tmp_path / 'changed_handlers.py'}:")
    }
    assert reported & {line - 1, line}, report
    assert 'of "delete_task" is incompatible with supertype' in report


@pytest.mark.process
def test_mypy_refuses_a_misspelt_parameter_of_a_statement(tmp_path: Path) -> None:
    report = mypy_on_changed_handlers(
        tmp_path,
        'GET({"owner": user_id, "task": task_id})',
        'GET({"owner": user_id, "tsak": task_id})',
    )

    assert 'Extra key "tsak" for TypedDict "OwnedParams"' in report, report


@pytest.mark.scratch_copy
def test_make_check_refuses_a_misspelt_bind_parameter_in_a_statement(
    tmp_path: Path, database_url: str, keys: Keys
) -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    check = makefile[makefile.index("\ncheck:") :].split("\n\n")[0]
    assert "$(BIN)/python -m impl --check" in check

    with scratch_copy(tmp_path, database_url, keys) as scratch:
        statements_py = scratch.root / "impl" / "tasks" / "statements.py"
        source = statements_py.read_text()
        assert source.count('bindparam("task")') == 1
        statements_py.write_text(
            source.replace('bindparam("task")', 'bindparam("tsak")')
        )
        result = scratch.service("--check")

    assert result.returncode != 0
    assert result.stderr.startswith("the service would refuse to start: "), result
    assert "['tsak']" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
