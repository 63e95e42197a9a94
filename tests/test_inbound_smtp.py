"""Reports by replying to a letter, through `flask mail inbound` (aiosmtpd in its own process)
and a real SMTP client: what is filed, what is refused and answered, what is ignored."""

from __future__ import annotations

import email
import email.policy
import shutil
import smtplib
import socket
import ssl
import threading
import time
from datetime import date
from email.utils import parseaddr
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.inbound_helpers import (
    DOMAIN,
    PDF,
    InboundServer,
    reminder_letter,
    reply_to,
    rows,
    self_signed,
    send,
    server_env,
    wait_for,
)
from tracker.assignments import services as assignments
from tracker.assignments.models import Assignment, ExecutionReport, ExtensionRequest
from tracker.core.models import Attachment, AuditLog
from tracker.extensions import db
from tracker.inbound.models import InboundMessage
from tracker.notify.models import OutboxMessage
from tracker.notify.replies import ReplyToken

NEW_TEXT = (
    "Антирисковая программа утверждена приказом от 20.02.2023 № 47.\nРазмещена на сайте школы."
)
SIGNATURE = (
    "С уважением,\nдиректор МОУ «Средняя школа № 3»\nДиректор Школы Три\nтел. 8 (8142) 00-00-00"
)


@pytest.fixture
def letter(app, world, inbound, mailbox):
    assignment, original = reminder_letter(app, world, mailbox)
    mailbox.clear()
    return assignment, original


def answers_to(mailbox, address: str):
    return [m for m in mailbox.messages if parseaddr(str(m["To"]))[1] == address]


def report_count(assignment_id: int) -> int:
    return len(rows(ExecutionReport, ExecutionReport.assignment_id == assignment_id))


def test_reminder_carries_a_signed_reply_address_and_its_message_id(letter):
    assignment, original = letter
    reply_address = parseaddr(str(original["Reply-To"]))[1]
    local, _at, domain = reply_address.partition("@")
    assert domain == DOMAIN and local.startswith("reply+")
    token = local.removeprefix("reply+")
    assert token.startswith(f"{assignment.id}-")
    assert token in str(original["Message-ID"])
    assert "ответить на это письмо" in original.get_body(("plain",)).get_content()


def test_reply_with_history_and_signature_files_the_new_text_and_the_file(
    world, letter, inbound, mailbox, client_for
):
    assignment, original = letter
    reply = reply_to(
        original,
        f"Директор Школы Три <{world.director.email}>",
        f"{NEW_TEXT}\n\n{SIGNATURE}",
        files=[("Приказ № 47.pdf", PDF)],
    )
    send(inbound.port, reply)

    (report,) = rows(ExecutionReport, ExecutionReport.assignment_id == assignment.id)
    assert report.text == NEW_TEXT
    assert report.author_id == world.director.id
    (attachment,) = rows(Attachment, Attachment.execution_report_id == report.id)
    assert (attachment.filename, attachment.content_type) == ("Приказ № 47.pdf", "application/pdf")
    assert db.session.get(Assignment, assignment.id).status == "reported"
    (received,) = rows(InboundMessage)
    assert (received.outcome, received.via, received.execution_report_id) == (
        "report",
        "smtp",
        report.id,
    )
    # The history says it came by mail; the controller is told as for any report.
    (entry,) = rows(
        AuditLog, AuditLog.action == "assignment.report", AuditLog.object_id == assignment.id
    )
    assert entry.details["via"] == "mail"
    assert rows(
        OutboxMessage,
        OutboxMessage.kind == "assignment.reported",
        OutboxMessage.recipient_id == world.staff.id,
    )
    assert answers_to(mailbox, world.director.email) == []

    # The original letter: for those who may see the assignment, and nobody else.
    page = client_for(world.staff).get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert "по почте" in page and f"/mail/{received.id}/letter.eml" in page
    download = client_for(world.staff).get(f"/mail/{received.id}/letter.eml")
    assert download.status_code == 200
    kept = email.message_from_bytes(download.data, policy=email.policy.default)
    assert kept["Message-ID"] == reply["Message-ID"]
    assert "пишет:" in kept.get_body(("plain",)).get_content()  # as sent, history and all
    assert [p.get_filename() for p in kept.iter_attachments()] == ["Приказ № 47.pdf"]
    expected = {"admin": 200, "staff": 200, "director": 200, "school_staff": 200}
    expected |= {"sibling_director": 404, "other_staff": 404}
    for role, status in expected.items():
        got = client_for(world.user(role)).get(f"/mail/{received.id}/letter.eml").status_code
        assert got == status, role
    assert client_for().get(f"/mail/{received.id}/letter.eml").status_code in (302, 401)


