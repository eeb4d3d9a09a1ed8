"""listTasks' `q`: every word in the title or the description, ignoring case."""

LIKE_SPECIAL = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
"""What ILIKE reads as a wildcard or an escape, escaped with its default
escape character."""


def patterns(q: str) -> list[str]:
    """One ILIKE pattern per word of `q` (split at white space): the word
    anywhere, taken literally."""
    return [f"%{word.translate(LIKE_SPECIAL)}%" for word in q.split()]
