"""The check that a set of handlers fits a contract's generated protocol.

A handler that is missing, not async, or whose signature differs from the
protocol's method stops the app when routes are built, with a message
naming the operation; mypy reports the same where the handlers subclass
the protocol.
"""

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_type_hints


class HandlerBindingError(RuntimeError):
    """The handlers do not match the contract."""


def _signature(function: Callable[..., Any]) -> list[tuple[str, Any]]:
    hints = get_type_hints(function)
    names = [n for n in inspect.signature(function).parameters if n != "self"]
    return [(name, hints.get(name)) for name in [*names, "return"]]


def _mismatch(expected: Callable[..., Any], handler: Callable[..., Any]) -> bool:
    want, got = _signature(expected), _signature(handler)
    return len(want) != len(got) or any(
        w_name != g_name or (not isinstance(w_type, TypeVar) and w_type != g_type)
        for (w_name, w_type), (g_name, g_type) in zip(want, got, strict=True)
    )


def _render(function: Callable[..., Any]) -> str:
    return ", ".join(
        f"{name}: {hint.__name__ if isinstance(hint, type) else hint}"
        for name, hint in _signature(function)
    )


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
        elif _mismatch(expected, handler):
            problems.append(
                f"{operation_id}: {owner}.{name}() takes ({_render(handler)}), "
                f"the contract needs ({_render(expected)})"
            )
    if problems:
        raise HandlerBindingError(
            "handlers do not match openapi.yaml:\n  " + "\n  ".join(problems)
        )
