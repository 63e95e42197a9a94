"""Queueing mail: every message is an outbox row written in the caller's transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.core import clock
from tracker.core.i18n import _, ngettext_ru
from tracker.core.tenancy import User
from tracker.notify.models import OutboxMessage, OutboxState
from tracker.notify.replies import token_for


def render_mail(template: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) from the pair templates/mail/<template>.txt and .html.

    The text template's first line is «Тема: …»; the rest is the body."""
    context.setdefault("base_url", current_app.config["TRACKER_BASE_URL"].rstrip("/"))
    # Letters are Russian whoever triggers them: plurals come from the ru catalogue.
    context.setdefault("ngettext", ngettext_ru)
    # The Jinja environment itself, not render_template: mail is also written by the scheduler
    # and Celery, where there is no request for the pages' context processors.
    env = current_app.jinja_env
    text = env.get_template(f"mail/{template}.txt").render(**context).strip()
    first, _sep, body = text.partition("\n")
    if not first.startswith("Тема:"):
        raise ValueError(f"mail/{template}.txt must start with «Тема: …»")
    html = env.get_template(f"mail/{template}.html").render(**context)
    return first.removeprefix("Тема:").strip(), body.strip() + "\n", html


def blank(name: str) -> str:
    """A stand-in for a value that differs from letter to letter (see `fill`)."""
    return f"\x00{name}\x00"


def fill(letter: tuple[str, str, str], values: dict[str, str]) -> tuple[str, str, str]:
    """A letter rendered once with blanks, filled in for one recipient: the text rendering it
    with the values gives (escaped in the HTML part, as the template escapes them)."""
    subject, text, html = letter
    for name, value in values.items():
        mark = blank(name)
        subject = subject.replace(mark, value)
        text = text.replace(mark, value)
        html = html.replace(mark, str(escape(value)))
    return subject, text, html


def queue_mail(
    session: Session,
    *,
    recipient: User | str,
    kind: str,
    key: str,
    template: str,
    context: dict[str, Any],
    assignment_id: int | None = None,
    road_map_id: int | None = None,
    occurrence: str | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage | None:
    """Add one outbox row; None if a row with this key exists (a re-run adds nothing).
    `recipient` is a user, or a bare address (the answer to a stranger's letter)."""
    if session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    user = recipient if isinstance(recipient, User) else None
    subject, text, html = render_mail(template, recipient=user, **context)
    message = OutboxMessage(
        key=key,
        kind=kind,
        recipient_id=user.id if user else None,
        recipient_email=user.email if user else recipient,
        assignment_id=assignment_id,
        road_map_id=road_map_id,
        occurrence=occurrence,
        subject=subject,
        body_text=text,
        body_html=html,
        send_after=send_after or clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another process wrote the same key between our check and our insert.
        return None
    return message


def message_id_for(message: OutboxMessage, domain: str) -> str:
    """A stable Message-ID: the same outbox row always gets the same one. A replyable letter's
    carries its reply token, so a reply is matched by In-Reply-To when the plus part is lost."""
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
    token = token_for(message)
    return f"<{digest}.{token.text}@{domain}>" if token else f"<{digest}@{domain}>"


def resend(session: Session, message: OutboxMessage, actor: User) -> None:
    """Put a failed or cancelled message back in the queue (the administrator's decision)."""
    from tracker.core import audit

    if message.state not in (OutboxState.FAILED, OutboxState.CANCELLED):
        raise ValueError(_("Повторно отправить можно только письмо с ошибкой или отменённое."))
    if message.recipient is not None and message.recipient.email_undeliverable_at is not None:
        message.recipient.email_undeliverable_at = None
        message.recipient.bounce_count = 0
    message.state, message.attempts, message.send_after = OutboxState.PENDING, 0, clock.now()
    message.last_error = None
    session.flush()
    session.info.setdefault("outbox_new", []).append(message.id)
    audit.record(actor, "outbox.resend", message, organization_id=None, key=message.key)


def cancel(session: Session, message: OutboxMessage, actor: User) -> None:
    from tracker.core import audit

    if message.state != OutboxState.PENDING:
        raise ValueError(_("Отменить можно только письмо в очереди."))
    message.state, message.last_error = OutboxState.CANCELLED, "отменено администратором"
    session.flush()
    audit.record(actor, "outbox.cancel", message, organization_id=None, key=message.key)


def mark_deliverable(session: Session, user: User, actor: User) -> None:
    from tracker.core import audit

    user.email_undeliverable_at, user.bounce_count = None, 0
    session.flush()
    audit.record(actor, "user.email_deliverable", user)
