"""Sending one outbox row. Safe to run twice and from several workers: a row is claimed (an
UPDATE that only one process can win) before it is sent, and re-checked before sending."""

from __future__ import annotations

import email.charset
import logging
import smtplib
import threading
from datetime import timedelta
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

import sqlalchemy as sa
from flask import Flask, current_app
from flask_mail import Message

from tracker.core import clock
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.replies import reply_address, token_for
from tracker.notify.services import message_id_for

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BOUNCES_TO_MARK = 3


class MailMessage(Message):
    """Flask-Mail's message with bodies in quoted-printable: Flask-Mail sends UTF-8 as 8bit,
    and a long line (a report's text) then breaks SMTP's 998-character limit."""

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        utf8 = email.charset.Charset("utf-8")
        utf8.body_encoding = email.charset.QP
        return MIMEText(text or "", _subtype=subtype, _charset=utf8)


class TemporaryFailure(Exception):
    """The server said «try later» (4xx) or could not be reached: retry with back-off."""


class PermanentFailure(Exception):
    """The server refused for good (5xx)."""


def backoff(attempts: int) -> timedelta:
    base = int(current_app.config["TRACKER_RETRY_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def sending_timeout() -> timedelta:
    return timedelta(seconds=int(current_app.config["TRACKER_SENDING_TIMEOUT"]))


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the row: pending, or stuck in «sending» longer than a send can take."""
    now = clock.now()
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            sa.or_(
                OutboxMessage.state == "pending",
                sa.and_(
                    OutboxMessage.state == "sending",
                    OutboxMessage.locked_at < now - sending_timeout(),
                ),
            ),
        )
        .values(state="sending", locked_at=now, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if claimed else None


def no_longer_applies(row: OutboxMessage) -> str | None:
    """Why a reminder should not go out any more (accepted, cancelled, deadline moved)."""
    if row.kind == "roadmap.reminder":
        action = row.road_map_action
        if action is None:
            return "мероприятие удалено"
        if action.status not in ("planned", "in_progress"):
            return "мероприятие выполнено или исключено"
        if action.due_date != row.due_date:
            return "срок мероприятия изменён"
    if row.kind.startswith(("reminder", "escalation")):
        assignment = row.assignment
        if assignment is None:
            return "поручение удалено"
        if assignment.status not in ("assigned", "in_progress", "returned"):
            return f"поручение в состоянии {assignment.status}"
        if row.due_date is not None and assignment.due_date != row.due_date:
            return "срок поручения изменён"
    if row.recipient is not None and (
        not row.recipient.active or row.recipient.email_undeliverable_at is not None
    ):
        return (
            "адрес помечен как недоставляемый" if row.recipient.active else "пользователь отключён"
        )
    return None


def _compose(row: OutboxMessage) -> Message:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].partition("@")[2] or "tracker.local"
    # One line, whatever the stored name holds: a line break there must not add a recipient.
    recipient_name = " ".join((row.recipient.full_name if row.recipient else "").split())
    # A letter about one assignment can be answered to report on it (tracker.inbound).
    token = token_for(row)
    msg = MailMessage(
        subject=row.subject,
        sender=sender,
        recipients=[formataddr((recipient_name, row.recipient_email))],
        body=row.body_text,
        html=row.body_html,
        reply_to=reply_address(token) if token else None,
        extra_headers={
            "X-Tracker-Key": row.key,
            "List-Unsubscribe": f"<{external_url('notify.settings')}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    msg.msgId = message_id_for(row, domain)
    return msg


def _send(msg: Message) -> None:
    config = current_app.config
    if config.get("MAIL_SUPPRESS_SEND"):
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        ) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.sendmail(msg.sender, msg.send_to, msg.as_bytes())
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentFailure(str(error.recipients)) from error
        raise TemporaryFailure(str(error.recipients)) from error
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
    except (OSError, smtplib.SMTPException) as error:
        raise TemporaryFailure(str(error) or type(error).__name__) from error


def deliver(message_id: int) -> str:
    """Send one row; returns its state afterwards. Temporary failures go back to `pending`
    with a later `send_after` and are raised, so a Celery task can retry."""
    row = _claim(message_id)
    if row is None:
        state = db.session.scalar(
            sa.select(OutboxMessage.state).where(OutboxMessage.id == message_id)
        )
        return state or "missing"
    reason = no_longer_applies(row)
    if reason is not None:
        row.state, row.last_error, row.locked_at = "cancelled", reason, None
        db.session.commit()
        return row.state
    try:
        _send(_compose(row))
    except TemporaryFailure as error:
        row.last_error, row.locked_at = str(error), None
        if row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            db.session.commit()
            return row.state
        row.state, row.send_after = "pending", clock.now() + backoff(row.attempts)
        db.session.commit()
        raise
    except PermanentFailure as error:
        row.state, row.last_error = "failed", str(error)
        if row.recipient is not None:
            row.recipient.bounce_count += 1
            if row.recipient.bounce_count >= BOUNCES_TO_MARK:
                row.recipient.email_undeliverable_at = clock.now()
        db.session.commit()
        return row.state
    row.state, row.sent_at, row.last_error = "sent", clock.now(), None
    if row.recipient is not None and row.recipient.bounce_count:
        row.recipient.bounce_count = 0
    db.session.commit()
    return row.state


def deliver_soon(app: Flask, message_ids: list[int], *, inline: bool = False) -> None:
    """Hand rows to Celery, or (no broker configured) send them here: in a background thread
    after a web request's commit, in the calling thread for the scheduler (`inline`)."""
    if not message_ids:
        return
    if app.config.get("REDIS_URL"):
        import tracker.notify.jobs  # noqa: F401 - registers the task

        # This app's Celery (not the process-wide default, which another app may have replaced).
        task = app.extensions["celery"].tasks["tracker.notify.jobs.deliver_outbox_message"]
        try:
            for message_id in message_ids:
                task.apply_async((message_id,), retry=False)
        except Exception:
            log.warning(
                "broker unavailable, outbox rows %s stay pending for the sweep",
                list(message_ids),
                exc_info=True,
            )
        return

    def run() -> None:
        with app.app_context():
            for message_id in message_ids:
                try:
                    deliver(message_id)
                except TemporaryFailure:
                    log.warning("mail %s deferred", message_id)

    if inline or app.config.get("TRACKER_DELIVER_INLINE"):
        run()
    else:
        threading.Thread(target=run, name="outbox-delivery", daemon=True).start()
