"""The check that a set of handlers fits a contract's generated protocol.

A handler that is missing (or only inherits the protocol's stub), not
async, or whose signature differs from the protocol's method stops the app
when routes are built, with a message naming the operation and saying what
differs; mypy reports the same where the handlers subclass the protocol.
Keyword-only parameters may come in any order, as Python (and mypy) let
them.
"""

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_type_hints


class HandlerBindingError(RuntimeError):
    """The handlers do not match the contract."""


class _Signature:
    """A handler's parameters after `self`: those before `*` in order, the
    keyword-only ones by name; and what it returns."""

    def __init__(self, function: Callable[..., Any]) -> None:
        hints = get_type_hints(function)
        parameters = [
            p
            for p in inspect.signature(function).parameters.values()
            if p.name != "self"
        ]
        self.positional = [
            (p.name, hints.get(p.name))
            for p in parameters
            if p.kind is not inspect.Parameter.KEYWORD_ONLY
        ]
        self.keyword = {
            p.name: hints.get(p.name)
            for p in parameters
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        self.returns = hints.get("return")


def _fits(wanted: Any, got: Any) -> bool:
    return isinstance(wanted, TypeVar) or wanted == got


def _name(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint)


def _differences(
    expected: Callable[..., Any], handler: Callable[..., Any]
) -> list[str]:
    """What the handler's signature has other than the protocol's."""
    want, got = _Signature(expected), _Signature(handler)
    found = []
    if [n for n, _ in want.positional] != [n for n, _ in got.positional] or any(
        not _fits(w, g)
        for (_, w), (_, g) in zip(want.positional, got.positional, strict=False)
    ):
        wanted = ", ".join(n for n, _ in want.positional)
        given = ", ".join(n for n, _ in got.positional)
        found.append(f"takes ({given}) before *, the contract needs ({wanted})")
    for name, hint in want.keyword.items():
        if name not in got.keyword:
            found.append(f"lacks `{name}: {_name(hint)}`")
        elif not _fits(hint, got.keyword[name]):
            found.append(
                f"has `{name}: {_name(got.keyword[name])}`, the contract needs "
                f"`{name}: {_name(hint)}`"
            )
    found += [
        f"has `{name}`, which the contract does not give"
        for name in got.keyword
        if name not in want.keyword
    ]
    if not _fits(want.returns, got.returns):
        found.append(
            f"returns {_name(got.returns)}, the contract needs {_name(want.returns)}"
        )
    return found


def check_handlers(
    handlers: object, protocol: type, operations: Mapping[str, str]
) -> None:
    """Raise HandlerBindingError naming every operation whose handler is wrong.

    `operations` maps each operationId to the name of its handler, a method
    of `protocol`.
    """
    owner = getattr(handlers, "__name__", type(handlers).__name__)
    problems: list[str] = []
    for operation_id, name in operations.items():
        expected = getattr(protocol, name)
        handler = getattr(handlers, name, None)
        # A class that subclasses the protocol inherits its stub, which
        # returns None: a missing handler all the same.
        if handler is None or getattr(handler, "__func__", None) is expected:
            problems.append(f"{operation_id}: {owner} has no handler {name}()")
        elif not inspect.iscoroutinefunction(handler):
            problems.append(f"{operation_id}: {owner}.{name}() must be `async def`")
        else:
            problems += [
                f"{operation_id}: {owner}.{name}() {difference}"
                for difference in _differences(expected, handler)
            ]
    if problems:
        raise HandlerBindingError(
            "handlers do not match openapi.yaml:\n  " + "\n  ".join(problems)
        )
