"""Delegation inside a school: the director hands an assignment to a deputy, who prepares the
report; the director submits it, or lets deputies submit (the school's choice)."""

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.assignments import services
from tracker.core.errors import NotAllowed
from tracker.extensions import db
from tracker.inbox.queries import inbox_for
from tracker.notify.models import Notification


@pytest.fixture
def assignment(world):
    _meeting, decision = make_meeting(world)
    return next(a for a in decision.assignments if a.organization_id == world.school.id)


def handed(user) -> list[int]:
    sections = [s for s in inbox_for(db.session, user).sections if s.key == "handed"]
    return [r.object_id for s in sections for r in s.rows]


def test_the_director_hands_it_to_a_deputy_who_is_told_and_finds_it(world, assignment):
    services.delegate(db.session, assignment, world.director, world.school_staff)
    db.session.commit()
    assert assignment.delegate_id == world.school_staff.id
    note = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "assignment.delegated")
    ).one()
    assert note.user_id == world.school_staff.id and note.title == "Вам передано поручение: п. 2"
    assert handed(world.school_staff) == [assignment.id]
    assert handed(world.director) == []


def test_when_deputies_prepare_the_director_submits_the_draft(world, assignment, client_for):
    services.set_deputies_submit(db.session, world.school, world.director, False)
    services.delegate(db.session, assignment, world.director, world.school_staff)
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.submit_report(db.session, assignment, world.school_staff, "Сам отправлю")
    db.session.rollback()
    deputy = client_for(world.school_staff)
    page = deputy.get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert 'data-testid="draft-form"' in page and 'data-testid="report-form"' not in page
    deputy.post(f"/assignments/{assignment.id}/draft", {"text": "Программа принята педсоветом"})
    db.session.refresh(assignment)
    assert assignment.report_draft == "Программа принята педсоветом"
    # The director finds the draft in the report form and submits it.
    page = client_for(world.director).get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert "Программа принята педсоветом</textarea>" in page
    services.submit_report(db.session, assignment, world.director, assignment.report_draft)
    db.session.commit()
    assert assignment.status == "reported" and assignment.report_draft is None


def test_by_default_deputies_submit_what_they_prepare(world, assignment):
    services.delegate(db.session, assignment, world.director, world.school_staff)
    services.submit_report(db.session, assignment, world.school_staff, "Готово")
    db.session.commit()
    assert assignment.status == "reported"


def test_attacker_cannot_hand_it_outside_the_school_nor_delegate_without_the_right(
    world, assignment, client_for
):
    for outsider in (world.sibling_director, world.other_director, world.staff):
        with pytest.raises(services.AssignmentError, match="сотруднику вашей организации"):
            services.delegate(db.session, assignment, world.director, outsider)
    db.session.rollback()
    director = client_for(world.director)
    director.post(
        f"/assignments/{assignment.id}/delegate", {"person_id": world.sibling_director.id}
    )
    director.post(f"/assignments/{assignment.id}/delegate", {"person_id": 99999999})
    db.session.refresh(assignment)
    assert assignment.delegate_id is None
    # Neither a deputy, nor staff, nor another school's director hands anything.
    for intruder in (world.school_staff, world.staff, world.sibling_director):
        response = client_for(intruder).post(
            f"/assignments/{assignment.id}/delegate", {"person_id": world.school_staff.id}
        )
        assert response.status_code in (403, 404)
    assert (
        client_for(world.sibling_director)
        .post(f"/organizations/{world.school.id}/deputies-submit", {"allowed": "0"})
        .status_code
        == 404
    )
    db.session.refresh(assignment)
    db.session.refresh(world.school)
    assert assignment.delegate_id is None and world.school.deputies_submit is True
    # A deputy it was not handed to drafts nothing when deputies only prepare.
    services.set_deputies_submit(db.session, world.school, world.director, False)
    db.session.commit()
    assert (
        client_for(world.school_staff)
        .post(f"/assignments/{assignment.id}/draft", {"text": "чужой черновик"})
        .status_code
        == 403
    )
    db.session.refresh(assignment)
    assert assignment.report_draft is None
