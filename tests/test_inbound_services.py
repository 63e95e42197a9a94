"""Reply addresses on letters and filing in-process: the settings, the token's seal, and the
guard that keeps two robots from answering each other for ever."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from email.utils import parseaddr

import pytest

from tests.factories import make_meeting
from tests.inbound_helpers import DOMAIN, reply_to
from tracker.extensions import db
from tracker.inbound import services
from tracker.inbound.models import InboundMessage
from tracker.notify.models import OutboxMessage
from tracker.notify.replies import ReplyToken, read_token


@pytest.fixture
def replies_on(app, mailbox):
    app.config["TRACKER_INBOUND_DOMAIN"] = DOMAIN
    yield app
    app.config.update(TRACKER_INBOUND_DOMAIN="", TRACKER_INBOUND_PLUS=True)


def created_letter(world, mailbox):
    make_meeting(world)
    (letter,) = [m for m in mailbox.messages if parseaddr(str(m["To"]))[1] == world.director.email]
    return letter


def receive(message: EmailMessage, **kwargs):
    outcome = services.receive(db.session, message.as_bytes(), via="smtp", **kwargs)
    db.session.commit()
    return outcome


def test_without_an_inbound_domain_letters_have_no_reply_address(world, mailbox):
    letter = created_letter(world, mailbox)
    assert letter["Reply-To"] is None
    assert "." not in str(letter["Message-ID"]).partition("@")[0]
    assert "ответить на это письмо" not in letter.get_body(("plain",)).get_content()


def test_letters_to_controllers_and_digests_are_not_replyable(world, replies_on, mailbox):
    from tracker.assignments import services as assignments

    _meeting, decision = make_meeting(world)
    decision.controller_id = world.staff.id
    world.staff.notify_mode = "each"
    assignment = next(a for a in decision.assignments if a.organization_id == world.school.id)
    assignments.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    (to_controller,) = [m for m in mailbox.messages if str(m["To"]).endswith("<staff@test.ru>")]
    assert to_controller["Reply-To"] is None


def test_without_plus_addressing_the_reply_goes_to_the_mailbox_and_is_matched(
    app, world, replies_on, mailbox
):
    app.config["TRACKER_INBOUND_PLUS"] = False
    letter = created_letter(world, mailbox)
    assert parseaddr(str(letter["Reply-To"]))[1] == f"reply@{DOMAIN}"
    outcome = receive(reply_to(letter, world.director.email, "Программа утверждена"))
    assert outcome.kind == "report"


def test_the_token_is_sealed(app, world, replies_on):
    token = ReplyToken(12, 7, date(2030, 1, 31))
    assert read_token(token.text) == token
    assert read_token(token.text.upper()) == token  # mail systems may change the case
    body, _dash, signature = token.text.rpartition("-")
    assert read_token(body.replace("12-", "13-", 1) + "-" + signature) is None
    assert read_token(token.text.replace("-7-", "-8-")) is None
    assert read_token(body + "-" + "a" * 16) is None
    assert read_token("12-7-11000") is None
    text = token.text
    app.config["SECRET_KEY"], saved = "another-installation", app.config["SECRET_KEY"]
    try:
        assert read_token(text) is None
    finally:
        app.config["SECRET_KEY"] = saved


def test_a_robot_that_ignores_auto_submitted_gets_at_most_three_answers_a_day(
    world, replies_on, mailbox
):
    letter = created_letter(world, mailbox)
    for n in range(5):
        message = reply_to(
            letter, "robot@example.org", "Ваше письмо получено", message_id=f"<r{n}@x>"
        )
        assert receive(message).kind == "refused"
    db.session.rollback()
    answered = db.session.query(InboundMessage).filter_by(answered=True).count()
    assert answered == services.ANSWERS_PER_DAY
    assert db.session.query(OutboxMessage).filter_by(kind="inbound.refused").count() == 3


def test_our_own_letters_coming_back_are_ignored(app, world, replies_on, mailbox):
    letter = created_letter(world, mailbox)
    own = parseaddr(app.config["MAIL_DEFAULT_SENDER"])[1]
    for n, sender in enumerate((own, f"reply@{DOMAIN}", f"reply+x@{DOMAIN}")):
        outcome = receive(reply_to(letter, sender, "Сделано", message_id=f"<own{n}@x>"))
        assert outcome.kind == "ignored"
    assert db.session.query(OutboxMessage).filter_by(kind="inbound.refused").count() == 0


def test_a_letter_with_nothing_new_is_refused_with_the_services_message(world, replies_on, mailbox):
    letter = created_letter(world, mailbox)
    outcome = receive(reply_to(letter, world.director.email, ""))
    assert outcome.kind == "refused" and "текст отчёта не может быть пустым" in outcome.reason
