"""Writing the audit log. Services call `record` inside their transaction; refusals and login
attempts are written on their own connection so that they survive the request's rollback."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request

from tracker.core import clock
from tracker.core.models import AuditLog
from tracker.extensions import db


def _ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def _actor_id(actor: Any) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.id


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    organization_id: int | None = None,
    **details: Any,
) -> AuditLog:
    """Add an audit row to the current transaction (flushed, not committed)."""
    entry = AuditLog(
        at=clock.now(),
        actor_id=_actor_id(actor),
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        organization_id=organization_id
        if organization_id is not None
        else getattr(obj, "organization_id", None),
        ip=_ip(),
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_many(
    actor: Any,
    action: str,
    objects: Iterable[Any],
    *,
    details_of: Callable[[Any], dict[str, Any]] | None = None,
    **details: Any,
) -> None:
    """One audit row per object, all written by one statement in the current transaction (an
    import of a protocol creates hundreds of assignments at once). `details_of` adds what
    differs from one object to the next."""
    at, actor_id, ip = clock.now(), _actor_id(actor), _ip()
    rows = [
        {
            "at": at,
            "actor_id": actor_id,
            "action": action,
            "object_type": obj.__tablename__,
            "object_id": obj.id,
            "organization_id": getattr(obj, "organization_id", None),
            "ip": ip,
            "details": {**details, **details_of(obj)} if details_of else details,
        }
        for obj in objects
    ]
    if rows:
        db.session.execute(sa.insert(AuditLog), rows)


def record_now(
    actor: Any,
    action: str,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    **details: Any,
) -> None:
    """Write an audit row in its own transaction, whatever happens to the request's."""
    with db.engine.begin() as conn:
        conn.execute(
            AuditLog.__table__.insert().values(
                at=clock.now(),
                actor_id=_actor_id(actor),
                action=action,
                object_type=object_type,
                object_id=object_id,
                ip=_ip(),
                details=details,
            )
        )


def record_denied(actor: Any, object_type: str | None, object_id: Any, action: str) -> None:
    """A refusal goes to the audit log only: the probed object is named in the details, not as
    the row's object, so no object's history shows what a stranger tried."""
    path = request.path if has_request_context() else None
    record_now(
        actor,
        "access.denied",
        target_type=object_type,
        target_id=object_id if isinstance(object_id, int) else None,
        attempted=action,
        path=path,
    )
