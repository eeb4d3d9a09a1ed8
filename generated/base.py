# DO NOT EDIT: generated from openapi.yaml by `make generate`.
# Change the contract (or tools/templates/) and run `make generate` again.
# openapi.yaml sha256: 2aa68feb71bfba5e3423d25414d3b1dedf8468b491d9777bc51f5b7ac912a8d7
"""The base of every generated model: the rules the contract states once.

No text anywhere in a request may hold NUL (U+0000), which PostgreSQL text
cannot store: every string of every model, nested in lists and objects
included, is checked here, so no schema needs a pattern for it.
"""

from typing import Any

from pydantic import BaseModel, field_validator

NUL = "\x00"


def holds_nul(value: Any) -> bool:
    """Whether a string in `value` (a list, a dict, a str) holds NUL.

    Nested models are checked by their own validator.
    """
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False


class ContractModel(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if holds_nul(value):
            raise ValueError("text cannot hold NUL (U+0000)")
        return value
