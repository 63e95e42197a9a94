"""Who a road map's «Ответственный» cell names: the one person of the school it names (so reminders
reach them), matched on «Иванова Наталья Викторовна» or «Иванова Н.В.»."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from tracker.core.tenancy import Organization
from tracker.meetings.services import people_candidates


def _compact(text: str) -> str:
    return re.sub(r"[\s.]+", "", text.casefold().replace("ё", "е"))


def school_people(session: Session, school: Organization) -> list[tuple[int, set[str]]]:
    """The school's people with the ways a plan names them: «Иванова Наталья Викторовна»,
    «Иванова Н.В.»."""
    found = []
    for user in people_candidates(session, school):
        words = user.full_name.split()
        forms = {_compact(user.full_name)}
        if len(words) >= 2:
            forms.add(_compact(words[0] + "".join(w[0] for w in words[1:])))
        found.append((user.id, {f for f in forms if len(f) >= 4}))
    return found


def person_named(people: list[tuple[int, set[str]]], responsible: str | None) -> int | None:
    """The one person of the school the «Ответственный» cell names, so reminders reach them;
    none (the directors are reminded) when nobody or several match."""
    if not responsible:
        return None
    text = _compact(responsible)
    matches = {user_id for user_id, forms in people if any(f in text for f in forms)}
    return matches.pop() if len(matches) == 1 else None
