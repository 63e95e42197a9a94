"""Shared by the parts' notifications.py: who hears about an assignment, and muting (demo load)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.core.tenancy import Membership, User

_muted: ContextVar[bool] = ContextVar("notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """No event mail inside (loading historical demo data must not mail anybody)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    return _muted.get()


def executors(session: Session, assignment) -> list[User]:
    """The person named on the assignment, or the directors of its organization."""
    if assignment.assignee is not None:
        return [assignment.assignee]
    return directors_of(session, [assignment.organization_id]).get(assignment.organization_id, [])


def directors_of(session: Session, organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active directors of each organization, in one query."""
    found: dict[int, list[User]] = {}
    ids = sorted(set(organization_ids))
    if not ids:
        return found
    rows = session.execute(
        sa.select(Membership.organization_id, User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id.in_(ids),
            Membership.role == "director",
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    for organization_id, user in rows:
        found.setdefault(organization_id, []).append(user)
    return found
