"""Events: who hears about an assignment, the one way to tell them (`tell`), and muting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.core import clock
from tracker.core.tenancy import Membership, User
from tracker.notify.models import Notification
from tracker.notify.services import queue_mail
from tracker.notify.sources import KINDS, directors_of

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


def department_staff(session: Session, organization_id: int | None) -> list[User]:
    """The active staff of a department: who hears of an event when a decision has no controller."""
    if organization_id is None:
        return []
    return list(
        session.scalars(
            sa.select(User)
            .join(Membership)
            .where(
                Membership.organization_id == organization_id,
                Membership.role == "staff",
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def event_mail(user: User) -> str:
    """ "now" (a letter at once, the default) or "digest" (the event waits for the daily digest)."""
    return user.event_mail or "now"


@dataclass(frozen=True)
class Event:
    """What happened, said once for everybody told: the kind («assignment.reported»), the key
    that makes it unique, the line shown in the app, the path it opens, and its letter."""

    kind: str
    key: str
    title: str
    link: str
    template: str
    context: dict[str, Any]
    assignment_id: int | None = None


def tell(session: Session, event: Event, recipients: list[User | None]) -> list[Notification]:
    """The one entry point for events: each person gets a notification in the app and, unless
    they chose the digest for events, a letter at once through the outbox. Written in the
    caller's transaction; a re-run (same key) adds nothing. The part registers the event's
    kind (`sources.register_kind`)."""
    if event.kind not in KINDS:
        raise ValueError(f"the notification kind {event.kind!r} is not registered")
    if is_muted():
        return []
    people = {u.id: u for u in recipients if u is not None and u.active}
    told = []
    for user in people.values():
        key = f"{event.key}:user:{user.id}"
        if session.scalar(sa.select(Notification.id).where(Notification.key == key)):
            continue
        notification = Notification(
            key=key,
            user_id=user.id,
            kind=event.kind,
            title=event.title,
            link=event.link,
            assignment_id=event.assignment_id,
            created_at=clock.now(),
        )
        session.add(notification)
        told.append(notification)
        if event_mail(user) == "now":
            queue_mail(
                session,
                recipient=user,
                kind=event.kind,
                key=key,
                template=event.template,
                context=event.context,
                assignment_id=event.assignment_id,
            )
    session.flush()
    return told


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def mark_read(session: Session, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = clock.now()
        session.flush()
