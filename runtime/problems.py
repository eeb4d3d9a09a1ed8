"""What a contract says of each problem it names."""

from typing import NamedTuple


class ProblemType(NamedTuple):
    """A problem's status, its `type` URI and its `title`, as the contract's
    example of it gives them."""

    status: int
    type: str
    title: str
