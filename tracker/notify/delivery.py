"""Sending one outbox row. Safe to run twice and from several workers.

The contract (README, «Доставка писем»): a row is claimed in a short transaction of its own
(«sending», fenced by its attempt number and a deadline), the SMTP conversation runs outside any
transaction and ends before the deadline, and the outcome is written in a second short
transaction that only lands if the claim still holds. A dropped database connection therefore
never leaves an open transaction around a send, and the rescue of a row «sending» too long (its
worker died) can never overlap a conversation still going on. What stays at-least-once is the
moment between the server's «250» and the commit of «sent»: a worker killed exactly there sends
the letter again after TRACKER_SENDING_TIMEOUT, with the same Message-ID."""

from __future__ import annotations

import email.charset
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_mail import Message
from sqlalchemy.exc import DBAPIError

from tracker.core import clock
from tracker.core.models import sqlite_writer
from tracker.core.tenancy import User
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.notify.models import OutboxMessage, OutboxState
from tracker.notify.replies import reply_address, token_for
from tracker.notify.services import message_id_for
from tracker.notify.sources import KINDS

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BOUNCES_TO_MARK = 3
# How long the outcome of a finished conversation is retried against a database that is away.
FINISH_RETRY_SECONDS = 60
CLAIM_RETRY_SECONDS = 10


class MailMessage(Message):
    """Flask-Mail's message with bodies in quoted-printable: Flask-Mail sends UTF-8 as 8bit,
    and a long line (a report's text) then breaks SMTP's 998-character limit."""

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        utf8 = email.charset.Charset("utf-8")
        utf8.body_encoding = email.charset.QP
        return MIMEText(text or "", _subtype=subtype, _charset=utf8)


class TemporaryFailure(Exception):
    """The server said «try later» (4xx) or could not be reached: retry with back-off."""

    def __init__(self, message: str, retry_in: float | None = None) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class PermanentFailure(Exception):
    """The server refused for good (5xx)."""


class ClaimLost(Exception):
    """The row is no longer this sender's (cancelled, or taken over): the letter is not sent."""


def backoff(attempts: int) -> timedelta:
    base = int(current_app.config["TRACKER_RETRY_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def sending_timeout() -> timedelta:
    return timedelta(seconds=int(current_app.config["TRACKER_SENDING_TIMEOUT"]))


def claimable(now: Any) -> sa.ColumnElement[bool]:
    """Rows a sender may take now: pending and due, or «sending» past their deadline."""
    return sa.or_(
        sa.and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.send_after <= now),
        sa.and_(
            OutboxMessage.state == OutboxState.SENDING,
            OutboxMessage.locked_at < now - sending_timeout(),
        ),
    )


@dataclass(frozen=True)
class Claim:
    message_id: int
    attempt: int  # the fencing token: the row's `attempts` right after this claim
    deadline: float  # time.monotonic() by which the conversation must be over


def _claim(message_id: int) -> Claim | None:
    """Take the row in a transaction of its own; None if it is not ours to send now."""
    now = clock.now()
    taken: list[int] = []

    def action() -> bool:
        taken[:] = db.session.scalars(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, claimable(now))
            .values(state=OutboxState.SENDING, locked_at=now, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.attempts)
        ).all()
        return bool(taken)

    # A dropped connection is retried; if its commit had landed, the row waits for the rescue.
    if not _write(action, patience=CLAIM_RETRY_SECONDS):
        return None
    attempt = taken[0]
    # The rescue takes the row TRACKER_SENDING_TIMEOUT after the claim; this sender stops one
    # MAIL_TIMEOUT earlier, so the outcome has time to land before anyone else may start.
    budget = sending_timeout().total_seconds() - float(current_app.config["MAIL_TIMEOUT"])
    return Claim(message_id, attempt, time.monotonic() + budget)


def _holds(claim: Claim) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.id == claim.message_id,
        OutboxMessage.state == OutboxState.SENDING,
        OutboxMessage.attempts == claim.attempt,
    )


def _still_holds(claim: Claim) -> bool:
    """Checked right before the letter is handed over: nobody cancelled or took it meanwhile."""
    held = db.session.scalar(sa.select(OutboxMessage.id).where(_holds(claim))) is not None
    db.session.rollback()
    return held


