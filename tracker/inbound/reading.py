"""Reading a reply: who sent it, what it answers, its new text, its files, and whether a robot
wrote it. Pure logic: no Flask, no database.

Quoted history, «… пишет:» headers and signatures are cut by mail-parser-reply. Its language
table has no Russian, so the Russian mail programs' phrases are registered in it here (the
library's own way to add a language); the cutting is the library's."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr

from inscriptis import get_text
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

from tracker.core.deadline_parsing import find_deadline
from tracker.core.deadlines import Deadline

_Q = QUOTED_MATCH_INCLUDE
MAIL_LANGUAGES.setdefault(
    "ru",
    {
        # Thunderbird «24.02.2023 9:00, Имя пишет:», Outlook «… написал(а):», and Gmail, Yandex
        # and Mail.ru, which end the line with the address: «пт, 24 февр. 2023 г. в 09:00,
        # Имя <a@b.ru>:». One capturing group: the library looks the header up by its text.
        "wrote_header": (
            r"^(" + _Q + r"(?:[^\n]{0,200}?(?:пишет|написала?|написал\(а\))"
            r"|[^\n]{0,120}[0-9]{1,2}:[0-9]{2}[^\n]{0,120}<[^\s<>]+@[^\s<>]+>)\s?:)$"
        ),
        "from_header": (
            r"((?:(?:^|\n|\n" + _Q + r")[* ]*(?:От|Отправлено|Кому|Тема|Дата|Копия|Организация)"
            r":[ *]*(?:\s{,2}).*){2,}(?:\n.*){,1})"
        ),
        "signatures": [
            "С уважением",
            "С наилучшими пожеланиями",
            "Всего доброго",
            "Всего наилучшего",
            "Заранее спасибо",
        ],
        "sent_from": "Отправлено с|Отправлено из|Sent from my|Get Outlook for",
    },
)
_PARSER = EmailReplyParser(languages=["ru", "en"])
_ORIGINAL = re.compile(
    r"^-{2,}\s*(?:Исходное сообщение|Пересылаемое сообщение|Forwarded message)\s*-{2,}\s*$",
    re.MULTILINE | re.IGNORECASE,
)

# Out-of-office answers announce themselves in the subject when their headers do not.
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:автоответ|автоматический ответ|auto(?:matic)?[ -]?reply|auto:|out of (?:the )?office"
    r"|нет на месте|отсутствую|вне офиса|в отпуске)",
    re.IGNORECASE,
)
_ROBOT_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")
# «Прошу перенести срок до …», «продлить до конца марта», «просим продлить срок на …».
_EXTENSION = re.compile(
    r"(?<!\w)(?:перенести|перенесите|продлить|продлите|отсрочить|перенос\w*\s+срок\w*"
    r"|продлени\w*\s+срок\w*|отсрочк\w*)(?!\w)",
    re.IGNORECASE,
)


@dataclass
class MailFile:
    filename: str
    data: bytes


@dataclass
class Letter:
    message_id: str
    sender: str  # lower-case address; "" if none
    subject: str
    recipients: list[str]  # To, Cc, Delivered-To, X-Original-To and the envelope's
    references: list[str]  # In-Reply-To, then References
    text: str  # the new text only
    files: list[MailFile] = field(default_factory=list)
    robot: str | None = None  # why no one should answer it (auto-reply, bounce), or None


def read_letter(
    raw: bytes, envelope_recipients: Sequence[str] = (), envelope_sender: str | None = None
) -> Letter:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = message_id_of(raw, message)
    sender = parseaddr(_header(message, "From") or "")[1].strip().lower()
    recipients = [
        address
        for _name, address in getaddresses(
            [_header(message, name) or "" for name in ("To", "Cc", "Delivered-To", "X-Original-To")]
        )
        if address
    ]
    references = re.findall(
        r"<[^<>\s]+>",
        " ".join(_header(message, name) or "" for name in ("In-Reply-To", "References")),
    )
    return Letter(
        message_id=message_id,
        sender=sender,
        subject=(_header(message, "Subject") or "").strip()[:500],
        recipients=[*envelope_recipients, *recipients],
        references=references,
        text=new_text(message),
        files=attachments(message),
        robot=robot(message, sender, envelope_sender),
    )


def message_id_of(raw: bytes, message: EmailMessage | None = None) -> str:
    """What a letter is remembered by: its Message-ID, or a digest of it when it has none.
    Without `message`, only the headers are parsed (a duplicate is known cheaply)."""
    if message is None:
        message = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    message_id = (_header(message, "Message-ID") or "").strip()
    if not message_id or len(message_id) > 250:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    return message_id


def _header(message: EmailMessage, name: str) -> str | None:
    """A header's text; a malformed one is read as it is rather than refused."""
    try:
        value = message.get(name)
        return str(value) if value is not None else None
    except (ValueError, IndexError, TypeError):
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
        return str(raw) if raw is not None else None


