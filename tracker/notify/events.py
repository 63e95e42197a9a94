"""Shared by the parts' notifications.py: who hears about an assignment, and muting (demo load)."""

from __future__ import annotations

from collections.abc import Iterator
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
    return list(
        session.scalars(
            sa.select(User)
            .join(Membership)
            .where(
                Membership.organization_id == assignment.organization_id,
                Membership.role == "director",
                User.active.is_(True),
            )
        )
    )
