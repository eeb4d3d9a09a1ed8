"""Response fields a pure-ASGI concern adds to an answer on its way out."""

from collections.abc import Iterable

from starlette.types import Message

Field = tuple[bytes, bytes]
"""A response field as ASGI carries it: lowercase name, value."""


def append_fields(message: Message, fields: Iterable[Field]) -> None:
    """Append `fields` to an `http.response.start` message's headers: to
    its list in place (Starlette's responses build a fresh one), or to a
    copy when the app gave another sequence."""
    headers = message.get("headers")
    if type(headers) is list:
        headers.extend(fields)
    else:
        message["headers"] = [*(headers or ()), *fields]
