"""Reminders: the policy's messages on the right days at 09:00 local, exactly once, in Russian."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tracker.assignments import services as assignments
from tracker.core import clock
from tracker.core.tenancy import User, system_actor
from tracker.demo.loader import LoadReport, load_organizations, load_users
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.notify.calendar import WorkCalendar
from tracker.notify.models import CalendarDay, OutboxMessage, ReminderPolicy
from tracker.notify.reminders import policy_for, reminder_kind
from tracker.notify.scheduler import deliver_pending, run_sweep

MSK = ZoneInfo("Europe/Moscow")
SCHOOLS = [3, 6, 7, 10, 20, 29, 33, 43, 46, 5, 14, 35, 9, 25, 55]


def local(day: date, hour: int = 9, minute: int = 0, tz=MSK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


@pytest.fixture
def point_2(ctx):
    """Seed 001's point 2 addressed to the 15 schools, with the real directory of Петрозаводск."""
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    users = load_users(db.session, orgs, report)
    controller = users["chervova@petrozavodsk.demo.test"]
    controller.notify_mode = "each"
    clock.freeze(local(date(2023, 1, 31), 15))
    meeting = meetings.create_meeting(
        db.session,
        organization=orgs["ptz-uo"],
        held_on=date(2023, 1, 31),
        title="совещания руководителей муниципальных общеобразовательных организаций "
        "Петрозаводского городского округа",
        actor=system_actor(db.session),
    )
    decision = meetings.add_decision(
        db.session,
        meeting,
        number="2",
        controller=controller,
        text="Разработать(скорректировать) антирисковую программу МОУ, в срок до 27.02.2023.",
        deadline_text="в срок до 27.02.2023",
        actor=system_actor(db.session),
    )
    meetings.fan_out(
        db.session, decision, [orgs[f"ptz-sch{n}"] for n in SCHOOLS], actor=system_actor(db.session)
    )
    db.session.commit()
    return orgs, users, decision


def reminders_by_recipient() -> dict[str, list[tuple[str, str]]]:
    rows = db.session.execute(
        sa.select(
            OutboxMessage.recipient_email, OutboxMessage.occurrence, OutboxMessage.sent_at
        ).where(OutboxMessage.kind.startswith("reminder") | (OutboxMessage.kind == "escalation"))
    ).all()
    result: dict[str, list[tuple[str, str]]] = {}
    for email, occurrence, sent_at in rows:
        kind = occurrence.split(":")[0]
        result.setdefault(email, []).append((kind, sent_at.astimezone(MSK).strftime("%m-%d %H:%M")))
    return {k: sorted(v, key=lambda x: x[1]) for k, v in result.items()}


def test_seed_001_point_2_from_17_february_to_10_march(app, point_2, mailbox):
    orgs, users, decision = point_2
    school3 = next(a for a in decision.assignments if a.organization_id == orgs["ptz-sch3"].id)
    director3 = users["director.sch3@petrozavodsk.demo.test"]
    clock.freeze(local(date(2023, 2, 15), 16))
    assignments.submit_report(db.session, school3, director3, "Программа утверждена")
    clock.freeze(local(date(2023, 2, 20), 8))
    assignments.transition(db.session, school3, "accept", users["chervova@petrozavodsk.demo.test"])
    # The department escalates after a week: from then on the controller knows and the
    # schools get no more reminders.
    db.session.add(ReminderPolicy(organization_id=orgs["ptz-uo"].id, escalate_after_days=7))
    db.session.commit()

    day = date(2023, 2, 17)
    while day <= date(2023, 3, 10):
        for hour, minute in ((8, 59), (9, 0), (9, 5), (15, 0)):  # twice after 09:00: no repeats
            moment = local(day, hour, minute)
            clock.freeze(moment)
            run_sweep(app, moment)
            deliver_pending(app)
        day += timedelta(days=1)
    db.session.rollback()

    got = reminders_by_recipient()
    expected_director = [
        ("due-minus-7", "02-20 09:00"),
        ("due-day", "02-27 09:00"),  # −3 (24.02, a holiday) and −1 (Sunday) move here: one letter
        ("overdue-1", "02-28 09:00"),
        ("overdue-4", "03-03 09:00"),
    ]
    for n in SCHOOLS:
        email = f"director.sch{n}@petrozavodsk.demo.test"
        if n == 3:
            assert email not in got, "the accepted school is left alone"
        else:
            assert got[email] == expected_director, email
    escalations = got["chervova@petrozavodsk.demo.test"]
    assert escalations == [("escalation", "03-06 09:00")] * 14
    # Each message reached the SMTP server exactly once, with its key and a Cyrillic subject.
    received = mailbox.by_key()
    reminders = [k for k in received if ":due-" in k or ":overdue-" in k or ":escalation:" in k]
    assert len(reminders) == 14 * 4 + 14
    assert all(len(v) == 1 for v in received.values())
    sample = received[next(k for k in reminders if ":due-day:" in k)][0]
    assert sample["Subject"].startswith("Сегодня срок поручения: п. 2")
    assert (
        "Разработать(скорректировать) антирисковую программу МОУ"
        in sample.get_body(("plain",)).get_content()
    )
    assert sample["List-Unsubscribe"].startswith("<http")
    assert sample["Message-ID"].startswith("<") and sample["X-Tracker-Key"].startswith(
        "assignment:"
    )
    to = sample["To"].addresses[0]
    director = db.session.scalar(sa.select(User).where(User.email == to.addr_spec))
    assert to.display_name == director.full_name and any("а" <= c <= "я" for c in to.display_name)


