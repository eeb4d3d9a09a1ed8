"""Reading an operation's parameters and body, as FastAPI would."""

from typing import Literal, TypeVar

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from runtime.call import Call

ModelT = TypeVar("ModelT", bound=BaseModel)

Location = Literal["path", "query", "header"]
"""Where a parameter is (OpenAPI's `in`; the contract has no cookie ones)."""


class Parameter:
    """Where one parameter of an operation comes from."""

    __slots__ = ("_header", "key", "location", "many", "name", "required")

    def __init__(
        self,
        name: str,
        location: Location,
        key: str,
        required: bool,
        *,
        many: bool = False,
    ) -> None:
        self.name = name
        self.location = location
        self.key = key
        self.required = required
        self.many = many
        """An array in the query, one value per repetition (`tag=a&tag=b`)."""
        self._header = key.lower().encode("latin-1")

    def raw(self, call: Call) -> str | list[str] | None:
        if self.location == "path":
            return call.path_params.get(self.key)
        if self.location == "query":
            if self.many:
                return call.query_list(self.key) or None
            return call.query.get(self.key)
        return call.header(self._header)


def read_parameters(
    model: type[ModelT], parameters: tuple[Parameter, ...], call: Call
) -> ModelT:
    """Every parameter, validated at once as FastAPI would (lax: '5' is 5)."""
    raw = {}
    for parameter in parameters:
        value = parameter.raw(call)
        if value is not None:
            raw[parameter.name] = value
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        where = {p.name: (p.location, p.key) for p in parameters}
        raise RequestValidationError(
            [
                {**e, "loc": (*where[str(e["loc"][0])], *e["loc"][1:])}
                for e in error.errors(include_url=False)
            ]
        ) from None


async def read_body(
    model: type[ModelT], media_type: str, call: Call, max_bytes: int
) -> ModelT:
    """The request body, of the operation's JSON media type, read into `model`.

    Strict JSON-mode validation accepts date-times and UUIDs as strings but no
    "yes" or 0 for a bool, and refuses malformed JSON and lone surrogates.
    """
    content_type = call.header(b"content-type") or ""
    if content_type.partition(";")[0].strip().lower() != media_type:
        raise HTTPException(415, f"Send the request body as {media_type}.")
    try:
        return model.model_validate_json(await call.body(max_bytes), strict=True)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None
