"""The delivery contract on both backends with a real SMTP server (aiosmtpd): the claim honours
`send_after`, greylisting follows the back-off, settings are checked at start, a missed working
day is caught up once (marked late) unless a later reminder replaces it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_config
from tests.test_reminders import local, point_2  # noqa: F401 - the fixture
from tracker import create_app
from tracker.core import clock
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.notify.delivery import deliver
from tracker.notify.models import OutboxMessage, ReminderSweep
from tracker.notify.scheduler import deliver_pending, run_sweep
from tracker.notify.services import queue_mail


def queue_one(world, key: str = "contract:1", send_after: datetime | None = None) -> int:
    row = queue_mail(
        db.session,
        recipient=world.director,
        kind="test",
        key=key,
        template="password_reset",
        context={"link": "http://x/1"},
        send_after=send_after,
    )
    db.session.info.pop("outbox_new", None)  # not handed over on commit: the test does it
    db.session.commit()
    return row.id


def test_the_claim_waits_for_send_after(app, world, mailbox):
    """Defect 4: a row put back for later (a 451) is not sent again before it is due."""
    clock.freeze(datetime(2023, 2, 20, 6, 0, tzinfo=clock.now().tzinfo))
    row_id = queue_one(world, send_after=clock.now() + timedelta(minutes=4))
    assert deliver(row_id) == "pending"
    row = db.session.get(OutboxMessage, row_id)
    assert (row.state, row.attempts, mailbox.messages) == ("pending", 0, [])
    clock.freeze(clock.now() + timedelta(minutes=4))
    assert deliver(row_id) == "sent"
    assert [str(m["X-Tracker-Key"]) for m in mailbox.messages] == ["contract:1"]


def test_greylisting_for_five_minutes_follows_the_back_off(app, world, mailbox):
    """Defect 4: 451 for five minutes; retries at 30, 60, 120, 240 s; the fifth attempt goes."""
    start = datetime(2023, 2, 20, 6, 0, tzinfo=clock.now().tzinfo)
    clock.freeze(start)
    tried: list[float] = []

    async def greylist(sink, session, envelope):
        tried.append((clock.now() - start).total_seconds())
        greylisted = clock.now() < start + timedelta(minutes=5)
        return "451 4.7.1 Greylisted, try later" if greylisted else None

    mailbox.hooks["DATA"] = greylist
    row_id = queue_one(world)
    for second in range(0, 601, 10):  # the scheduler's runs over ten minutes
        clock.freeze(start + timedelta(seconds=second))
        deliver_pending(app)
    assert tried == [0, 30, 90, 210, 450]
    db.session.rollback()
    row = db.session.get(OutboxMessage, row_id)
    assert (row.state, row.attempts) == ("sent", 5)
    assert len(mailbox.by_key()["contract:1"]) == 1


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"MAIL_TIMEOUT": 30, "TRACKER_SENDING_TIMEOUT": 60}, "3 × MAIL_TIMEOUT"),
        ({"MAIL_TIMEOUT": 0}, "MAIL_TIMEOUT"),
        ({"TRACKER_RETRY_SECONDS": 0}, "TRACKER_RETRY_SECONDS"),
        ({"TRACKER_REQUEUE_SECONDS": 5}, "TRACKER_REQUEUE_SECONDS"),
        ({"TRACKER_SWEEP_MINUTES": 0}, "TRACKER_SWEEP_MINUTES"),
        ({"MAIL_PORT": 70000}, "MAIL_PORT"),
    ],
)
def test_delivery_settings_are_checked_at_start(overrides, complaint):
    """Defect 6: a rescue could overlap a send still going on; such settings do not start."""
    with pytest.raises(RuntimeError, match=complaint.replace("×", ".")):
        create_app(make_config("sqlite://", **overrides))


def test_a_number_that_is_no_number_is_named(monkeypatch):
    from config import config_for

    monkeypatch.setenv("TRACKER_REQUEUE_SECONDS", "ten")
    with pytest.raises(RuntimeError, match="TRACKER_REQUEUE_SECONDS='ten'"):
        config_for("development")


# --- a missed working day -------------------------------------------------------------------


@pytest.fixture
def due_28(point_2):  # noqa: F811
    """Point 3 of the same meeting, due 28.02: its «7 days before» falls on Tuesday 21.02."""
    decision = point_2[2]
    third = meetings.add_decision(
        db.session,
        decision.meeting,
        number="3",
        controller=decision.controller,
        text="Представить отчёт о реализации антирисковой программы, в срок до 28.02.2023.",
        deadline_text="в срок до 28.02.2023",
        actor=system_actor(db.session),
    )
    meetings.fan_out(
        db.session,
        third,
        [a.organization for a in decision.assignments],
        actor=system_actor(db.session),
    )
    db.session.info.pop("outbox_new", None)
    db.session.commit()
    return point_2


def reminders_of(day_kind: str) -> list[str]:
    db.session.rollback()
    return sorted(
        db.session.scalars(
            sa.select(OutboxMessage.occurrence).where(
                OutboxMessage.kind.startswith("reminder"),
                OutboxMessage.occurrence.startswith(day_kind),
            )
        )
    )


def test_a_missed_day_is_caught_up_once_marked_late(app, due_28, mailbox):
    """Defect 3: no sweep on 21.02; the 22.02 sweep writes that day's reminders, once, late."""
    for day in (date(2023, 2, 20), date(2023, 2, 22), date(2023, 2, 22)):
        clock.freeze(local(day, 9, 30))
        run_sweep(app, clock.now())
        deliver_pending(app)
    late = reminders_of("due-minus-7:2023-02-21")
    assert late == ["due-minus-7:2023-02-21:late"] * 15
    swept = {
        (row.day, row.late)
        for row in db.session.scalars(sa.select(ReminderSweep).order_by(ReminderSweep.day))
    }
    assert swept == {
        (date(2023, 2, 20), False),
        (date(2023, 2, 21), True),  # the gap is on record
        (date(2023, 2, 22), False),
    }
    letters = [m for k, ms in mailbox.by_key().items() if ":2023-02-21:" in k for m in ms]
    assert len(letters) == 15 and len({str(m["X-Tracker-Key"]) for m in letters}) == 15
    body = letters[0].get_body(("plain",)).get_content()
    assert "Это письмо опоздало: его следовало отправить 21.02.2023" in body
    assert "До срока поручения осталось 6 дней" in body  # counted from the day it goes out
    assert "Через 6 дней срок поручения" in str(letters[0]["Subject"])
    assert not any(
        "опоздало" in m.get_body(("plain",)).get_content()
        for ms in mailbox.by_key().values()
        for m in ms
        if m not in letters
    )


def test_a_later_reminder_replaces_the_missed_ones(app, due_28, mailbox):
    """Down from 21.02 to 27.02: on 28.02 each assignment gets today's letter only."""
    for day in (date(2023, 2, 20), date(2023, 2, 28)):
        clock.freeze(local(day, 9, 30))
        run_sweep(app, clock.now())
    assert reminders_of("due-minus-7:2023-02-21") == []
    assert reminders_of("due-day:2023-02-27") == []
    assert reminders_of("due-day:2023-02-28") == ["due-day:2023-02-28"] * 15
    assert reminders_of("overdue-1:2023-02-28") == ["overdue-1:2023-02-28"] * 15
    late_days = set(
        db.session.scalars(sa.select(ReminderSweep.day).where(ReminderSweep.late.is_(True)))
    )
    assert late_days == {date(2023, 2, 21), date(2023, 2, 22), date(2023, 2, 27)}