def test_the_same_sweep_twice_writes_nothing_new(app, point_2):
    moment = local(date(2023, 2, 20))
    clock.freeze(moment)
    first = run_sweep(app, moment)
    second = run_sweep(app, moment)
    assert first.queued == 15 and second.queued == 0


def test_a_missed_sweep_catches_up_once(app, point_2):
    # The scheduler was down from the 17th; it comes back on 3 March at 11:40.
    moment = local(date(2023, 3, 3), 11, 40)
    clock.freeze(moment)
    result = run_sweep(app, moment)
    assert result.queued == 15  # one letter per school (today's), not one per missed day
    kinds = set(
        db.session.scalars(
            sa.select(OutboxMessage.occurrence).where(OutboxMessage.kind.startswith("reminder"))
        )
    )
    assert {k.split(":")[0] for k in kinds} == {"overdue-4"}


def test_deadline_moved_or_accepted_cancels_a_queued_reminder(app, point_2, mailbox, monkeypatch):
    orgs, users, decision = point_2
    moment = local(date(2023, 2, 20))
    clock.freeze(moment)
    with monkeypatch.context() as patch:  # queued, not yet handed to delivery
        patch.setattr("tracker.notify.delivery.deliver_soon", lambda *a, **k: None)
        run_sweep(app, moment)
    a6 = next(a for a in decision.assignments if a.organization_id == orgs["ptz-sch6"].id)
    request = assignments.request_extension(
        db.session, a6, users["director.sch6@petrozavodsk.demo.test"], "Педсовет", date(2023, 3, 15)
    )
    assignments.decide_extension(
        db.session, request, users["chervova@petrozavodsk.demo.test"], True
    )
    db.session.commit()
    deliver_pending(app)
    db.session.rollback()
    row = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.assignment_id == a6.id, OutboxMessage.kind == "reminder.due"
        )
    )
    assert (row.state, row.last_error) == ("cancelled", "срок поручения изменён")
    assert not any(str(m["X-Tracker-Key"]) == row.key for m in mailbox.messages)


def test_digest_for_staff_collects_the_day(app, point_2, mailbox):
    orgs, users, decision = point_2
    controller = users["chervova@petrozavodsk.demo.test"]
    controller.notify_mode = None  # staff default: the daily digest
    a7 = next(a for a in decision.assignments if a.organization_id == orgs["ptz-sch7"].id)
    db.session.add(ReminderPolicy(organization_id=orgs["ptz-uo"].id, escalate_after_days=7))
    clock.freeze(local(date(2023, 2, 27), 8))
    assignments.submit_report(
        db.session, a7, users["director.sch7@petrozavodsk.demo.test"], "Готово"
    )
    db.session.commit()
    for day in (date(2023, 3, 6), date(2023, 3, 6)):
        moment = local(day, 9, 30)
        clock.freeze(moment)
        run_sweep(app, moment)
        deliver_pending(app)
    digests = [m for m in mailbox.messages if str(m["X-Tracker-Key"]).startswith("digest:")]
    assert len(digests) == 1
    body = digests[0].get_body(("plain",)).get_content()
    assert "Отчёты ждут вашей проверки" in body and "МОУ «Средняя школа № 7»" in body
    # One line for the decision, not one per school: the 14 that have not reported are late.
    assert body.count("п. 2 Разработать") == 2  # the escalations' line and the waiting report
    assert "— 14 школ, из них 14 просрочили" in body


