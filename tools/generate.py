"""Write generated/ from openapi.yaml, or check that it is up to date.

`make generate` runs this script; `make check` runs it with --check. The
schemas come from datamodel-code-generator and the routes from
fastapi-code-generator with the project's templates in tools/templates/.
Both format with black under the settings pinned in pyproject.toml, so two
runs give identical bytes.
"""

import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from datamodel_code_generator import generate
from datamodel_code_generator.enums import DataModelType, InputFileType, StrictTypes
from datamodel_code_generator.format import Formatter, PythonVersion
from fastapi_code_generator.cli import generate_code

from tools.examples import example_violations, inline_problem_examples
from tools.openapi import METHODS, ROOT, SPEC, load, resolve_named

OUTPUT = ROOT / "generated"
TEMPLATES = ROOT / "tools" / "templates"


def header(spec: Path) -> str:
    return (
        "# DO NOT EDIT: generated from openapi.yaml by `make generate`.\n"
        "# Change the contract (or tools/templates/) and run `make generate` again.\n"
        f"# openapi.yaml sha256: {hashlib.sha256(spec.read_bytes()).hexdigest()}"
    )


def not_nullable_optionals(spec: Path) -> defaultdict[str, dict[str, Any]]:
    """Per schema, its optional properties that may not be null, and its
    arrays whose items must be distinct.

    datamodel-code-generator types a property that may be left out, and has
    no default, as `X | None = None`, which would take an explicit null the
    contract refuses (a merge patch's `title: null`). Each such schema's
    model names them in `__not_nullable__`, which runtime.models enforces.
    """
    contract = load(spec)
    found: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    for name, schema in contract.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        fields = sorted(
            field
            for field, raw in schema.get("properties", {}).items()
            if field not in required
            and "default" not in raw
            and "null" not in _types(resolve_named(contract, raw)[1])
        )
        lines = []
        if fields:
            # Written in sorted order, so that the bytes never vary.
            listed = ", ".join(map(repr, fields))
            lines.append(f"__not_nullable__ = {{{listed}}}")
        unique = sorted(
            field
            for field, raw in schema.get("properties", {}).items()
            if resolve_named(contract, raw)[1].get("uniqueItems")
        )
        if unique:
            # datamodel-code-generator drops uniqueItems from a list's type.
            lines.append(f"__unique_items__ = {{{', '.join(map(repr, unique))}}}")
        if lines:
            found[name] = {"class_body_lines": lines}
    return found


def _types(schema: dict[str, Any]) -> list[str]:
    types = schema.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def _without_format_patterns(node: Any) -> Any:
    """The contract with no `pattern` on a string that has a `format`: the
    format's reader in runtime/models.py holds such a value to its grammar
    and range (the rule `date_time_rule_violations` checks the pattern
    states), where pydantic could not apply a pattern to a datetime."""
    if isinstance(node, dict):
        return {
            key: _without_format_patterns(value)
            for key, value in node.items()
            if not (key == "pattern" and "format" in node)
        }
    if isinstance(node, list):
        return [_without_format_patterns(item) for item in node]
    return node


def write_models(spec: Path, target: Path) -> None:
    generate(
        _without_format_patterns(load(spec)),
        input_file_type=InputFileType.OpenAPI,
        input_filename=spec.name,
        output=target,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        # Annotated constraints type-check under mypy, where constr(...) does not.
        use_annotated=True,
        field_constraints=True,
        # Title and Description are shared schemas; inline them as plain str fields.
        collapse_root_models=True,
        strict_nullable=True,
        # JSON true/false only: no coercion of "yes" or 0 to a bool.
        strict_types=[StrictTypes.bool, StrictTypes.str, StrictTypes.int],
        use_standard_collections=True,
        use_union_operator=True,
        # Upper-case members: `title` would shadow str.title on a StrEnum.
        capitalise_enum_members=True,
        # A member for a value no name can start with, TaskSort's `-title`,
        # is DESC_TITLE: a leading `-` means descending there. No property
        # gets the prefix: check_rules refuses one that does not start with
        # a letter.
        special_field_name_prefix="desc",
        disable_timestamp=True,
        custom_file_header=header(spec),
        extra_template_data=not_nullable_optionals(spec),
        # Every model shares runtime/models.py's exact formats.
        base_class="runtime.models.ContractModel",
        # Enum defaults as members, constrained items as plain annotated
        # types (list[str] with constraints), not RootModel wrappers.
        set_default_enum_member=True,
        use_type_alias=True,
        formatters=[Formatter.BLACK, Formatter.ISORT],
        settings_path=ROOT,
    )


