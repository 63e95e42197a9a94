"""Services take the acting user and refuse by default: a caller that skips the page's checks
(another view, the API, a script) still cannot act outside its rights, and nothing changes.
The CLI and the demo loader act as the named system actor, which the audit log records."""

from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.auth import services as auth
from tracker.auth.models import ApiToken, OneTimeLink
from tracker.core.errors import NotAllowed
from tracker.core.models import AuditLog
from tracker.core.tenancy import Membership, Organization, User, system_actor
from tracker.evaluations import services as evaluations
from tracker.evaluations.models import ExpertSheet
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.meetings.models import Decision, Meeting
from tracker.orgs import services as orgs


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_director_cannot_record_meetings_or_decisions_through_the_services(world):
    meeting, decision = make_meeting(world)
    before = (count(Meeting), count(Decision), len(decision.assignments))
    with pytest.raises(NotAllowed):
        meetings.create_meeting(
            db.session,
            organization=world.dept,
            held_on=date(2023, 2, 1),
            title="чужое совещание",
            actor=world.director,
        )
    with pytest.raises(NotAllowed):
        meetings.add_decision(db.session, meeting, text="Чужой пункт", actor=world.director)
    with pytest.raises(NotAllowed):
        meetings.fan_out(db.session, decision, [world.other_school], actor=world.director)
    with pytest.raises(NotAllowed):
        meetings.update_meeting(
            db.session, meeting, actor=world.director, agenda=[], title="переименовано"
        )
    with pytest.raises(NotAllowed):
        meetings.update_decision(
            db.session, decision, actor=world.director, reason="так", organizations=[]
        )
    # Another department's staff may not either, nor move the meeting to their department.
    with pytest.raises(NotAllowed):
        meetings.add_decision(db.session, meeting, text="Чужой пункт", actor=world.other_staff)
    with pytest.raises(NotAllowed):
        meetings.update_meeting(
            db.session,
            meeting,
            actor=world.staff,
            agenda=[],
            organization_id=world.other_dept.id,
        )
    db.session.rollback()
    assert (count(Meeting), count(Decision), len(decision.assignments)) == before
    assert db.session.get(Meeting, meeting.id).title == "совещание руководителей"


def test_a_director_calling_the_api_for_a_meeting_is_403_and_nothing_is_made(world, api):
    before = count(Meeting)
    response = api(
        world.director,
        "POST",
        "/api/v1/meetings",
        {"organization_id": world.dept.id, "held_on": "2023-02-01", "title": "x"},
    )
    assert response.status_code in (403, 404)
    db.session.rollback()
    assert count(Meeting) == before


def test_an_administrator_of_another_region_cannot_grant_roles_or_make_organizations(world):
    region_b = orgs.create_organization(
        db.session, kind="region", short_name="Другая область", actor=system_actor(db.session)
    )
    school_b = orgs.create_organization(
        db.session,
        kind="school",
        short_name="Школа другой области",
        parent=region_b,
        actor=system_actor(db.session),
    )
    db.session.commit()
    before = (count(Membership), count(Organization))
    with pytest.raises(NotAllowed):
        orgs.grant_role(db.session, world.director, school_b, "director", actor=world.admin)
    with pytest.raises(NotAllowed):
        orgs.create_organization(
            db.session, kind="school", short_name="Лишняя", parent=school_b, actor=world.admin
        )
    with pytest.raises(NotAllowed):
        orgs.create_organization(db.session, kind="region", short_name="Ещё", actor=world.admin)
    # A director manages nobody, even in their own school.
    with pytest.raises(NotAllowed):
        orgs.grant_role(
            db.session, world.school_staff, world.school, "director", actor=world.director
        )
    with pytest.raises(NotAllowed):
        orgs.set_active(db.session, world.school_staff, False, actor=world.director)
    with pytest.raises(NotAllowed):
        orgs.create_user(db.session, email="new@test.ru", full_name="Новый", actor=world.director)
    db.session.rollback()
    assert (count(Membership), count(Organization)) == before
    assert db.session.get(User, world.school_staff.id).active