def test_policy_and_calendar_are_editable(app, point_2):
    orgs, _users, _decision = point_2
    db.session.add(
        ReminderPolicy(
            organization_id=orgs["ptz-uo"].id,
            days_before=[2],
            on_the_day=False,
            overdue_every_days=5,
            escalate_after_days=10,
            send_hour=14,
        )
    )
    db.session.add(CalendarDay(day=date(2023, 2, 25), kind="workday", note="рабочая суббота"))
    db.session.commit()
    assert WorkCalendar.load(db.session).is_working(date(2023, 2, 25))
    morning = local(date(2023, 2, 25), 13)
    assert run_sweep(app, morning).queued == 0  # before the department's hour
    afternoon = local(date(2023, 2, 25), 14)
    assert run_sweep(app, afternoon).queued == 15  # 2 days before, on a working Saturday


def test_reminder_kinds_follow_the_policy():
    policy = policy_for({}, 1)
    due = date(2023, 2, 27)
    kinds = {
        (due + timedelta(days=d)): reminder_kind(policy, due, due + timedelta(days=d))
        for d in range(-8, 12)
    }
    assert [d.isoformat() for d, k in kinds.items() if k] == [
        "2023-02-20",
        "2023-02-24",
        "2023-02-26",
        "2023-02-27",
        "2023-02-28",
        "2023-03-03",
        "2023-03-06",
        "2023-03-09",
    ]
    # From the escalation day on (30 days by default) the executor is left alone.
    assert policy.escalate_after_days == 30
    assert reminder_kind(policy, due, due + timedelta(days=28)) == "overdue-28"
    assert reminder_kind(policy, due, due + timedelta(days=30)) is None
    assert reminder_kind(policy, due, due + timedelta(days=1384)) is None


def test_three_years_overdue_the_executor_hears_nothing_and_the_controller_once(app, point_2):
    seen: dict[str, int] = {}
    day = date(2023, 2, 27)
    while day <= date(2023, 4, 15):
        moment = local(day, 9, 30)
        clock.freeze(moment)
        run_sweep(app, moment)
        day += timedelta(days=1)
    db.session.rollback()
    for kind in db.session.scalars(
        sa.select(OutboxMessage.occurrence).where(
            OutboxMessage.recipient_email == "director.sch3@petrozavodsk.demo.test",
            OutboxMessage.kind.startswith("reminder"),
        )
    ):
        seen[kind.split(":")[0]] = seen.get(kind.split(":")[0], 0) + 1
    late = [int(k.removeprefix("overdue-")) for k in seen if k.startswith("overdue-")]
    assert late and max(late) < 30
    escalations = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "escalation")
    ).all()
    assert len(escalations) == 15  # one per school, to the controller, never repeated
    assert {m.recipient_email for m in escalations} == {"chervova@petrozavodsk.demo.test"}
    assert escalations[0].subject.startswith("Поручение просрочено на 30 дней")
    clock.freeze(local(date(2026, 11, 20), 9, 30))
    assert run_sweep(app, clock.now()).queued == 0  # «истёк 1384 дней назад» is never sent


ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Asia/Vladivostok", "Asia/Kamchatka"]