def test_forged_token_files_nothing_and_the_sender_is_told(world, letter, inbound, mailbox):
    assignment, original = letter
    address = parseaddr(str(original["Reply-To"]))[1]
    local, _at, domain = address.partition("@")
    signature = local[-16:]
    forged_signature = local[:-16] + ("a" if signature[0] != "a" else "b") + signature[1:]
    # Another school's assignment with this letter's signature: the director guesses an id.
    (other,) = [a for a in assignment.decision.assignments if a.organization_id == world.sibling.id]
    forged_id = local.replace(f"+{assignment.id}-", f"+{other.id}-", 1)
    for n, fake in enumerate((forged_signature, forged_id)):
        send(
            inbound.port,
            reply_to(
                original,
                world.director.email,
                "Сделано",
                to=f"{fake}@{domain}",
                message_id=f"<forged-{n}@school3.test>",
            ),
        )
    assert report_count(assignment.id) == 0 and report_count(other.id) == 0
    assert {r.outcome for r in rows(InboundMessage)} == {"refused"}
    answers = wait_for(
        lambda: (
            len(answers_to(mailbox, world.director.email)) == 2
            and answers_to(mailbox, world.director.email)
        )
    )
    for answer in answers:
        text = answer.get_body(("plain",)).get_content()
        assert "не принято" in text and "повреждён или подделан" in text
        assert answer["Auto-Submitted"] == "auto-generated"


def test_wrong_sender_files_nothing(world, letter, inbound, mailbox):
    assignment, original = letter
    send(inbound.port, reply_to(original, world.sibling_director.email, "Сделано у нас"))
    send(inbound.port, reply_to(original, "stranger@example.org", "Сделано"))
    assert report_count(assignment.id) == 0
    refused = {r.sender: r.reason for r in rows(InboundMessage)}
    assert "нельзя отчитаться" in refused[world.sibling_director.email]
    assert "не принадлежит ни одному пользователю" in refused["stranger@example.org"]
    # Each is answered once, without the assignment's link: neither may see it.
    sibling = wait_for(lambda: answers_to(mailbox, world.sibling_director.email))
    stranger = wait_for(lambda: answers_to(mailbox, "stranger@example.org"))
    for answer in (*sibling, *stranger):
        assert f"/assignments/{assignment.id}" not in answer.get_body(("plain",)).get_content()


def test_a_colleague_from_the_school_may_report(world, letter, inbound):
    assignment, original = letter
    send(inbound.port, reply_to(original, world.school_staff.email, "Программа утверждена"))
    (report,) = rows(ExecutionReport, ExecutionReport.assignment_id == assignment.id)
    assert report.author_id == world.school_staff.id


def test_out_of_office_and_bounces_file_nothing_and_get_no_answer(world, letter, inbound, mailbox):
    assignment, original = letter
    director = world.director.email
    send(inbound.port, reply_to(original, director, "Я в отпуске", Auto_Submitted="auto-replied"))
    auto = reply_to(original, director, "Нахожусь в отпуске до 10.03.2023")
    auto.replace_header("Subject", "Автоответ: " + str(original["Subject"]))
    send(inbound.port, auto)
    bounce = reply_to(original, "MAILER-DAEMON@mx.school3.test", "Delivery failed")
    send(inbound.port, bounce, mail_from="")
    # A delivery report that looks like the director's letter: only the null sender tells.
    send(inbound.port, reply_to(original, director, "Сделано"), mail_from="")
    assert report_count(assignment.id) == 0
    assert [r.outcome for r in rows(InboundMessage)] == ["ignored"] * 4
    time.sleep(1.5)  # an answer, if one were queued, would have gone out by now
    assert mailbox.messages == []