def _write(action: Callable[[], bool], *, patience: float) -> bool:
    """Run `action` (statements, then commit) in a short write transaction; a dropped or
    refused connection is retried on a fresh one for `patience` seconds."""
    give_up = time.monotonic() + patience
    pause = 0.1
    while True:
        try:
            with sqlite_writer():
                done = action()
                db.session.commit()
            return done
        except DBAPIError as error:
            db.session.rollback()
            if time.monotonic() >= give_up:
                log.error("outbox: the outcome could not be written: %s", error)
                raise
            log.warning("outbox: database unavailable, retrying: %s", error.__class__.__name__)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def no_longer_applies(row: OutboxMessage) -> str | None:
    """Why a letter should not go out any more: what it reminds of moved on (its part says,
    see `sources.register_kind`), or the recipient is gone."""
    kind = KINDS.get(row.kind)
    if kind is not None and kind.stale is not None and (reason := kind.stale(row)):
        return reason
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


def _send(msg: Message, claim: Claim) -> None:
    """One SMTP conversation, over by the claim's deadline. The claim is checked once more
    right before DATA: past that point the letter may reach the recipient."""
    config = current_app.config
    if config.get("MAIL_SUPPRESS_SEND"):
        if not _still_holds(claim):
            raise ClaimLost
        return

    def timeout() -> float:
        left = claim.deadline - time.monotonic()
        if left <= 0:
            raise TemporaryFailure("время на отправку (TRACKER_SENDING_TIMEOUT) истекло")
        return min(float(config["MAIL_TIMEOUT"]), left)

    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    smtp: smtplib.SMTP | None = None
    accepted = False
    try:
        smtp = smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout())
        smtp.ehlo_or_helo_if_needed()
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
            smtp.ehlo()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.sock.settimeout(timeout())
        _expect(smtp.mail(msg.sender), 250)
        for address in msg.send_to:
            smtp.sock.settimeout(timeout())
            _expect(smtp.rcpt(address), 250, 251)
        if not _still_holds(claim):
            raise ClaimLost
        smtp.sock.settimeout(timeout())
        _expect(smtp.data(msg.as_bytes()), 250)
        accepted = True
    except (ClaimLost, TemporaryFailure, PermanentFailure):
        raise
    except smtplib.SMTPResponseException as error:
        raise _failure(error.smtp_code, error.smtp_error) from error
    except (OSError, smtplib.SMTPException) as error:
        raise TemporaryFailure(str(error) or type(error).__name__) from error
    finally:
        if smtp is not None:
            _close(smtp, polite=accepted)


def _expect(reply: tuple[int, bytes], *good: int) -> None:
    code, text = reply
    if code not in good:
        raise _failure(code, text)


def _failure(code: int, text: Any) -> Exception:
    if 400 <= code < 500 or code < 0:
        return TemporaryFailure(f"{code} {text!r}")
    return PermanentFailure(f"{code} {text!r}")


def _close(smtp: smtplib.SMTP, *, polite: bool) -> None:
    """QUIT after an accepted letter, but nothing said or lost after «250» undoes it."""
    try:
        if polite:
            smtp.sock.settimeout(1)
            smtp.quit()
        else:
            smtp.close()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def deliver(message_id: int, *, retried_by_broker: bool = False) -> str:
    """Send one row; returns its state afterwards. Temporary failures go back to `pending`
    with a later `send_after` and are raised, so a Celery task can retry (then the row stays
    handed to the broker: `retried_by_broker`)."""
    if db.session().in_transaction():
        db.session.commit()
    claim = _claim(message_id)
    if claim is None:
        state = db.session.scalar(
            sa.select(OutboxMessage.state).where(OutboxMessage.id == message_id)
        )
        db.session.rollback()
        return state or "missing"
    row = db.session.get(OutboxMessage, message_id)
    reason = no_longer_applies(row)
    if reason is None:
        message = _compose(row)
        recipient_id = row.recipient_id
    db.session.rollback()  # reads done: no transaction stays open during the conversation
    if reason is not None:
        _finish(claim, state=OutboxState.CANCELLED, last_error=reason, locked_at=None)
        return OutboxState.CANCELLED
    try:
        _send(message, claim)
    except ClaimLost:
        return _state_of(message_id)
    except TemporaryFailure as error:
        if claim.attempt >= MAX_ATTEMPTS:
            _finish(claim, state=OutboxState.FAILED, last_error=str(error), locked_at=None)
            return OutboxState.FAILED
        wait = backoff(claim.attempt)
        send_after = clock.now() + wait
        _finish(
            claim,
            state=OutboxState.PENDING,
            last_error=str(error),
            locked_at=None,
            send_after=send_after,
            # A Celery retry keeps the row handed over until it is due; otherwise the
            # scheduler hands it again once it is due.
            dispatched_at=send_after if retried_by_broker else None,
        )
        error.retry_in = wait.total_seconds()
        raise
    except PermanentFailure as error:
        _finish(
            claim,
            bounced=recipient_id,
            state=OutboxState.FAILED,
            last_error=str(error),
            locked_at=None,
        )
        return OutboxState.FAILED
    _mark_sent(message_id, recipient_id)
    return OutboxState.SENT


