"""Reading an operation's parameters and body from a request, as FastAPI would."""

from typing import TypeVar

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from runtime.call import Call
from runtime.parameters import Parameter

ModelT = TypeVar("ModelT", bound=BaseModel)


def sent(parameter: Parameter, call: Call) -> str | list[str] | None:
    """A parameter's value as sent, before validation; None when absent."""
    if parameter.location == "path":
        return call.path_params.get(parameter.key)
    if parameter.location == "query":
        if parameter.delimited:
            # Repetitions are joined: generated clients (openapi-python-client,
            # openapi-fetch's default) send every array exploded.
            given = call.query_list(parameter.key)
            return [value for each in given for value in each.split(",")] or None
        if parameter.many:
            return call.query_list(parameter.key) or None
        return call.query.get(parameter.key)
    return call.header(parameter.header)


def strict_query(parameters: tuple[Parameter, ...], call: Call) -> None:
    """Refuse, as Stripe does, a query parameter the operation does not
    take (a typo such as `tags` for `tag` would otherwise widen the answer
    silently) and a single-valued one given more than once (which value
    counts would be a guess). Only where the contract documents 422: a
    probe answers whatever query a load balancer adds."""
    if not call.scope.get("query_string") or 422 not in call.operation.responses:
        return
    known = {p.key: p for p in parameters if p.location == "query"}
    errors = []
    for name, count in call.query_names().items():
        parameter = known.get(name)
        if parameter is None:
            takes = ", ".join(known) if known else "none"
            message = f"unknown query parameter '{name}'; this operation takes: {takes}"
        elif count > 1 and not parameter.many:
            message = f"'{name}' is given {count} times; give it once"
        else:
            continue
        errors.append({"type": "query", "loc": ("query", name), "msg": message})
    if errors:
        raise RequestValidationError(errors)


def read_parameters(
    model: type[ModelT], parameters: tuple[Parameter, ...], call: Call
) -> ModelT:
    """Every parameter, validated at once as FastAPI would (lax: '5' is 5)."""
    raw = {}
    for parameter in parameters:
        value = sent(parameter, call)
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
