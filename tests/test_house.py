"""The house's rules: rooms import one way, no two modules import each other
(however long the way round), no module is too long to read, the handlers'
module holds handlers only, and the HTTP layer knows nothing of the domain.

The rooms import each only from the rooms below it.

Ground first: the runtime library, then the contract's generated facts, the
shared vocabulary (settings, problems), the cross-cutting rooms, the
database, auth and the limit, the contexts handlers receive, the tasks'
rooms (their tables among them), the migrations of those tables, HTTP, and
on top the app that composes them. A module may import from its
own room or a lower one; an import that runs back up a floor (and with it
any two rooms importing each other) fails here, naming the line.
"""

import ast
import re
from pathlib import Path

from impl.settings import PROJECT_ROOT
from tests.contract import CONTRACT

ROOMS = (
    "runtime",
    "generated",
    "impl.settings",
    "impl.problems",
    "impl.metrics",
    "impl.tracing",
    "impl.drain",
    "impl.db",
    "impl.auth",
    "impl.rate_limit",
    "impl.events",
    "impl.dependencies",
    "impl.contexts",
    "impl.tasks",
    "impl.db.alembic",
    "impl.probes",
    "impl.http",
    "impl.app",
    "impl.__main__",
)
"""Bottom to top."""
PACKAGES = ("runtime", "generated", "impl")
MAX_LINES = 350
"""The longest a handwritten module of runtime/ or impl/ may grow before it
is split."""
HANDLERS = PROJECT_ROOT / "impl" / "tasks" / "handlers.py"
HANDLERS_MAX_LINES = 300
"""The handlers' module holds handlers; a feature's workflow has a room."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of ours but the bare `impl` package, which holds rooms
    and no code."""
    found = {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
    }
    assert (PROJECT_ROOT / "impl" / "__init__.py").read_text().count("import") == 0
    del found["impl"]
    return found


def room(module: str) -> str | None:
    found = [r for r in ROOMS if module == r or module.startswith(f"{r}.")]
    return max(found, key=len) if found else None


def imported(module: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) for each import of ours in a module, `from a import b`
    counted as a.b where b is a module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append((node.lineno, child if child in known else base))
    return [(line, name) for line, name in found if room(name) is not None]


def upward(module: str, path: Path, known: set[str]) -> list[str]:
    """Each import of the module from a room above its own."""
    own = room(module)
    assert own is not None, f"{module} is in no room: add it to ROOMS"
    wrong = []
    for line, target in imported(module, path, known):
        theirs = room(target) or ""
        if ROOMS.index(theirs) > ROOMS.index(own):
            wrong.append(f"{path.name}:{line} ({own}) imports {target} ({theirs})")
    return wrong


def test_every_module_imports_only_from_its_room_or_below() -> None:
    known = modules()
    wrong = [
        finding
        for module, path in known.items()
        for finding in upward(module, path, set(known))
    ]

    assert wrong == []


def test_an_import_that_runs_upward_is_found(tmp_path: Path) -> None:
    settings = PROJECT_ROOT / "impl" / "settings.py"
    changed = tmp_path / "settings.py"
    changed.write_text(settings.read_text() + "\nfrom impl.http import errors\n")

    [finding] = upward("impl.settings", changed, set(modules()))

    assert finding.endswith("(impl.settings) imports impl.http.errors (impl.http)")


