"""Completing a recurring task: the write that completes it, then its next
occurrence, in one transaction (impl/tasks/handlers.py opens it); and the
check that a write of the rule's fields leaves a rule that occurs."""

from datetime import datetime
from typing import Any
from uuid import UUID

from generated.models import RecurrenceBasis
from impl.db.database import DatabaseAccess
from impl.db.statements import Record
from impl.tasks.due_dates import falls_due
from impl.tasks.recurrence import next_occurrence, require_occurrence
from impl.tasks.recurrence.occurrences import SPAWN
from impl.tasks.reminders import offset_remind_at
from impl.tasks.statements import over_quota


def may_complete(new: dict[str, Any]) -> bool:
    """Whether writing `new` may complete a recurring task: it completes the
    task, and leaves a rule on it (its own, or one the task has)."""
    return new.get("completed") is True and new.get("recurrence", "kept") is not None


def _instant(text: str | None) -> datetime | None:
    """A date-time column as the row holds it (RFC 3339 text)."""
    return None if text is None else datetime.fromisoformat(text)


def _due_at(row: Record) -> datetime | None:
    return _instant(row["due_at"])


def check_rule(row: Record) -> None:
    """RecurrenceNeverOccurs unless the task's rule, as written, occurs."""
    require_occurrence(
        row["recurrence"], row["due_date"], _due_at(row), row["time_zone"]
    )


async def completed(
    db: DatabaseAccess, user_id: str, row: Record, max_tasks: int
) -> Record:
    """The completed task's next occurrence created (once: the task's row is
    locked by the write before, in the same transaction), and the task as it
    is then; the task as it is when it needs none."""
    if not row["completed"] or row["recurrence"] is None:
        return row
    if row["next_occurrence"] is not None:
        return row
    # A completing write sets updated_at: the moment of completion.
    completed_at = (
        _instant(row["updated_at"])
        if row["recurrence_basis"] == RecurrenceBasis.COMPLETION
        else None
    )
    following = next_occurrence(
        row["recurrence"], row["due_date"], _due_at(row), row["time_zone"], completed_at
    )
    if following is None:
        return row
    rows = await db.fetch(
        SPAWN(
            {
                "owner": user_id,
                "task": UUID(row["id"]),
                "max_tasks": max_tasks,
                "new": {
                    "due_date": following.due_date,
                    "due_at": following.due_at,
                    "recurrence": following.recurrence,
                    "remind_at": offset_remind_at(
                        _instant(row["remind_at"]),
                        falls_due(row["due_date"], _due_at(row), row["time_zone"]),
                        falls_due(
                            following.due_date, following.due_at, row["time_zone"]
                        ),
                    ),
                },
            }
        )
    )
    if rows[0]["next_occurrence"] is None:
        raise over_quota(max_tasks)
    return rows[0]