def test_a_letter_delivered_twice_is_filed_once(world, letter, inbound, mailbox):
    assignment, original = letter
    reply = reply_to(original, world.director.email, NEW_TEXT, message_id="<once@school3.test>")
    send(inbound.port, reply)
    send(inbound.port, reply)
    assert report_count(assignment.id) == 1
    assert len(rows(InboundMessage)) == 1
    time.sleep(1.0)
    assert answers_to(mailbox, world.director.email) == []


def test_the_same_letter_delivered_on_two_connections_at_once_is_filed_once(world, letter, inbound):
    assignment, original = letter
    reply = reply_to(original, world.director.email, NEW_TEXT, message_id="<twice@school3.test>")
    codes: list[int] = []

    def deliver() -> None:
        for _attempt in range(5):  # a sending server retries after 451
            try:
                send(inbound.port, reply)
                codes.append(250)
                return
            except smtplib.SMTPDataError as error:
                codes.append(error.smtp_code)
                time.sleep(0.5)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes.count(250) == 2 and set(codes) <= {250, 451}
    assert report_count(assignment.id) == 1
    assert len(rows(InboundMessage)) == 1


def test_extension_request_by_mail_appears_for_the_controller(world, letter, inbound, client_for):
    assignment, original = letter
    body = "Прошу перенести срок до 15.03.2023\nПриказ о программе на согласовании в управлении."
    send(inbound.port, reply_to(original, world.director.email, body))
    (request,) = rows(ExtensionRequest, ExtensionRequest.assignment_id == assignment.id)
    assert (request.proposed_date, request.state) == (date(2023, 3, 15), "pending")
    assert "на согласовании" in request.reason
    assert report_count(assignment.id) == 0
    assert db.session.get(Assignment, assignment.id).status == "assigned"
    page = client_for(world.staff).get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert "ждёт решения" in page and "по почте" in page
    assert f"/extensions/{request.id}/grant" in page


def test_reply_without_the_plus_part_is_matched_by_in_reply_to(world, letter, inbound):
    assignment, original = letter
    send(inbound.port, reply_to(original, world.director.email, NEW_TEXT, to=f"reply@{DOMAIN}"))
    assert report_count(assignment.id) == 1


def test_expired_address_and_closed_assignment_are_refused_with_the_link(
    app, world, letter, inbound, mailbox
):
    assignment, original = letter
    with app.app_context():
        old = ReplyToken(assignment.id, world.director.id, date(2020, 1, 1)).text
    # Reported on the page already: a report by mail is not accepted in this state.
    db.session.rollback()  # SQLite: write from a snapshot newer than the delivery's commits
    assignments.submit_report(
        db.session, db.session.get(Assignment, assignment.id), world.director, "x"
    )
    db.session.commit()
    send(
        inbound.port,
        reply_to(original, world.director.email, "Сделано", to=f"reply+{old}@{DOMAIN}"),
    )
    send(inbound.port, reply_to(original, world.director.email, "Ещё отчёт"))
    assert report_count(assignment.id) == 1
    reasons = [r.reason for r in rows(InboundMessage)]
    assert "действовал до 01.01.2020" in reasons[0]
    assert "отчёт представлен" in reasons[1]
    answers = wait_for(
        lambda: (
            len(answers_to(mailbox, world.director.email)) == 2
            and answers_to(mailbox, world.director.email)
        )
    )
    for answer in answers:
        assert f"/assignments/{assignment.id}" in answer.get_body(("plain",)).get_content()


def test_a_file_the_page_would_refuse_is_refused_by_mail(world, letter, inbound, mailbox):
    assignment, original = letter
    reply = reply_to(original, world.director.email, NEW_TEXT, files=[("setup.exe", b"MZ\x90\x00")])
    send(inbound.port, reply)
    fake = reply_to(original, world.director.email, NEW_TEXT, files=[("Приказ.pdf", b"MZ\x90\x00")])
    send(inbound.port, fake)
    assert report_count(assignment.id) == 0
    assert rows(Attachment) == []
    reasons = [r.reason for r in rows(InboundMessage)]
    assert "такой тип не принимается" in reasons[0]
    assert "не соответствует расширению" in reasons[1]
    wait_for(lambda: len(answers_to(mailbox, world.director.email)) == 2)


