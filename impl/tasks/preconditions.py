"""ETags and If-Match (RFC 9110 section 13.1.1), on the task's version.

The contract's pattern for If-Match admits only `*` or a list of entity
tags; anything else is refused before a handler runs (400
`precondition-malformed`, impl/http/errors.py), so that a 412 only ever
means that the version differs.
"""

import re
from dataclasses import dataclass

ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')
VERSION = re.compile(r"[0-9]{1,9}")


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    any_version: bool
    versions: frozenset[int]
    """Versions whose strong ETag the header lists; weak ETags never match."""


def parse_if_match(header: str | None) -> IfMatch | None:
    """None when there is no precondition; otherwise what may match."""
    if header is None:
        return None
    if header.strip() == "*":
        return IfMatch(any_version=True, versions=frozenset())
    versions = {
        int(opaque)
        for weak, opaque in ENTITY_TAG.findall(header)
        if not weak and VERSION.fullmatch(opaque)
    }
    return IfMatch(any_version=False, versions=frozenset(versions))
