"""ETags, If-Match and If-None-Match (RFC 9110 section 13.1), on the task's
version and on a list page's bytes.

The contract's pattern for If-Match admits only `*` or a list of entity
tags; anything else is refused before a handler runs (400
`precondition-malformed`, impl/http/errors.py), so that a 412 only ever
means that the version differs.
"""

import hashlib
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


def none_match(header: str | None, current: str) -> bool:
    """Whether If-None-Match names the current ETag (weak comparison, RFC
    9110 13.1.2): the client's copy is current, and a GET answers 304."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(opaque == current[1:-1] for _, opaque in ENTITY_TAG.findall(header))


def page_etag(body: bytes) -> str:
    """A list page's entity tag: a digest of its bytes, which a page's rows,
    their versions and its cursor determine."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