def write_routes(spec: Path, target_dir: Path) -> None:
    scratch = target_dir / "_fastapi_codegen"
    generate_code(
        input_name=spec.name,
        input_text=spec.read_text(encoding="utf-8"),
        encoding="utf-8",
        output_dir=scratch,
        template_dir=TEMPLATES / "routes",
        custom_visitors=[TEMPLATES / "visitor.py"],
        disable_timestamp=True,
        strict_nullable=True,
        python_version=PythonVersion.PY_311,
    )
    for template in sorted((TEMPLATES / "routes").glob("*.jinja2")):
        name = template.with_suffix(".py").name
        body = (scratch / name).read_text(encoding="utf-8")
        (target_dir / name).write_text(f"{header(spec)}\n{body}", encoding="utf-8")
    shutil.rmtree(scratch)


# Rules a contract must state before code is generated from it.
#
# PostgreSQL text cannot hold NUL (U+0000). The service refuses it only where
# the contract says so, so that no request the published schema allows is
# refused: every free-text string a request can carry (in a body, at any
# depth, or in a path or query parameter) must have a `pattern` that rejects
# NUL. Strings with an `enum`, a `const` or a `format` are not free text: their
# grammar already excludes it. Header values cannot carry NUL at all (RFC 9110,
# section 5.5), so header parameters are exempt.
# Strings that hold NUL somewhere; a pattern that rejects NUL rejects them all.
NUL_PROBES = ("\x00", "a\x00", "\x00a", "a\x00a", "a b\x00c d")
ADVICE = (
    "give it a pattern that rejects NUL (U+0000), which PostgreSQL text "
    "cannot store, such as '^[^\\u0000]*$'"
)


