"""ETags and If-Match (RFC 9110 section 13.1.1), on the task's version."""

import re
from dataclasses import dataclass

ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')
VERSION = re.compile(r"[0-9]{1,9}")


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    any_version: bool
    versions: frozenset[int]
    """Versions whose strong ETag the header lists; weak ETags never match."""


def parse_if_match(header: str | None) -> IfMatch | None:
    """None when there is no precondition; otherwise what may match.

    A malformed header matches no version, so the request fails with 412
    rather than proceeding without the check the client asked for.
    """
    if header is None:
        return None
    if header.strip() == "*":
        return IfMatch(any_version=True, versions=frozenset())
    versions = set()
    for part in header.split(","):
        match = ENTITY_TAG.fullmatch(part)
        if match and not match.group(1) and VERSION.fullmatch(match.group(2)):
            versions.add(int(match.group(2)))
    return IfMatch(any_version=False, versions=frozenset(versions))
