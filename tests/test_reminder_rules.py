"""Department staff keep their own department's reminder rules and see the next sweep."""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage, ReminderPolicy

MSK = ZoneInfo("Europe/Moscow")
RULES = {
    "days_before": "5, 1",
    "on_the_day": "1",
    "overdue_every_days": 2,
    "escalate_after_days": 20,
    "send_hour": 8,
}


def test_staff_edit_their_own_departments_rules(world, client_for):
    client = client_for(world.staff)
    page = client.get("/admin/reminders").get_data(as_text=True)
    assert world.dept.short_name in page and world.other_dept.short_name not in page
    # The production calendar stays the administrator's.
    assert "Производственный календарь" not in page
    response = client.post("/admin/reminders", {"organization_id": world.dept.id, **RULES})
    assert response.status_code == 302
    policy = db.session.scalars(sa.select(ReminderPolicy)).one()
    assert (policy.organization_id, policy.days_before, policy.escalate_after_days) == (
        world.dept.id,
        [5, 1],
        20,
    )


def test_attacker_cannot_edit_another_departments_rules_or_the_calendar(world, client_for):
    staff = client_for(world.staff)
    foreign = staff.post("/admin/reminders", {"organization_id": world.other_dept.id, **RULES})
    assert foreign.status_code == 404
    assert (
        staff.get(f"/admin/reminders/preview?organization_id={world.other_dept.id}").status_code
        == 404
    )
    assert (
        staff.post("/admin/calendar", {"day": "01.05.2023", "kind": "holiday"}).status_code == 403
    )
    for school_person in (world.director, world.school_staff):
        client = client_for(school_person)
        assert client.get("/admin/reminders").status_code == 403
        assert client.get("/admin/reminders/preview").status_code == 403
        assert (
            client.post("/admin/reminders", {"organization_id": world.dept.id, **RULES}).status_code
            == 403
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderPolicy)) == 0


def test_the_preview_shows_who_gets_what_and_why_and_writes_nothing(world, client_for):
    clock.freeze(datetime(2023, 2, 1, 10, tzinfo=MSK))
    _meeting, decision = make_meeting(world)
    decision.controller_id = world.staff.id
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    client = client_for(world.staff)
    page = client.get(
        f"/admin/reminders/preview?organization_id={world.dept.id}&day=2023-02-20"
    ).get_data(as_text=True)
    assert page.count('data-testid="preview-row"') == 2
    assert "director@test.ru" in page and "dir6@test.ru" in page
    assert "до срока 7 дней" in page and "п. 2" in page
    overdue = client.get("/admin/reminders/preview?day=2023-03-03").get_data(as_text=True)
    assert "просрочено на 4 дня (напоминаем каждые 3 дня)" in overdue
    escalation = client.get("/admin/reminders/preview?day=2023-03-29").get_data(as_text=True)
    assert "просрочено на 30 дней — одно письмо контролёру" in escalation
    # A day without reminders says so; a bad date shows the next sweep instead of failing.
    assert 'data-testid="preview-empty"' in client.get(
        "/admin/reminders/preview?day=2023-02-21"
    ).get_data(as_text=True)
    assert client.get("/admin/reminders/preview?day=завтра").status_code == 200
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before