def new_text(message: EmailMessage) -> str:
    """What the sender wrote in this letter: no quoted history, no signature."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        content = get_text(content)
    content = _ORIGINAL.split(content, maxsplit=1)[0]
    first = _PARSER.read(content).replies[0] if content.strip() else None
    # A first part that starts with a «… пишет:» header is the quote: nothing new was written.
    body = first.body if first is not None and not first.headers else ""
    lines = [line.rstrip() for line in body.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def attachments(message: EmailMessage) -> list[MailFile]:
    """The files attached; pictures embedded in an HTML body (a signature's logo) are not."""
    found = []
    for part in message.iter_attachments():
        filename = part.get_filename()
        if not filename or part.get_content_maintype() in ("message", "multipart"):
            continue
        if part.get_content_disposition() == "inline" and part.get("Content-ID"):
            continue
        found.append(MailFile(filename=str(filename), data=part.get_payload(decode=True) or b""))
    return found


def robot(message: EmailMessage, sender: str, envelope_sender: str | None) -> str | None:
    """Why the letter comes from a machine (RFC 3834 and what mail programs really send)."""
    return (
        _auto_headers(message)
        or _bounce(message, envelope_sender)
        or _robot_sender(message, sender)
    )


def _auto_headers(message: EmailMessage) -> str | None:
    """Auto-Submitted, an auto-reply header, a bulk Precedence or a mailing list's List-Id."""
    auto = (_header(message, "Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(name) is not None:
            return name
    precedence = (_header(message, "Precedence") or _header(message, "X-Precedence") or "").lower()
    if precedence.strip() in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence.strip()}"
    return "List-Id" if message.get("List-Id") is not None else None


def _bounce(message: EmailMessage, envelope_sender: str | None) -> str | None:
    # The null reverse path (MAIL FROM:<>) is what delivery reports are sent with.
    null_sender = envelope_sender is not None and envelope_sender.strip("<> ") == ""
    if message.get_content_type() == "multipart/report" or null_sender:
        return "bounce"
    return "bounce" if (_header(message, "Return-Path") or "").strip() == "<>" else None


def _robot_sender(message: EmailMessage, sender: str) -> str | None:
    """A robot's mailbox (noreply@, mailer-daemon@ …) or an auto-reply's subject."""
    if sender.partition("@")[0] in _ROBOT_SENDERS:
        return f"From: {sender}"
    return "subject" if _AUTO_SUBJECT.match(_header(message, "Subject") or "") else None


def extension_request(text: str, today: date) -> tuple[bool, Deadline | None]:
    """(whether the first line asks for more time, the date it asks for if readable).

    The date is read by the project's deadline reader. Without a year it is the next such
    date: «до конца марта» written in December means next March."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not _EXTENSION.search(first):
        return False, None
    line = re.sub(r"(?<!\w)на(?=\s+[0-9])", "до", first, flags=re.IGNORECASE)
    deadline = find_deadline(line, today=today)
    if deadline is None or deadline.due_date is None:
        return True, None
    if deadline.due_date < today:
        later = find_deadline(line, today=date(today.year + 1, today.month, min(today.day, 28)))
        if later is not None and later.due_date is not None:
            deadline = later
    return True, deadline
