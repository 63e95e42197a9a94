"""Filing a reply: match it to an assignment, check who sent it, and file it through the
assignment services (their rules, not a copy). Flushes, never commits: the SMTP server and the
IMAP poll commit each letter on its own, and a failure leaves the letter for the next pass."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from tracker.assignments import services as assignments
from tracker.assignments.models import Assignment
from tracker.core import clock, files
from tracker.core.errors import NotAllowed
from tracker.core.i18n import _
from tracker.core.permissions import visible_to
from tracker.core.tenancy import User
from tracker.core.urls import external_url
from tracker.inbound.models import InboundMessage, InboundOutcome
from tracker.inbound.reading import Letter, extension_request, message_id_of, read_letter
from tracker.notify.replies import plus_parts, read_token, reply_address, tokens_in_message_ids
from tracker.notify.services import queue_mail

# At most this many answers to one address a day: a robot that ignores Auto-Submitted and
# answers our answers cannot keep a loop going.
ANSWERS_PER_DAY = 3


@dataclass(frozen=True)
class Outcome:
    kind: str  # report, extension, refused, ignored, duplicate
    reason: str | None = None
    inbound_id: int | None = None


class Refused(Exception):
    """Nothing is filed; the sender is told why (with the assignment's link if they may see it)."""

    def __init__(self, message: str, assignment: Assignment | None = None) -> None:
        super().__init__(message)
        self.assignment = assignment


def receive(
    session: Session,
    raw: bytes,
    *,
    via: str,
    envelope_recipients: Sequence[str] = (),
    envelope_sender: str | None = None,
) -> Outcome:
    """Process one letter once. Unexpected errors propagate: the caller rolls back and the
    letter stays where it was (SMTP answers 451, IMAP leaves it unread)."""
    if already_received(session, message_id_of(raw)):
        return Outcome("duplicate")
    letter = read_letter(raw, envelope_recipients, envelope_sender)
    row = InboundMessage(
        message_id=letter.message_id,
        via=via,
        sender=letter.sender[:255],
        subject=letter.subject,
        received_at=clock.now(),
    )
    robot = letter.robot or _ours(letter.sender)
    if robot:
        row.outcome, row.reason = InboundOutcome.IGNORED, robot
        session.add(row)
        session.flush()
        return Outcome(InboundOutcome.IGNORED, robot, row.id)
    user = session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == letter.sender, User.active.is_(True))
    )
    row.user_id = user.id if user else None
    try:
        assignment = match(session, letter)
        row.assignment_id = assignment.id
        if user is None:
            raise Refused(
                _(
                    "Адрес %(email)s не принадлежит ни одному пользователю системы: отчёт "
                    "принимается только с адреса исполнителя.",
                    email=letter.sender or "—",
                ),
                assignment,
            )
        if not assignments.may(user, "report", assignment):
            raise Refused(
                _(
                    "С адреса %(email)s нельзя отчитаться по этому поручению: это может "
                    "исполнитель или сотрудник его организации.",
                    email=letter.sender,
                ),
                assignment,
            )
        _file(session, row, letter, raw, assignment, user)
        session.add(row)
        session.flush()
    except Refused as refusal:
        row.outcome, row.reason = InboundOutcome.REFUSED, str(refusal)
        session.add(row)
        session.flush()
        row.answered = _answer(session, row, refusal.assignment, user)
        session.flush()
        return Outcome(InboundOutcome.REFUSED, row.reason, row.id)
    return Outcome(row.outcome, None, row.id)


def match(session: Session, letter: Letter) -> Assignment:
    """The assignment a reply answers: by the token in the reply address, or, when the mail
    program dropped the plus part, by the token in the Message-ID it refers to."""
    tagged = plus_parts(letter.recipients)
    candidates = tagged or tokens_in_message_ids(letter.references)
    token = next((t for c in candidates if (t := read_token(c)) is not None), None)
    if token is None and tagged:
        raise Refused(_("Адрес, на который пришло письмо, повреждён или подделан."))
    if token is None:
        raise Refused(
            _(
                "Не удалось понять, к какому поручению относится письмо: отвечайте на письмо о "
                "поручении, не меняя адреса, или отчитайтесь на странице поручения."
            )
        )
    assignment = session.get(Assignment, token.assignment_id)
    if assignment is None:
        raise Refused(_("Поручение, на письмо о котором вы отвечаете, удалено."))
    if token.expires < clock.now().date():
        raise Refused(
            _(
                "Адрес для ответа действовал до %(date)s. Отчитайтесь на странице поручения "
                "или ответьте на более свежее письмо о нём.",
                date=token.expires.strftime("%d.%m.%Y"),
            ),
            assignment,
        )
    return assignment


