"""What a handler returns (`Reply`), and the response it becomes (`Answer`)."""

from collections.abc import Mapping
from typing import Generic, NamedTuple, TypedDict, TypeVar

from pydantic import BaseModel
from starlette.types import Send

ModelT = TypeVar("ModelT", bound=BaseModel)
BodyT_co = TypeVar("BodyT_co", covariant=True)


class NoHeaders(TypedDict):
    """The headers of a response for which the contract requires none."""


HeadersT_co = TypeVar("HeadersT_co", bound=Mapping[str, object], covariant=True)
HeadersT = TypeVar("HeadersT", bound=Mapping[str, object])


class Reply(Generic[BodyT_co, HeadersT_co]):
    """A response body of schema `BodyT_co` (a model, as JSON bytes; `str`
    for a text body, as its bytes), with the headers `HeadersT_co` (a
    TypedDict of what the contract requires for the status).

    `Reply.of(model, headers)` serializes a model. A handler that reads typed
    columns may instead serialize a row itself, once, without validating it
    again; the contract's response checks (schemathesis) hold it to the
    schema.
    """

    __slots__ = ("body", "headers")

    def __init__(self, body: bytes, headers: HeadersT_co) -> None:
        self.body = body
        self.headers = headers

    @classmethod
    def of(cls, model: ModelT, headers: HeadersT) -> "Reply[ModelT, HeadersT]":
        return Reply(model.__pydantic_serializer__.to_json(model), headers)


class NotModified(Exception):
    """A conditional GET's 304 (RFC 9110 15.4.5): the client's copy is
    current. A handler raises it, from where it would return its reply, with
    the headers the contract requires of the 304; the answer has no body."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(304)
        self.headers = headers


class Answer(NamedTuple):
    """A response, ready to send: its status, its headers as ASGI has them,
    and its body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def answer_of(
    reply: Reply[object, Mapping[str, object]] | None,
    status: int,
    content_type: tuple[bytes, bytes],
) -> Answer:
    """The answer to a handler's reply (None: no body, as for a 204)."""
    if reply is None:
        return Answer(status, [], b"")
    # Every generated headers TypedDict has str values: HTTP header text.
    headers = [content_type]
    for name, value in reply.headers.items():
        headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
    return Answer(status, headers, reply.body)


BODILESS_STATUSES = frozenset((204, 304))


def not_modified(unchanged: NotModified) -> Answer:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in unchanged.headers.items()
    ]
    return Answer(304, headers, b"")


async def send_answer(send: Send, answer: Answer) -> None:
    status, headers, body = answer
    # RFC 9110 8.6: no Content-Length on a 204 (or 304), as Starlette has it.
    if status not in BODILESS_STATUSES:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