def circles(known: dict[str, Path]) -> list[list[str]]:
    """Each set of modules that import one another round a circle (imports
    for type checking included: they are the design's arrows too), found as
    the graph's strongly connected components (Tarjan's algorithm)."""
    names = set(known)

    def of_ours(name: str) -> str | None:
        while name and name not in names:
            name = name.rpartition(".")[0]
        return name or None

    arrows = {
        module: {
            target
            for _, name in imported(module, path, names)
            if (target := of_ours(name)) not in (None, module)
        }
        for module, path in known.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(arrows[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(arrows):
        if module not in index:
            visit(module)
    return found


def test_no_modules_of_runtime_or_impl_import_each_other_round_a_circle() -> None:
    ours = {
        name: path
        for name, path in modules().items()
        if name.split(".")[0] in ("runtime", "impl")
    }

    assert circles(ours) == []


def test_a_circle_of_imports_is_found(tmp_path: Path) -> None:
    call = PROJECT_ROOT / "runtime" / "call.py"
    changed = tmp_path / "call.py"
    changed.write_text(call.read_text() + "\nfrom runtime.reading import sent\n")

    found = circles({**modules(), "runtime.call": changed})

    assert found == [["runtime.call", "runtime.reading"]]


def test_no_module_of_runtime_or_impl_is_longer_than_max_lines() -> None:
    long = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for package in ("runtime", "impl")
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if (lines := path.read_text().count("\n")) > MAX_LINES
    }

    assert long == {}, f"split these into rooms of their own: {long}"


def test_the_handlers_module_holds_no_more_than_handlers() -> None:
    assert HANDLERS.read_text().count("\n") <= HANDLERS_MAX_LINES


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


HTTP_SCHEMAS = ("Problem", "FieldError", "Health")
"""What the HTTP layer answers with of its own: problems and health."""
COMMON_WORDS = frozenset(
    {"id", "name", "items", "count", "version", "token", "more", "full"}
    | {"event", "data"}
)
"""Property names of the domain's schemas that every program uses, and the
fields of a Server-Sent Event, which the HTTP layer reads."""


def domain_names() -> frozenset[str]:
    """The contract's schemas and their properties, as snake_case words,
    but the HTTP layer's own and the common words."""
    schemas = CONTRACT["components"]["schemas"]
    http = {snake(n) for n in HTTP_SCHEMAS} | {
        snake(p) for n in HTTP_SCHEMAS for p in schemas[n].get("properties", {})
    }
    found = {
        snake(word)
        for name, schema in schemas.items()
        if name not in HTTP_SCHEMAS
        for word in (name, *schema.get("properties", {}))
    }
    return frozenset(found - http - COMMON_WORDS)


def _words(node: ast.AST, docstrings: set[int]) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.alias):
        return [*node.name.split("."), node.asname or ""]
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [] if id(node) in docstrings else re.findall(r"\w+", node.value)
    return []


def domain_names_in(path: Path, names: frozenset[str]) -> list[str]:
    """Each identifier, imported name or string (documentation aside) of a
    module that holds a domain name, a plural one too, as line: word."""
    tree = ast.parse(path.read_text(), str(path))
    # A string that stands as a statement is documentation (a docstring, an
    # attribute's): it may say what the module serves.
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    pattern = re.compile(rf"(^|_)({'|'.join(sorted(map(re.escape, names)))})s?($|_)")
    return [
        f"{path.name}:{getattr(node, 'lineno', '?')}: {word}"
        for node in ast.walk(tree)
        for word in _words(node, docstrings)
        if pattern.search(snake(word))
    ]


HTTP_ROOM = PROJECT_ROOT / "impl" / "http"


def test_the_http_layer_knows_no_domain_names() -> None:
    """Every rule of the domain's is answered through a Problem its room
    raises or names (a CHECK constraint's), never spelled out here."""
    names = domain_names()
    assert {"task", "due_date", "recurrence", "tags"} <= names

    found = [
        finding
        for path in sorted(HTTP_ROOM.rglob("*.py"))
        for finding in domain_names_in(path, names)
    ]

    assert found == []


def test_a_domain_name_in_the_http_layer_is_found(tmp_path: Path) -> None:
    errors = HTTP_ROOM / "errors.py"
    changed = tmp_path / "errors.py"
    changed.write_text(
        errors.read_text() + "\nfrom impl.tasks import due_dates\n"
        'RULES = {"ck_tasks_one_due": "due_date and due_at are both set"}\n'
    )

    found = domain_names_in(changed, domain_names())

    assert {finding.split(": ")[1] for finding in found} == {
        "tasks",
        "due_dates",
        "ck_tasks_one_due",
        "due_date",
        "due_at",
    }
