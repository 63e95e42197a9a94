"""Sending one outbox row. Safe to run twice: a row is claimed before it is sent."""

from __future__ import annotations

import smtplib
import threading
from email.utils import formataddr, parseaddr

import sqlalchemy as sa
from flask import Flask, current_app
from flask_mail import Message

from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.services import message_id_for


class TemporaryFailure(Exception):
    """The server said «try later» (4xx) or could not be reached: retry with back-off."""


def _claim(message_id: int) -> OutboxMessage | None:
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == "pending")
        .values(state="sending", locked_at=clock.now(), attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    return db.session.get(OutboxMessage, message_id) if claimed else None


def _compose(row: OutboxMessage) -> Message:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].partition("@")[2] or "tracker.local"
    recipient_name = row.recipient.full_name if row.recipient else ""
    msg = Message(
        subject=row.subject,
        sender=sender,
        recipients=[formataddr((recipient_name, row.recipient_email))],
        body=row.body_text,
        html=row.body_html,
        extra_headers={"X-Tracker-Key": row.key},
    )
    msg.msgId = message_id_for(row, domain)
    return msg


def _send(msg: Message) -> None:
    config = current_app.config
    if config.get("MAIL_SUPPRESS_SEND"):
        return
    timeout = config["MAIL_TIMEOUT"]
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.sendmail(msg.sender, msg.send_to, msg.as_bytes())
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise
    except (OSError, smtplib.SMTPServerDisconnected) as error:
        raise TemporaryFailure(str(error) or type(error).__name__) from error


def deliver(message_id: int) -> str:
    """Send one row; returns its state afterwards. Temporary failures go back to `pending`."""
    row = _claim(message_id)
    if row is None:
        state = db.session.scalar(
            sa.select(OutboxMessage.state).where(OutboxMessage.id == message_id)
        )
        return state or "missing"
    try:
        _send(_compose(row))
    except TemporaryFailure as error:
        row.state, row.last_error, row.locked_at = "pending", str(error), None
        db.session.commit()
        raise
    except Exception as error:  # a permanent refusal (5xx) or a bad address
        row.state, row.last_error = "failed", str(error)
        db.session.commit()
        return row.state
    row.state, row.sent_at, row.last_error = "sent", clock.now(), None
    db.session.commit()
    return row.state


def deliver_soon(app: Flask, message_ids: list[int], *, inline: bool = False) -> None:
    """Hand rows to Celery, or (no broker configured) send them here: in a background thread
    after a web request's commit, in the calling thread for the scheduler (`inline`)."""
    if not message_ids:
        return
    if app.config.get("REDIS_URL"):
        from tracker.notify.jobs import deliver_outbox_message

        for message_id in message_ids:
            deliver_outbox_message.delay(message_id)
        return

    def run() -> None:
        with app.app_context():
            for message_id in message_ids:
                try:
                    deliver(message_id)
                except TemporaryFailure:
                    current_app.logger.warning("mail %s deferred", message_id)

    if inline or app.config.get("TRACKER_DELIVER_INLINE"):
        run()
    else:
        threading.Thread(target=run, name="outbox-delivery", daemon=True).start()
