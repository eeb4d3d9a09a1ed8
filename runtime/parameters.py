"""Where an operation's parameters are, as its generated table states it
(`runtime.reading` reads them from a request)."""

from typing import Literal

Location = Literal["path", "query", "header"]
"""Where a parameter is (OpenAPI's `in`; the contract has no cookie ones)."""


class Parameter:
    """Where one parameter of an operation comes from."""

    __slots__ = ("delimited", "header", "key", "location", "many", "name", "required")

    def __init__(
        self,
        name: str,
        location: Location,
        key: str,
        required: bool,
        *,
        many: bool = False,
        delimited: bool = False,
    ) -> None:
        self.name = name
        self.location = location
        self.key = key
        self.required = required
        self.many = many
        """An array in the query, one value per repetition (`tag=a&tag=b`)."""
        self.delimited = delimited
        """An array whose values are comma-separated (`sort=a,b`: unexploded)."""
        self.header = key.lower().encode("latin-1")
        """A header parameter's name as `Call.header` looks it up."""