def test_an_administrator_does_not_act_on_a_person_with_a_role_outside_their_region(world):
    region_b = orgs.create_organization(
        db.session, kind="region", short_name="Другая область", actor=system_actor(db.session)
    )
    orgs.grant_role(db.session, world.staff, region_b, "admin", actor=system_actor(db.session))
    db.session.commit()
    with pytest.raises(NotAllowed):
        orgs.set_active(db.session, world.staff, False, actor=world.admin)
    with pytest.raises(NotAllowed):
        orgs.grant_role(db.session, world.staff, world.school, "director", actor=world.admin)
    db.session.rollback()
    assert db.session.get(User, world.staff.id).active


def test_nobody_but_the_person_or_their_administrator_touches_their_credentials(world):
    token = auth.create_api_token(db.session, world.staff, "свой")
    db.session.commit()
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == world.staff.id))
    password_hash = db.session.get(User, world.staff.id).password_hash
    before = (count(ApiToken), count(OneTimeLink))
    for actor in (world.director, world.other_staff):
        with pytest.raises(NotAllowed):
            auth.set_password(db.session, world.staff, "a-new-password-7", actor=actor)
        with pytest.raises(NotAllowed):
            auth.issue_link(db.session, world.staff, "reset", 24, actor=actor)
        with pytest.raises(NotAllowed):
            auth.create_api_token(db.session, world.staff, "чужой", actor=actor)
        with pytest.raises(NotAllowed):
            auth.revoke_api_token(db.session, row, actor=actor)
    db.session.rollback()
    assert (count(ApiToken), count(OneTimeLink)) == before
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert db.session.get(User, world.staff.id).password_hash == password_hash
    assert auth.user_for_api_token(db.session, token) == world.staff
    # The person, their administrator and the system actor may; the audit log names who did.
    auth.revoke_api_token(db.session, row, actor=world.staff)
    auth.issue_link(db.session, world.staff, "reset", 24, actor=world.admin)
    auth.create_api_token(db.session, world.staff, "cli", actor=system_actor(db.session))
    db.session.commit()
    made = db.session.scalar(
        sa.select(AuditLog)
        .where(AuditLog.action == "api_token.create")
        .order_by(AuditLog.id.desc())
    )
    assert made.actor_id == system_actor(db.session).id


def test_evaluations_need_an_actor_with_the_right(world):
    with pytest.raises(TypeError):
        evaluations.create_sheet(  # no actor: no way past the check
            db.session,
            organization=world.dept,
            title="Лист",
            criteria=[evaluations.CriterionSpec("Критерий")],
        )
    with pytest.raises(NotAllowed):
        evaluations.create_sheet(
            db.session,
            organization=world.dept,
            title="Лист",
            criteria=[evaluations.CriterionSpec("Критерий")],
            actor=world.director,
        )
    db.session.rollback()
    assert count(ExpertSheet) == 0


def test_the_system_actor_is_named_in_the_audit_log_and_cannot_sign_in(world, client_for):
    actor = system_actor(db.session)
    assert system_actor(db.session) is actor  # one row, made once
    meetings.create_meeting(
        db.session, organization=world.dept, held_on=date(2023, 2, 1), title="x", actor=actor
    )
    db.session.commit()
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "meeting.create"))
    assert row.actor_id == actor.id and row.actor.full_name == "Система"
    # No password, inactive, no membership: it signs in nowhere and is listed nowhere.
    page = client_for().post("/auth/login", data={"email": actor.email, "password": "x" * 12})
    assert page.status_code in (200, 401, 422) and "/auth/logout" not in page.text
    users = client_for(world.admin).get("/admin/users").text
    assert "Система" not in users


def test_a_director_cannot_import_a_protocol_through_the_service(world):
    from tracker.protocols import services as protocols

    reading = protocols.read(db.session, world.dept, "ПРОТОКОЛ № 1\nРЕШИЛИ:\n1. Сдать отчёт.")
    reading["title"] = "совещание"
    before = (count(Meeting), count(Decision))
    for intruder in (world.director, world.other_staff):
        with pytest.raises(NotAllowed):
            protocols.confirm(db.session, world.dept, intruder, reading)
    db.session.rollback()
    assert (count(Meeting), count(Decision)) == before