def _state_of(message_id: int) -> str:
    state = db.session.scalar(sa.select(OutboxMessage.state).where(OutboxMessage.id == message_id))
    db.session.rollback()
    return state or "missing"


def _finish(claim: Claim, *, bounced: int | None = None, **values: Any) -> bool:
    """Write a failed or cancelled conversation's outcome if the claim still holds; a refusal
    (`bounced`: its recipient) is counted in the same transaction, so the outcome and the count
    are never seen apart."""

    def action() -> bool:
        result = db.session.execute(sa.update(OutboxMessage).where(_holds(claim)).values(**values))
        if result.rowcount and bounced is not None:
            _count_bounce(bounced)
        return bool(result.rowcount)

    held = _write(action, patience=FINISH_RETRY_SECONDS)
    if not held:
        log.warning("outbox %s: claim %s lost before its outcome", claim.message_id, claim.attempt)
    return held


def _mark_sent(message_id: int, recipient_id: int | None) -> None:
    """The server took the letter: record it whoever holds the row now (the only write between
    the «250» and the end of the task, so the at-least-once window is one round trip)."""

    def action() -> bool:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state.in_((OutboxState.SENDING, OutboxState.PENDING)),
            )
            .values(state=OutboxState.SENT, sent_at=clock.now(), last_error=None, locked_at=None)
        )
        if recipient_id is not None:
            db.session.execute(
                sa.update(User)
                .where(User.id == recipient_id, User.bounce_count > 0)
                .values(bounce_count=0)
            )
        return True

    _write(action, patience=FINISH_RETRY_SECONDS)


def _count_bounce(recipient_id: int) -> None:
    """One more refusal, counted in SQL: refusals seen by several workers at once all count."""
    db.session.execute(
        sa.update(User)
        .where(User.id == recipient_id)
        .values(
            bounce_count=User.bounce_count + 1,
            email_undeliverable_at=sa.case(
                (
                    sa.and_(
                        User.email_undeliverable_at.is_(None),
                        User.bounce_count + 1 >= BOUNCES_TO_MARK,
                    ),
                    clock.now(),
                ),
                else_=User.email_undeliverable_at,
            ),
        )
    )


def deliver_soon(app: Flask, message_ids: list[int], *, inline: bool = False) -> int:
    """Hand rows to Celery, or (no broker configured) send them here: in a background thread
    after a web request's commit, in the calling thread for the scheduler and the CLI
    (`inline`). Returns how many rows were really handed over (or sent here)."""
    if not message_ids:
        return 0
    if app.config.get("REDIS_URL"):
        return _hand_to_broker(app, message_ids)

    def run() -> int:
        with app.app_context():
            for message_id in message_ids:
                try:
                    deliver(message_id)
                except TemporaryFailure:
                    log.warning("mail %s deferred", message_id)
                except DBAPIError as error:
                    log.warning("mail %s left for the next run: %s", message_id, error)
                    db.session.rollback()
            db.session.remove()
        return len(message_ids)

    if inline or app.config.get("TRACKER_DELIVER_INLINE"):
        return run()
    threading.Thread(target=run, name="outbox-delivery", daemon=True).start()
    return len(message_ids)


def _set_lease(app: Flask, message_ids: list[int], moment: Any) -> None:
    with app.app_context(), sqlite_writer(), db.engine.begin() as conn:
        conn.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(dispatched_at=moment)
        )


def _hand_to_broker(app: Flask, message_ids: list[int]) -> int:
    """Queue one Celery task per row. A row handed over is leased (`dispatched_at`) so the
    scheduler does not hand it again for TRACKER_REQUEUE_SECONDS; the lease of every row the
    broker did not take is released at once, so the next run hands it over again."""
    import tracker.notify.jobs  # noqa: F401 - registers the task

    # This app's Celery (not the process-wide default, which another app may have replaced).
    task = app.extensions["celery"].tasks["tracker.notify.jobs.deliver_outbox_message"]
    _set_lease(app, message_ids, clock.now())
    handed = 0
    try:
        for message_id in message_ids:
            task.apply_async((message_id,), retry=False)
            handed += 1
    except Exception:
        log.warning(
            "broker unavailable, outbox rows %s stay pending for the next run",
            message_ids[handed:],
            exc_info=True,
        )
        _set_lease(app, message_ids[handed:], None)
    return handed
