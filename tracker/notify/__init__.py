"""Reminder policy, the outbox, mail delivery, the scheduler and Celery tasks."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session


def init_app(app: Flask) -> None:
    from tracker.extensions import init_celery

    init_celery(app)


# Outbox rows go to delivery once, and only if, the transaction that wrote them commits.
@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: object) -> None:
    from tracker.notify.models import OutboxMessage

    new = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        session.info.setdefault("outbox_new", []).extend(new)


@event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the real commit is still to come
    ids = session.info.pop("outbox_new", [])
    if ids and has_app_context():
        from tracker.notify.delivery import deliver_soon

        deliver_soon(current_app._get_current_object(), ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: object) -> None:
    if not session.in_nested_transaction():
        session.info.pop("outbox_new", None)
