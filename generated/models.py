# DO NOT EDIT: generated from openapi.yaml by `make generate`.
# Change the contract (or tools/templates/) and run `make generate` again.
# openapi.yaml sha256: 5996f88f884db68467f289ee45555f7ff915bd3f33c8a49e4dca168b72bea1ba

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from runtime.models import ContractModel


class TaskCreate(ContractModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    title: Annotated[
        StrictStr,
        Field(
            description='Free text with at least one character other than ASCII white space,\nand no NUL (PostgreSQL text cannot hold it).\n',
            examples=['Buy milk'],
            max_length=255,
            min_length=1,
            pattern='^[^\\u0000]*[^\\u0000\\t\\n\\v\\f\\r ][^\\u0000]*$',
        ),
    ]
    description: Annotated[
        StrictStr | None,
        Field(
            description='Free text without NUL, or null.',
            examples=['Two litres, semi-skimmed.'],
            max_length=10000,
            pattern='^[^\\u0000]*$',
        ),
    ] = None
    completed: StrictBool = False


class TaskUpdate(ContractModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    title: Annotated[
        StrictStr,
        Field(
            description='Free text with at least one character other than ASCII white space,\nand no NUL (PostgreSQL text cannot hold it).\n',
            examples=['Buy milk'],
            max_length=255,
            min_length=1,
            pattern='^[^\\u0000]*[^\\u0000\\t\\n\\v\\f\\r ][^\\u0000]*$',
        ),
    ]
    description: Annotated[
        StrictStr | None,
        Field(
            description='Free text without NUL, or null.',
            examples=['Two litres, semi-skimmed.'],
            max_length=10000,
            pattern='^[^\\u0000]*$',
        ),
    ] = None
    completed: StrictBool = False


class TaskPatch(ContractModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    __not_nullable__ = {'completed', 'title'}
    title: Annotated[
        StrictStr | None,
        Field(
            description='Free text with at least one character other than ASCII white space,\nand no NUL (PostgreSQL text cannot hold it).\n',
            examples=['Buy milk'],
            max_length=255,
            min_length=1,
            pattern='^[^\\u0000]*[^\\u0000\\t\\n\\v\\f\\r ][^\\u0000]*$',
        ),
    ] = None
    description: Annotated[
        StrictStr | None,
        Field(
            description='Free text without NUL, or null.',
            examples=['Two litres, semi-skimmed.'],
            max_length=10000,
            pattern='^[^\\u0000]*$',
        ),
    ] = None
    completed: StrictBool | None = None


class Task(ContractModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    id: UUID
    user_id: StrictStr
    title: StrictStr
    description: StrictStr | None
    completed: StrictBool
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: Annotated[
        StrictInt,
        Field(
            description='Raised by every write; the `ETag` is this number in quotes, for\n`If-Match`.\n',
            ge=1,
        ),
    ]


class TaskList(ContractModel):
    model_config = ConfigDict(
        extra='forbid',
    )
    items: list[Task]
    next_cursor: Annotated[
        StrictStr | None,
        Field(description='Pass as `cursor` for the next page; null on the last page.'),
    ]


class TaskSort(StrEnum):
    CREATED_AT = 'created_at'
    DESC_CREATED_AT = '-created_at'
    UPDATED_AT = 'updated_at'
    DESC_UPDATED_AT = '-updated_at'
    TITLE = 'title'
    DESC_TITLE = '-title'


class Status(StrEnum):
    OK = 'ok'


class Health(ContractModel):
    status: Status


class In(StrEnum):
    BODY = 'body'
    PATH = 'path'
    QUERY = 'query'
    HEADER = 'header'


class FieldError(ContractModel):
    in_: Annotated[In, Field(alias='in', description='Where the offending value is.')]
    pointer: Annotated[
        StrictStr,
        Field(description='A JSON Pointer (RFC 6901) to the value within `in`.'),
    ]
    detail: StrictStr


class Problem(ContractModel):
    __not_nullable__ = {'detail', 'errors', 'instance'}
    type: StrictStr
    title: StrictStr
    status: Annotated[StrictInt, Field(ge=400, le=599)]
    detail: StrictStr | None = None
    instance: StrictStr | None = None
    errors: Annotated[
        list[FieldError] | None,
        Field(description='One entry per invalid value, for 422 responses.'),
    ] = None