def _file(
    session: Session,
    row: InboundMessage,
    letter: Letter,
    raw: bytes,
    assignment: Assignment,
    user: User,
) -> None:
    """A report or an extension request, through the assignment services, in a savepoint: a
    refusal half-way leaves nothing behind."""
    today = clock.today(assignment.organization.timezone)
    asks, deadline = extension_request(letter.text, today)
    if asks and deadline is None:
        raise Refused(
            _(
                "Не удалось прочитать новый срок. Напишите его в первой строке, например: "
                "«%(example)s».",
                example="Прошу перенести срок до 15.03.2024",
            ),
            assignment,
        )
    try:
        with session.begin_nested():
            if deadline is not None:
                request = assignments.request_extension(
                    session, assignment, user, letter.text, deadline.due_date, via="mail"
                )
                row.outcome, row.extension_request_id = InboundOutcome.EXTENSION, request.id
            else:
                uploads = [files.check_file(f.filename, f.data) for f in letter.files]
                report = assignments.submit_report(
                    session, assignment, user, letter.text, uploads, via="mail"
                )
                row.outcome, row.execution_report_id = InboundOutcome.REPORT, report.id
            row.storage_key, row.size = _keep_original(raw), len(raw)
    except files.FileRejected as error:
        raise Refused(_("%(error)s Отчёт не принят.", error=error), assignment) from None
    except (assignments.AssignmentError, NotAllowed) as error:
        raise Refused(str(error), assignment) from None


def _keep_original(raw: bytes) -> str:
    key = f"mail/{clock.now():%Y/%m}/{uuid.uuid4().hex}.eml"
    path = Path(current_app.config["TRACKER_UPLOAD_DIR"]) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return key


def original_path(row: InboundMessage) -> Path:
    return Path(current_app.config["TRACKER_UPLOAD_DIR"]) / (row.storage_key or "")


def _ours(sender: str) -> str | None:
    """Our own letters coming back (a provider mailbox that both sends and receives)."""
    own = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].lower()
    if sender and (sender == own or plus_parts([sender]) or sender == reply_address(None)):
        return f"From: {sender}"
    return None


def _answer(
    session: Session, row: InboundMessage, assignment: Assignment | None, user: User | None
) -> bool:
    """One short answer saying why; the link only for someone who may see the assignment."""
    if "@" not in row.sender:
        return False
    answered = session.scalar(
        sa.select(sa.func.count(InboundMessage.id)).where(
            InboundMessage.sender == row.sender,
            InboundMessage.answered.is_(True),
            InboundMessage.received_at > clock.now() - timedelta(days=1),
        )
    )
    if answered >= ANSWERS_PER_DAY:
        return False
    visible = (
        assignment is not None
        and user is not None
        and session.scalar(
            sa.select(Assignment.id).where(
                Assignment.id == assignment.id, visible_to(user, Assignment)
            )
        )
        is not None
    )
    queue_mail(
        session,
        recipient=user or row.sender,
        kind="inbound.refused",
        key=f"inbound:{row.id}:answer",
        template="inbound_refused",
        context={
            "reason": row.reason,
            "subject": row.subject,
            "link": external_url("assignments.detail", assignment_id=assignment.id)
            if visible
            else None,
            "home": external_url("core.home"),
        },
        assignment_id=assignment.id if visible else None,
    )
    return True


def letters_for(session: Session, assignment: Assignment) -> dict[str, dict[int, InboundMessage]]:
    """The letters that filed this assignment's reports and extension requests, by their ids."""
    rows = session.scalars(
        sa.select(InboundMessage).where(
            InboundMessage.assignment_id == assignment.id,
            InboundMessage.outcome.in_((InboundOutcome.REPORT, InboundOutcome.EXTENSION)),
        )
    )
    found: dict[str, dict[int, InboundMessage]] = {"report": {}, "extension": {}}
    for row in rows:
        target = (
            row.execution_report_id
            if row.outcome == InboundOutcome.REPORT
            else row.extension_request_id
        )
        if target is not None:
            found[row.outcome][target] = row
    return found


def already_received(session: Session, message_id: str) -> bool:
    seen = sa.select(InboundMessage.id).where(InboundMessage.message_id == message_id)
    return session.scalar(seen) is not None
