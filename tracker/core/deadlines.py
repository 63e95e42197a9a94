"""What a deadline is once read (kind, due date, rule) and its calendar arithmetic: the due dates
of a period, when an item becomes overdue. Pure logic: no Flask, no database.

Deadlines are read from Russian words by ``core.deadline_parsing`` (the words and patterns it
knows are in ``core.deadline_words``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

KINDS = ("date", "month", "ongoing", "recurring", "relative", "none")


class DeadlineError(ValueError):
    """Raised with a user-facing message that says what was expected (in the reader's language
    within a request, Russian elsewhere)."""


@dataclass(frozen=True)
class Deadline:
    text: str
    kind: str
    due_date: date | None
    rule: str | None = None
    offset_days: int | None = None
    event: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown deadline kind {self.kind!r}")

    def to_dict(self) -> dict[str, str | int | None]:
        return {
            "kind": self.kind,
            "date": self.due_date.isoformat() if self.due_date else None,
            "text": self.text,
            "rule": self.rule,
            "offset_days": self.offset_days,
            "event": self.event,
        }


def resolve_relative(deadline: Deadline, event_date: date) -> Deadline:
    """A copy of a relative deadline with its due date set from the event's date."""
    if deadline.kind != "relative" or deadline.offset_days is None:
        raise ValueError("only a relative deadline can be resolved against an event date")
    return replace(deadline, due_date=event_date - timedelta(days=deadline.offset_days))


def occurrences(deadline: Deadline, start: date, end: date) -> list[date]:
    """Due dates in [start, end] to report on; ongoing and unresolved deadlines have none."""
    if deadline.kind == "recurring" and deadline.rule:
        first = datetime.combine(start, time())
        rule = rrulestr(deadline.rule, dtstart=first)
        return [d.date() for d in rule.between(first, datetime.combine(end, time()), inc=True)]
    if deadline.due_date is not None and start <= deadline.due_date <= end:
        return [deadline.due_date]
    return []


def overdue_from(due_date: date, tz: str) -> datetime:
    """The aware UTC moment an item is overdue from: 00:00 local the next day (inclusive «до»)."""
    local_midnight = datetime.combine(due_date + timedelta(days=1), time(), tzinfo=ZoneInfo(tz))
    return local_midnight.astimezone(UTC)


def is_overdue(due_date: date | None, now: datetime, tz: str) -> bool:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if due_date is None:
        return False
    return now >= overdue_from(due_date, tz)