def _nodes(
    spec: dict[str, Any], schema: dict[str, Any], where: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema under `schema`, itself included, with where it is (its
    name where it is a named one)."""
    ref, node = resolve_named(spec, schema)
    where = ref or where
    yield where, node
    for name, child in node.get("properties", {}).items():
        yield from _nodes(spec, child, f"{where}/properties/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _nodes(spec, node[key], f"{where}/{key}")
    for key in ("allOf", "anyOf", "oneOf"):
        for n, child in enumerate(node.get(key, [])):
            yield from _nodes(spec, child, f"{where}/{key}/{n}")


def _request_schemas(
    spec: dict[str, Any],
) -> Iterator[tuple[tuple[str, str], str, dict[str, Any]]]:
    """Each schema a request carries: (the text around a place in it, where
    it is: `path`, `query`, `header` or `body`, the schema)."""
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            at = f"{method.upper()} {path}"
            for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
                _, parameter = resolve_named(spec, raw)
                named = (f"{at}: parameter {parameter['name']} (", ")")
                yield named, parameter["in"], parameter["schema"]
            body = operation.get("requestBody", {})
            for media, content in (
                resolve_named(spec, body)[1].get("content", {}).items()
            ):
                yield (f"{at}: {media} body, ", ""), "body", content.get("schema", {})


def _lets_nul_through(node: dict[str, Any]) -> bool:
    """A free-text string whose pattern lets NUL through."""
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "string" not in types or {"enum", "const", "format"} & node.keys():
        return False
    pattern = node.get("pattern")
    return pattern is None or any(re.search(pattern, p) for p in NUL_PROBES)


def nul_rule_violations(spec: dict[str, Any]) -> list[str]:
    """One message per request string whose schema lets NUL through."""
    places = {
        f"{before}{where}{after}": None
        for (before, after), location, schema in _request_schemas(spec)
        if location != "header"
        for where, node in _nodes(spec, schema, "schema")
        if _lets_nul_through(node)
    }
    return [f"{place}: {ADVICE}" for place in places]


# A date-time a request carries must be an instant of the years 1 to 9999 in
# UTC, which is all Python's datetime holds (runtime/models.py refuses the
# rest): its schema's `pattern` must refuse the probes past either end, and
# pass the rest, so that every value the contract allows is one the service
# reads.
DATE_TIME_PATTERN_PROBES = {
    "0001-01-01T00:00:00+00:01": False,
    "9999-12-31T23:59:59-00:01": False,
    "0001-01-01T00:00:00Z": True,
    "0001-01-01T00:00:00-05:00": True,
    "9999-12-31T23:59:59+05:00": True,
    "2026-12-24T18:00:00+01:00": True,
}
DATE_TIME_ADVICE = (
    "give it the pattern "
    "'^(?!0001-01-01[Tt][0-9:.]+\\+(?!00:00$))(?!9999-12-31[Tt][0-9:.]+-(?!00:00$))'"
    ", which keeps it within the years 1 to 9999 in UTC"
)


def _unbounded(node: dict[str, Any]) -> bool:
    """A date-time whose pattern does not keep it within the years."""
    if node.get("format") != "date-time":
        return False
    pattern = node.get("pattern")
    return pattern is None or any(
        bool(re.search(pattern, probe)) != allowed
        for probe, allowed in DATE_TIME_PATTERN_PROBES.items()
    )


def date_time_rule_violations(spec: dict[str, Any]) -> list[str]:
    """One message per request date-time whose pattern does not bound it."""
    places = {
        f"{before}{where}{after}": None
        for (before, after), _, schema in _request_schemas(spec)
        for where, node in _nodes(spec, schema, "schema")
        if _unbounded(node)
    }
    return [f"{place}: {DATE_TIME_ADVICE}" for place in places]


class ContractRuleError(ValueError):
    """The contract leaves out a rule the service has to enforce."""


def unnamable_properties(spec: dict[str, Any]) -> list[str]:
    """Properties whose names cannot start a Python name as they are."""
    return [
        f"#/components/schemas/{schema}/properties/{name}: start its name with a letter"
        for schema, node in spec.get("components", {}).get("schemas", {}).items()
        for name in node.get("properties", {})
        if not re.match(r"[A-Za-z]", name)
    ]


def check_rules(spec: Path) -> None:
    contract = load(spec)
    violations = (
        nul_rule_violations(contract)
        + date_time_rule_violations(contract)
        + unnamable_properties(contract)
        + example_violations(contract)
        + inline_problem_examples(contract)
    )
    if violations:
        raise ContractRuleError(
            f"{spec.name} breaks a rule of the generator:\n  " + "\n  ".join(violations)
        )


def generate_into(target_dir: Path, spec: Path = SPEC) -> None:
    check_rules(spec)
    # fastapi-code-generator reads black's settings from the working directory.
    os.chdir(ROOT)
    # It also relies on datamodel-code-generator's implicit black and isort,
    # which now warns on every run; the formatters are pinned in pyproject.toml.
    warnings.filterwarnings("ignore", category=FutureWarning)
    write_models(spec, target_dir / "models.py")
    write_routes(spec, target_dir)


def stale_files(fresh: Path) -> list[str]:
    names = {p.name for p in fresh.glob("*.py")} | {p.name for p in OUTPUT.glob("*.py")}
    return sorted(
        name
        for name in names
        if not (fresh / name).exists()
        or not (OUTPUT / name).exists()
        or (fresh / name).read_bytes() != (OUTPUT / name).read_bytes()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if generated/ is stale"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        try:
            generate_into(fresh)
        except ContractRuleError as error:
            print(error, file=sys.stderr)
            return 1
        if args.check:
            stale = stale_files(fresh)
            if stale:
                print(
                    "generated/ is stale relative to openapi.yaml: "
                    f"{', '.join(stale)}. Run `make generate`.",
                    file=sys.stderr,
                )
                return 1
            print("generated/ is up to date with openapi.yaml")
            return 0
        OUTPUT.mkdir(exist_ok=True)
        for old in OUTPUT.glob("*.py"):
            old.unlink()
        for new in sorted(fresh.glob("*.py")):
            shutil.copyfile(new, OUTPUT / new.name)
    print(f"wrote {OUTPUT.relative_to(ROOT)}/ from {SPEC.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