@pytest.mark.parametrize("server_tz", ["UTC", "Asia/Tokyo"])
def test_each_zone_gets_its_letter_at_nine_local(app, world, server_tz, monkeypatch):
    import time

    from tests.factories import make_meeting, make_org, make_user

    monkeypatch.setenv("TZ", server_tz)
    time.tzset()
    try:
        schools = {}
        for tz in ZONES:
            school = make_org("school", f"Школа {tz}", world.dept, tz=tz)
            make_user(f"dir-{tz.split('/')[1].lower()}@test.ru", school, "director")
            schools[tz] = school
        make_meeting(world, schools=list(schools.values()), deadline="до 1 марта 2023 г.")
        first_letter = {}
        # Due on Wednesday 01.03: the «today is the deadline» letter at 09:00 in each zone.
        moment = datetime(2023, 2, 28, 12, 0, tzinfo=ZoneInfo("UTC"))
        while moment < datetime(2023, 3, 2, 0, 0, tzinfo=ZoneInfo("UTC")):
            clock.freeze(moment)
            run_sweep(app, moment)
            db.session.rollback()  # see what the sweep committed
            for email, created in db.session.execute(
                sa.select(User.email, OutboxMessage.created_at)
                .join(User, User.id == OutboxMessage.recipient_id)
                .where(OutboxMessage.occurrence.startswith("due-day"))
            ):
                first_letter.setdefault(email, created)
            moment += timedelta(minutes=30)
        for tz in ZONES:
            sent = first_letter[f"dir-{tz.split('/')[1].lower()}@test.ru"].astimezone(ZoneInfo(tz))
            assert (sent.date(), sent.hour, sent.minute) == (date(2023, 3, 1), 9, 0), tz
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_five_hundred_fifty_three_times_marks_the_address(app, point_2, mailbox):
    from tracker.notify.delivery import deliver

    _orgs, users, _decision = point_2
    director = users["director.sch6@petrozavodsk.demo.test"]
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient_id == director.id)
    ).all()
    assert rows  # the «new assignment» letter
    for n in range(3):
        row = OutboxMessage(
            key=f"test:{n}",
            kind="test",
            recipient_id=director.id,
            recipient_email=director.email,
            subject="Тест",
            body_text="x",
            send_after=clock.now(),
        )
        mailbox.script.append("550")
        db.session.add(row)
        db.session.commit()  # delivered (and refused) right after the commit
        assert deliver(row.id) == "failed"
    db.session.rollback()
    assert db.session.get(User, director.id).email_undeliverable_at is not None
    row = OutboxMessage(
        key="test:after",
        kind="test",
        recipient_id=director.id,
        recipient_email=director.email,
        subject="Тест",
        body_text="x",
        send_after=clock.now(),
    )
    db.session.add(row)
    db.session.commit()
    assert deliver(row.id) == "cancelled"  # not tried again


def test_a_change_that_rolls_back_sends_nothing(app, world, mailbox):
    from tests.factories import make_meeting

    meeting, _decision = make_meeting(world)
    sent_before = len(mailbox.messages)
    second = meetings.add_decision(
        db.session,
        meeting,
        number="3",
        text="Откатится",
        deadline_text="до 1 марта 2023 г.",
        actor=system_actor(db.session),
    )
    meetings.fan_out(
        db.session, second, [world.school, world.sibling], actor=system_actor(db.session)
    )
    db.session.flush()
    # New assignments' letters are written at the commit, grouped per person and meeting.
    assert len(db.session.info["assignments_created"]) == 2
    db.session.rollback()
    assert "assignments_created" not in db.session.info
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 2
    assert len(mailbox.messages) == sent_before


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "1 день"),
        (2, "2 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (21, "21 день"),
        (1384, "1384 дня"),
    ],
)
def test_russian_plurals_come_from_the_catalogue(ctx, n, words):
    from tracker.core.i18n import ngettext_ru

    assert ngettext_ru("%(num)s день", "%(num)s дней", n) == words


def test_letters_rendered_once_per_decision_read_as_each_rendered_alone(app, point_2):
    """The sweep renders the letters of one decision, kind and day once, with blanks for the
    school, the people and the link: each letter is the one rendering it alone would give."""
    from tracker.core.urls import external_url
    from tracker.notify.services import render_mail

    orgs, users, decision = point_2
    school3 = next(a for a in decision.assignments if a.organization_id == orgs["ptz-sch3"].id)
    school3.assignee = users["director.sch3@petrozavodsk.demo.test"]  # a named executor
    db.session.add(ReminderPolicy(organization_id=orgs["ptz-uo"].id, escalate_after_days=7))
    db.session.commit()
    day = date(2023, 2, 17)
    while day <= date(2023, 3, 7):
        clock.freeze(local(day, 9, 30))
        run_sweep(app, local(day, 9, 30))
        day += timedelta(days=1)
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind.startswith("reminder") | (OutboxMessage.kind == "escalation")
        )
    ).all()
    assert len(rows) == 15 * 4 + 15
    for row in rows:
        a = row.assignment
        kind, nominal = row.occurrence.split(":")[:2]
        assert render_mail(
            "escalation" if kind == "escalation" else "reminder",
            recipient=row.recipient,
            assignment=a,
            decision=a.decision,
            meeting=a.decision.meeting,
            kind=kind,
            days_left=(a.due_date - date.fromisoformat(nominal)).days,
            late_since=None,
            link=external_url("assignments.detail", assignment_id=a.id),
            settings_link=external_url("notify.settings"),
        ) == (row.subject, row.body_text, row.body_html)
