"""The assignment's life through the one transition function."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.assignments import services
from tracker.assignments.models import Assignment
from tracker.core import clock
from tracker.core.models import AuditLog
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings


@pytest.fixture
def assignment(world):
    _meeting, decision = make_meeting(world)
    return next(a for a in decision.assignments if a.organization_id == world.school.id)


ALLOWED = {
    # (from, action) → to, for a user who has the right
    ("assigned", "start"): "in_progress",
    ("assigned", "report"): "reported",
    ("in_progress", "report"): "reported",
    ("returned", "report"): "reported",
    ("reported", "accept"): "done",
    ("reported", "return"): "returned",
    ("assigned", "cancel"): "cancelled",
    ("reported", "cancel"): "cancelled",
    ("done", "reopen"): "in_progress",
    ("cancelled", "reopen"): "in_progress",
}
STATES = ("assigned", "in_progress", "reported", "returned", "done", "cancelled")


def test_the_table_of_moves_is_as_designed():
    table = {
        (source, name): move.target
        for name, move in services.MOVES.items()
        for source in move.sources
    }
    expected = dict(ALLOWED)
    expected.update({("in_progress", "cancel"): "cancelled", ("returned", "cancel"): "cancelled"})
    assert table == expected


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(services.MOVES))
def test_moves_outside_the_table_are_refused(world, assignment, state, action):
    if (state, action) in ALLOWED or (action == "cancel" and state in ("in_progress", "returned")):
        return
    assignment.status = state
    db.session.commit()
    actor = (
        world.staff if services.MOVES[action].permission == "assignment.control" else world.director
    )
    with pytest.raises(services.AssignmentError, match="Нельзя выполнить"):
        services.transition(db.session, assignment, action, actor, comment="x")
    db.session.rollback()
    assert db.session.get(Assignment, assignment.id).status == state


def test_director_reports_staff_return_then_accept(world, assignment):
    with clock.frozen(datetime(2023, 2, 15, 9, tzinfo=UTC)):
        services.submit_report(db.session, assignment, world.director, "Программа утверждена")
    assert assignment.status == "reported"
    with pytest.raises(services.AssignmentError, match="комментарий"):
        services.transition(db.session, assignment, "return", world.staff, comment="  ")
    services.transition(db.session, assignment, "return", world.staff, comment="Дополните раздел 3")
    assert assignment.status == "returned"
    assert assignment.reports[-1].review_comment == "Дополните раздел 3"
    with clock.frozen(datetime(2023, 2, 27, 20, 59, tzinfo=UTC)):  # 23:59 in Moscow
        services.submit_report(db.session, assignment, world.director, "Дополнено")
    services.transition(db.session, assignment, "accept", world.staff)
    db.session.commit()
    assert (assignment.status, assignment.on_time) == ("done", True)
    actions = db.session.scalars(
        sa.select(AuditLog.action)
        .where(AuditLog.object_id == assignment.id, AuditLog.object_type == "assignments")
        .order_by(AuditLog.id)
    ).all()
    assert actions == [
        "assignment.create",
        "assignment.report",
        "assignment.return",
        "assignment.report",
        "assignment.accept",
    ]


def test_report_after_the_deadline_is_done_late(world, assignment):
    with clock.frozen(datetime(2023, 2, 27, 21, 0, tzinfo=UTC)):  # 00:00 on the 28th in Moscow
        services.submit_report(db.session, assignment, world.director, "Поздно")
    services.transition(db.session, assignment, "accept", world.staff)
    assert assignment.on_time is False


@pytest.mark.parametrize("role", ["sibling_director", "other_director", "other_staff", "admin"])
def test_others_cannot_report_or_accept(world, assignment, role):
    actor = world.user(role)
    with pytest.raises(services.NotAllowed):
        services.submit_report(db.session, assignment, actor, "чужой отчёт")
    assignment.status = "reported"
    with pytest.raises(services.NotAllowed):
        services.transition(db.session, assignment, "accept", actor)


def test_directors_cannot_accept_their_own_reports(world, assignment):
    services.submit_report(db.session, assignment, world.director, "Готово")
    with pytest.raises(services.NotAllowed):
        services.transition(db.session, assignment, "accept", world.director)


def test_the_named_controller_may_accept(world):
    from tests.factories import make_user

    controller = make_user("kontrol@test.ru", world.other_dept, "staff")
    _meeting, decision = make_meeting(world)
    decision.controller_id = controller.id
    a = decision.assignments[0]
    services.submit_report(
        db.session,
        a,
        world.director if a.organization_id == world.school.id else world.sibling_director,
        "Готово",
    )
    services.transition(db.session, a, "accept", controller)
    assert a.status == "done"


def test_extension_keeps_the_original_deadline_and_counts(world, assignment):
    with pytest.raises(services.AssignmentError, match="позже текущего"):
        services.request_extension(db.session, assignment, world.director, "x", date(2023, 2, 1))
    request = services.request_extension(
        db.session, assignment, world.director, "Педсовет 10 марта", date(2023, 3, 15)
    )
    with pytest.raises(services.AssignmentError, match="уже ждёт"):
        services.request_extension(db.session, assignment, world.director, "ещё", date(2023, 4, 1))
    with pytest.raises(services.NotAllowed):
        services.decide_extension(db.session, request, world.director, True)
    services.decide_extension(db.session, request, world.staff, True, "Согласовано")
    assert assignment.due_date == date(2023, 3, 15)
    assert assignment.original_due_date == date(2023, 2, 27)
    assert assignment.extension_count == 1
    with pytest.raises(services.AssignmentError, match="уже принято"):
        services.decide_extension(db.session, request, world.staff, False)


def test_refused_extension_changes_nothing(world, assignment):
    request = services.request_extension(
        db.session, assignment, world.director, "Причина", date(2023, 3, 15)
    )
    services.decide_extension(db.session, request, world.staff, False, "Нет оснований")
    assert (assignment.due_date, assignment.extension_count) == (date(2023, 2, 27), 0)


def test_report_files_are_stored_outside_the_database(world, assignment, app, client_for):
    data = b"%PDF-1.4 test report"
    report = services.submit_report(
        db.session, assignment, world.director, "С файлом", [("отчёт.pdf", data, "pdf")]
    )
    db.session.commit()
    attachment = report.attachments[0]
    from tracker.core.files import path_of

    assert path_of(attachment).read_bytes() == data
    assert attachment.filename == "отчёт.pdf" and attachment.size == len(data)
    # Streamed back only to those allowed.
    own = client_for(world.director).get(f"/attachments/{attachment.id}")
    assert own.status_code == 200 and own.data == data
    assert client_for(world.staff).get(f"/attachments/{attachment.id}").status_code == 200
    assert (
        client_for(world.sibling_director).get(f"/attachments/{attachment.id}").status_code == 404
    )
    assert client_for(world.other_staff).get(f"/attachments/{attachment.id}").status_code == 404


def test_fan_out_edit_updates_open_assignments_only(world):
    _meeting, decision = make_meeting(world)
    a_school = next(a for a in decision.assignments if a.organization_id == world.school.id)
    a_sibling = next(a for a in decision.assignments if a.organization_id == world.sibling.id)
    services.submit_report(db.session, a_school, world.director, "Готово")
    created = meetings.update_decision(
        db.session,
        decision,
        actor=world.staff,
        reason="Срок сдвинут решением совещания",
        organizations=[world.school, world.sibling],
        deadline_text="до 15 марта 2023 г.",
    )
    assert created == []
    assert a_sibling.due_date == date(2023, 3, 15)
    assert a_school.due_date == date(2023, 2, 27)  # already reported: never rewritten
    with pytest.raises(meetings.MeetingError, match="почему"):
        meetings.update_decision(
            db.session, decision, actor=world.staff, reason="", organizations=[world.school]
        )
    meetings.update_decision(
        db.session,
        decision,
        actor=world.staff,
        reason="Школа 6 исключена",
        organizations=[world.school],
    )
    assert a_sibling.status == "cancelled" and a_school.status == "reported"
    reasons = db.session.scalars(
        sa.select(AuditLog.details).where(AuditLog.action == "assignment.update")
    ).all()
    assert reasons[0]["reason"] == "Срок сдвинут решением совещания"


def test_relative_deadline_gets_its_date_from_the_event(world):
    _meeting, decision = make_meeting(world, deadline="не менее трех дней до проведения процедуры")
    assert decision.deadline_kind == "relative" and decision.due_date is None
    assert all(a.due_date is None for a in decision.assignments)
    meetings.set_event_date(db.session, decision, date(2023, 4, 20), actor=world.staff)
    assert decision.due_date == date(2023, 4, 17)
    assert {a.due_date for a in decision.assignments} == {date(2023, 4, 17)}


def test_recurring_decision_moves_to_the_next_occurrence(world):
    _meeting, decision = make_meeting(world, deadline="до 20 числа каждого месяца")
    assert decision.deadline_kind == "recurring"
    a = next(x for x in decision.assignments if x.organization_id == world.school.id)
    a.due_date = date(2023, 2, 20)
    services.submit_report(db.session, a, world.director, "Февраль")
    services.transition(db.session, a, "accept", world.staff)
    assert (a.status, a.due_date) == ("in_progress", date(2023, 3, 20))
    assert a.reports[0].occurrence_date == date(2023, 2, 20)


def test_fifteen_schools_fifteen_assignments_in_one_transaction(world):
    from tests.factories import make_org

    schools = [make_org("school", f"МОУ «Средняя школа № {n}»", world.dept) for n in range(40, 55)]
    meeting = meetings.create_meeting(
        db.session,
        organization=world.dept,
        held_on=date(2023, 1, 31),
        title="совещание",
        actor=system_actor(db.session),
    )
    decision = meetings.add_decision(
        db.session,
        meeting,
        number="2",
        text="Разработать",
        deadline_text="в срок до 27.02.2023",
        actor=system_actor(db.session),
    )
    db.session.commit()
    try:
        meetings.fan_out(db.session, decision, schools, actor=system_actor(db.session))
        raise RuntimeError("boom")  # as if the request failed after the fan-out
    except RuntimeError:
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    meetings.fan_out(
        db.session,
        db.session.get(type(decision), decision.id),
        schools,
        actor=system_actor(db.session),
    )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 15


def test_comment_is_kept_and_audited(world, assignment):
    services.add_comment(db.session, assignment, world.staff, "Жду до пятницы")
    with pytest.raises(services.AssignmentError):
        services.add_comment(db.session, assignment, world.staff, "   ")
    assert services.history(db.session, assignment)[-1].action == "assignment.comment"


def test_uploads_are_checked_by_content(app):
    from tracker.core.files import FileRejected, check_content

    assert check_content(b"%PDF-1.7 ...", "a.pdf") == "pdf"
    assert check_content("Отчёт".encode("cp1251"), "a.txt") == "txt"
    for data, name, message in [
        (b"", "a.pdf", "пустой"),
        (b"MZ\x90\x00binary", "a.pdf", "не соответствует"),
        (b"MZ\x90\x00binary", "a.docx", "не соответствует"),
        (b"#!/bin/sh", "run.sh", "не принимается"),
        (b"\x00\x01", "a.txt", "не похож"),
    ]:
        with pytest.raises(FileRejected, match=message):
            check_content(data, name)
