"""Who may do what where a rule used to be checked in one path and not the other: the controller
of a decision, reviewing one's own report, a person in two departments, an administrator of one
region facing a user with roles in two, and refusals that must not enter an object's history."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting, make_org, make_user
from tracker.assignments import services as assignments
from tracker.assignments.models import Assignment
from tracker.core.models import AuditLog
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.meetings.models import Decision
from tracker.notify.models import OutboxMessage
from tracker.orgs.services import grant_role

# --- 1. the controller is department staff of the meeting's department ----------------------


def decision_payload(world, controller_id):
    return {
        "text": "Провести самообследование",
        "deadline": "до 1 марта 2023 г.",
        "controller_id": controller_id,
        "executors": [{"organization_id": world.school.id}, {"organization_id": world.sibling.id}],
    }


@pytest.mark.parametrize("who", ["director", "school_staff", "other_staff"])
def test_api_refuses_a_controller_who_is_not_staff_of_the_meetings_department(world, api, who):
    meeting, _decision = make_meeting(world)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Decision))
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        decision_payload(world, world.user(who).id),
    )
    assert response.status_code == 422, response.json
    assert "Контролёром может быть только специалист" in response.json["message"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == before


def test_api_accepts_the_departments_staff_as_controller(world, api):
    meeting, _decision = make_meeting(world)
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        decision_payload(world, world.staff.id),
    )
    assert response.status_code == 201, response.json
    assert response.json["controller_id"] == world.staff.id


def test_page_and_api_create_decisions_through_one_service_that_checks_the_controller(world):
    meeting, _decision = make_meeting(world)
    data = meetings.DecisionInput(
        text="Провести педсовет",
        controller_id=world.director.id,
        organization_ids=[world.school.id],
    )
    with pytest.raises(meetings.MeetingError, match="Контролёром"):
        meetings.create_decision(db.session, meeting, world.staff, data)
    db.session.rollback()


def test_page_refuses_a_director_as_controller_of_an_edited_decision(world, client_for):
    meeting, decision = make_meeting(world)
    response = client_for(world.staff).post(
        f"/meetings/{meeting.id}/decisions/{decision.id}/edit",
        {
            "text": decision.text,
            "deadline_text": "в срок до 27.02.2023",
            "organization_ids": [world.school.id, world.sibling.id],
            "controller_id": world.director.id,
            "parent_id": 0,
            "lead_id": 0,
            "direction_id": 0,
            "reason": "уточнение",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).controller_id is None


def test_report_text_reaches_only_people_who_may_see_the_assignment(world):
    """Even a controller set before the check existed gets no letter about another school."""
    _meeting, decision = make_meeting(world)
    decision.controller_id = world.director.id
    world.director.notify_mode = "each"
    db.session.commit()
    sibling = next(a for a in decision.assignments if a.organization_id == world.sibling.id)
    assignments.submit_report(db.session, sibling, world.sibling_director, "Секретный отчёт")
    db.session.commit()
    letters = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient_id == world.director.id)
    ).all()
    assert not [m for m in letters if "Секретный отчёт" in m.body_text]


# --- 2. nobody reviews a report on what they carry out themselves ----------------------------


def person_assignment(world, person):
    meeting, _decision = make_meeting(world)
    decision = meetings.create_decision(
        db.session,
        meeting,
        world.staff,
        meetings.DecisionInput(
            text="Подготовить справку", deadline_text="до 1 марта 2023 г.", user_ids=[person.id]
        ),
    )
    db.session.commit()
    return decision.assignments[0]


def test_staff_assigned_as_a_person_cannot_accept_their_own_report(world, client_for, api):
    colleague = make_user("kollega@test.ru", world.dept, "staff")
    assignment = person_assignment(world, world.staff)
    assignments.submit_report(db.session, assignment, world.staff, "Справка готова")
    db.session.commit()
    assert "accept" not in assignments.allowed_moves(world.staff, assignment)
    page = client_for(world.staff).post(f"/assignments/{assignment.id}/move/accept", {})
    assert page.status_code == 403
    by_api = api(world.staff, "POST", f"/api/v1/assignments/{assignment.id}/accept", {})
    assert by_api.status_code == 403
    returned = api(
        world.staff, "POST", f"/api/v1/assignments/{assignment.id}/return", {"comment": "ещё"}
    )
    assert returned.status_code == 403
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).status == "reported"
    # A colleague of the department reviews it.
    assert (
        api(colleague, "POST", f"/api/v1/assignments/{assignment.id}/accept", {}).status_code == 200
    )


def test_a_director_named_controller_cannot_accept_their_own_schools_report(world, api):
    _meeting, decision = make_meeting(world)
    decision.controller_id = world.director.id  # as the API allowed before
    db.session.commit()
    own = next(a for a in decision.assignments if a.organization_id == world.school.id)
    assignments.submit_report(db.session, own, world.school_staff, "Готово")
    db.session.commit()
    response = api(world.director, "POST", f"/api/v1/assignments/{own.id}/accept", {})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Assignment, own.id).on_time is None


def test_nobody_decides_on_their_own_extension_request(world):
    from datetime import date

    assignment = person_assignment(world, world.staff)
    request = assignments.request_extension(
        db.session, assignment, world.staff, "Отпуск", date(2023, 3, 20)
    )
    with pytest.raises(assignments.NotAllowed):
        assignments.decide_extension(db.session, request, world.staff, grant=True)


# --- 3. a person in several departments -----------------------------------------------------


def test_a_person_in_two_departments_is_assigned_within_the_meetings_department(
    world, client_for, api
):
    person = make_user("dvoe@test.ru", world.other_dept, "staff", "Сотрудник Двух Управлений")
    grant_role(db.session, person, world.dept, "staff", actor=system_actor(db.session))
    db.session.commit()
    assignment = person_assignment(world, person)
    assert assignment.organization_id == world.dept.id
    # The author's department reads it; the other department neither reads nor cancels it.
    assert client_for(world.staff).get(f"/assignments/{assignment.id}").status_code == 200
    assert client_for(world.other_staff).get(f"/assignments/{assignment.id}").status_code == 404
    cancel = client_for(world.other_staff).post(
        f"/assignments/{assignment.id}/move/cancel", {"comment": "не наше"}
    )
    assert cancel.status_code == 404
    assert api(world.other_staff, "GET", f"/api/v1/assignments/{assignment.id}").status_code == 404


def test_a_person_without_a_role_in_the_meetings_department_is_refused(world, api):
    meeting, _decision = make_meeting(world)
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        {"text": "Подготовить справку", "executors": [{"user_id": world.other_staff.id}]},
    )
    assert response.status_code == 422
    with pytest.raises(meetings.MeetingError):
        meetings.fan_out(
            db.session,
            meeting.decisions[0],
            people=[world.other_staff],
            actor=system_actor(db.session),
        )


# --- 4. an administrator of one region and a user with roles in two -----------------------------


@pytest.fixture
def two_regions(world):
    other_region = make_org("region", "Соседняя область")
    other_dept = make_org("department", "Управление образования Соседнего района", other_region)
    neighbour_admin = make_user("admin2@test.ru", other_region, "admin", "Админ Соседей")
    # A director of school № 3 who also works for the neighbouring region's department.
    grant_role(db.session, world.director, other_dept, "staff", actor=system_actor(db.session))
    db.session.commit()
    return neighbour_admin, other_dept


def test_admin_of_one_region_cannot_act_on_a_user_who_also_holds_roles_in_another(
    world, client_for, two_regions
):
    neighbour_admin, other_dept = two_regions
    client = client_for(neighbour_admin)
    user_id = world.director.id
    before = (world.director.session_version, world.director.active)
    assert client.post(f"/admin/users/{user_id}/reset").status_code == 403
    assert client.post(f"/admin/users/{user_id}/active").status_code == 403
    membership = next(m for m in world.director.memberships if m.organization_id == other_dept.id)
    assert client.post(f"/admin/users/{user_id}/roles/{membership.id}/revoke").status_code == 403
    granted = client.post(
        f"/admin/users/{user_id}", {"organization_id": other_dept.id, "role": "admin"}
    )
    assert granted.status_code == 403
    assert client.post(f"/admin/users/{user_id}/deliverable").status_code == 404
    db.session.expire_all()
    assert (world.director.session_version, world.director.active) == before
    assert len(world.director.memberships) == 2
    assert not db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient_id == user_id)
    )
    # Seeing the user is still allowed: one of their roles lies within reach.
    assert client.get(f"/admin/users/{user_id}").status_code == 200


def test_admin_lists_show_only_memberships_within_reach(world, client_for, two_regions):
    neighbour_admin, _other_dept = two_regions
    client = client_for(neighbour_admin)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert world.director.full_name in listing
    assert "Средняя школа № 3" not in listing
    detail = client.get(f"/admin/users/{world.director.id}").get_data(as_text=True)
    assert "Средняя школа № 3" not in detail
    assert 'data-testid="outside-reach"' in detail
    assert "/reset" not in detail


def test_admin_of_one_region_does_not_read_mail_of_a_user_with_roles_elsewhere(
    world, client_for, two_regions
):
    neighbour_admin, _other_dept = two_regions
    make_meeting(world)  # the director of school № 3 gets a letter about the new assignment
    db.session.commit()
    letters = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient_id == world.director.id)
    ).all()
    assert letters
    outbox = client_for(neighbour_admin).get("/admin/outbox").get_data(as_text=True)
    assert world.director.email not in outbox
    assert all(letter.subject not in outbox for letter in letters)
    for letter in letters:
        resend = client_for(neighbour_admin).post(f"/admin/outbox/{letter.id}/cancel")
        assert resend.status_code == 404


# --- 5. refusals stay in the audit log, out of the object's history ----------------------------


def test_a_refused_request_does_not_write_into_the_probed_objects_history(world, client_for, api):
    _meeting, decision = make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    foreign = decision.assignments[0]
    history_before = len(assignments.history(db.session, foreign))
    client_for(world.director).get(f"/assignments/{foreign.id}")
    client_for(world.director).post(f"/assignments/{foreign.id}/comment", {"body": "спам"})
    api(world.director, "POST", f"/api/v1/assignments/{foreign.id}/report", {"text": "спам"})
    db.session.expire_all()
    assert len(assignments.history(db.session, foreign)) == history_before
    page = client_for(world.other_staff).get(f"/assignments/{foreign.id}").get_data(as_text=True)
    assert not re.search(r"access\.denied|Директор Школы Три", page)
    denied = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied")).all()
    assert len(denied) == 3
    assert {row.details["target_id"] for row in denied} == {foreign.id}
    assert {row.actor_id for row in denied} == {world.director.id}
