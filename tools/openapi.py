"""Reading openapi.yaml: the one `$ref` resolver of the generator and the tests."""

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch")

Node = dict[str, Any]


def load(spec: Path = SPEC) -> Node:
    document: Node = yaml.safe_load(spec.read_text(encoding="utf-8"))
    return document


def resolve_named(spec: Node, node: Node) -> tuple[str, Node]:
    """The node a $ref chain ends at, and the last $ref on the way ("" for
    none). Keywords beside a $ref win over the target's, as in OpenAPI 3.1."""
    name = ""
    while "$ref" in node:
        name = node["$ref"]
        target: Any = spec
        for part in name.removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return name, node


def resolve(spec: Node, node: Node) -> Node:
    """The node a $ref chain ends at (see `resolve_named`)."""
    return resolve_named(spec, node)[1]


def operations(spec: Node) -> list[tuple[str, str, Node]]:
    """(path, method, operation) for every operation, in the document's
    order, each with the path's shared parameters before its own."""
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                operation = dict(item[method])
                operation["parameters"] = [
                    *item.get("parameters", []),
                    *operation.get("parameters", []),
                ]
                found.append((path, method, operation))
    return found