def test_an_oversized_letter_and_garbage_are_refused_and_the_server_stays_up(
    world, letter, inbound
):
    assignment, original = letter
    huge = reply_to(original, world.director.email, NEW_TEXT, files=[("big.pdf", PDF * 200_000)])
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(inbound.port, huge)
    assert refused.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as smtp:
        smtp.sendmail("x@example.org", [f"reply@{DOMAIN}"], b"\x00\xff\r\nnot a letter\r\n")
    assert [r.outcome for r in rows(InboundMessage)] == ["refused"]
    send(inbound.port, reply_to(original, world.director.email, NEW_TEXT))
    assert report_count(assignment.id) == 1


def test_starttls_when_a_certificate_is_configured(
    app, database_url, smtp_sink, world, letter, tmp_path
):
    if not shutil.which("openssl"):
        missing("openssl is not installed (it makes the test server's certificate)")
    assignment, original = letter
    cert, key = self_signed(tmp_path)
    env = server_env(
        app,
        database_url,
        smtp_sink[1],
        TRACKER_INBOUND_TLS_CERT=str(cert),
        TRACKER_INBOUND_TLS_KEY=str(key),
    )
    server = InboundServer(env)
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as smtp:
            smtp.starttls(context=ssl.create_default_context(cafile=str(cert)))
            smtp.send_message(reply_to(original, world.director.email, NEW_TEXT))
    finally:
        server.stop()
    assert report_count(assignment.id) == 1


def test_mail_for_other_domains_is_not_relayed(inbound):
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("spammer@example.org")
        code, _text = smtp.rcpt("victim@example.com")
    assert code == 550


# --- faults: a letter is never half-filed and never lost -----------------------------------


def test_server_killed_in_the_middle_of_a_letter_then_resent_files_once(world, letter, inbound):
    assignment, original = letter
    reply = reply_to(original, world.director.email, NEW_TEXT, files=[("Приказ.pdf", PDF)])
    data = reply.as_bytes().replace(b"\n", b"\r\n")
    with socket.create_connection(("127.0.0.1", inbound.port), timeout=10) as sock:
        stream = sock.makefile("rwb")
        stream.readline()
        for command in (
            b"EHLO school3.test",
            b"MAIL FROM:<director@test.ru>",
            b"RCPT TO:<" + parseaddr(str(original["Reply-To"]))[1].encode() + b">",
            b"DATA",
        ):
            stream.write(command + b"\r\n")
            stream.flush()
            while True:
                line = stream.readline()
                if line[3:4] != b"-":
                    break
        stream.write(data[: len(data) // 2])
        stream.flush()
        inbound.kill()
    assert report_count(assignment.id) == 0 and rows(InboundMessage) == []

    inbound.start()  # the sending server retries later
    send(inbound.port, reply)
    send(inbound.port, reply)
    assert report_count(assignment.id) == 1


def test_a_failure_while_filing_answers_451_and_the_retry_files_once(app, world, letter, inbound):
    assignment, original = letter
    uploads = Path(app.config["TRACKER_UPLOAD_DIR"])
    aside = uploads.with_name(uploads.name + "-aside")
    reply = reply_to(original, world.director.email, NEW_TEXT, files=[("Приказ.pdf", PDF)])
    uploads.mkdir(parents=True, exist_ok=True)
    uploads.rename(aside)
    uploads.write_text("the disk is not where it should be")  # files cannot be written
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(inbound.port, reply)
        assert refused.value.smtp_code == 451
        assert report_count(assignment.id) == 0 and rows(InboundMessage) == []
        assert db.session.get(Assignment, assignment.id).status == "assigned"
    finally:
        uploads.unlink()
        aside.rename(uploads)
    send(inbound.port, reply)
    send(inbound.port, reply)
    assert report_count(assignment.id) == 1
