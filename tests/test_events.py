"""Events reach the person who must act: a notification in the app and, by default, a letter."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting, make_user
from tracker.assignments import services
from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import Notification, OutboxMessage
from tracker.notify.reminders import sweep

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def assignment(world):
    _meeting, decision = make_meeting(world)
    return next(a for a in decision.assignments if a.organization_id == world.school.id)


def told(kind: str) -> dict[int, Notification]:
    return {
        n.user_id: n
        for n in db.session.scalars(sa.select(Notification).where(Notification.kind == kind))
    }


def letters(kind: str) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(OutboxMessage.recipient_email).where(OutboxMessage.kind == kind)
        )
    )


def test_a_report_reaches_the_department_staff_when_the_decision_names_no_controller(
    world, assignment
):
    services.submit_report(db.session, assignment, world.director, "Программа утверждена")
    db.session.commit()
    notes = told("assignment.reported")
    # The department's staff, not the other department's, and not the school.
    assert set(notes) == {world.staff.id}
    assert notes[world.staff.id].link == f"/assignments/{assignment.id}#review"
    assert "МОУ «Средняя школа № 3»" in notes[world.staff.id].title
    # At once by default, although the staff's reminders come in the digest.
    assert letters("assignment.reported") == {"staff@test.ru"}


def test_a_report_reaches_only_the_named_controller(world, assignment):
    controller = make_user("kontrol@test.ru", world.dept, "staff", "Контролёр Пункта")
    assignment.decision.controller_id = controller.id
    db.session.commit()
    services.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    assert set(told("assignment.reported")) == {controller.id}
    assert letters("assignment.reported") == {"kontrol@test.ru"}


def test_an_extension_request_reaches_the_controller_and_the_decision_the_executor(
    world, assignment
):
    request = services.request_extension(
        db.session, assignment, world.school_staff, "Болезнь", date(2023, 3, 15)
    )
    db.session.commit()
    notes = told("assignment.extension_requested")
    assert set(notes) == {world.staff.id}
    assert notes[world.staff.id].link.endswith("#extensions")
    assert "15.03.2023" in notes[world.staff.id].title
    services.decide_extension(db.session, request, world.staff, grant=True)
    db.session.commit()
    # The one who asked and the school's director hear of it.
    assert set(told("assignment.extension_granted")) == {world.school_staff.id, world.director.id}
    assert letters("assignment.extension_granted") == {"zavuch@test.ru", "director@test.ru"}


def test_return_and_acceptance_reach_the_executor(world, assignment):
    services.submit_report(db.session, assignment, world.director, "Первый вариант")
    services.transition(db.session, assignment, "return", world.staff, comment="Нет приказа")
    services.submit_report(db.session, assignment, world.director, "С приказом")
    services.transition(db.session, assignment, "accept", world.staff)
    db.session.commit()
    assert set(told("assignment.returned")) == {world.director.id}
    assert set(told("assignment.accepted")) == {world.director.id}
    # Each report was told once to the staff: two reports, two notifications.
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(Notification.kind == "assignment.reported")
        )
        == 2
    )


def test_who_takes_events_in_the_digest_gets_no_letter_now_but_the_digest(world, assignment):
    world.staff.event_mail = "digest"
    db.session.commit()
    clock.freeze(datetime(2023, 2, 20, 8, tzinfo=MSK))
    services.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    assert set(told("assignment.reported")) == {world.staff.id}
    assert letters("assignment.reported") == set()
    clock.freeze(datetime(2023, 2, 20, 10, tzinfo=MSK))
    sweep(db.session)
    db.session.commit()
    digest = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "digest", OutboxMessage.recipient_id == world.staff.id
        )
    ).one()
    assert "События за день" in digest.body_text
    assert f"/assignments/{assignment.id}#review" in digest.body_text


def test_muted_events_tell_nobody(world, assignment):
    from tracker.notify.events import muted

    with muted():
        services.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    assert told("assignment.reported") == {}


def test_opening_a_notification_marks_it_read_and_leads_to_the_report(
    world, assignment, client_for
):
    services.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    note = told("assignment.reported")[world.staff.id]
    client = client_for(world.staff)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert note.title in listing
    response = client.get(f"/notifications/{note.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assignments/{assignment.id}#review")
    db.session.refresh(note)
    assert note.read_at is not None
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)


def test_mark_all_read(world, assignment, client_for):
    services.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    client = client_for(world.staff)
    assert client.post("/notifications/read").status_code == 302
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.read_at.is_(None))) == 0


def test_attacker_cannot_open_or_read_someone_elses_notification(world, assignment, client_for):
    services.submit_report(db.session, assignment, world.director, "Готово")
    db.session.commit()
    note = told("assignment.reported")[world.staff.id]
    for intruder in (world.other_staff, world.director, world.sibling_director):
        client = client_for(intruder)
        assert client.get(f"/notifications/{note.id}").status_code == 404
        assert note.title not in client.get("/notifications").get_data(as_text=True)
        assert client.get("/notifications/99999999999999").status_code == 404
    db.session.refresh(note)
    assert note.read_at is None


def test_settings_choose_the_digest_for_events(world, client_for):
    client = client_for(world.director)
    response = client.post(
        "/settings/notifications", {"notify_mode": "each", "event_mail": "digest"}
    )
    assert response.status_code == 302
    db.session.refresh(world.director)
    assert world.director.event_mail == "digest"
    # A forged value is refused and changes nothing.
    client.post("/settings/notifications", {"notify_mode": "each", "event_mail": "never"})
    db.session.refresh(world.director)
    assert world.director.event_mail == "digest"
