"""core.errors: a service's refusal reaches the one handler: NotAllowed → 403 and audited,
Refused → 422 with the service's Russian words, as a page or as the API's JSON."""

from types import SimpleNamespace

import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.core.errors import NotAllowed, Refused, handle
from tracker.core.models import AuditLog
from tracker.extensions import db


def denied_rows():
    db.session.rollback()
    return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied")).all()


def test_a_refusal_is_422_with_the_services_words_and_the_wrong_rows(app, ctx):
    with app.test_request_context("/api/v1/indicators"):
        response = handle(Refused("Строка 3: срок не распознан.", rows={3: "не распознан"}))
    assert response.status_code == 422
    assert response.json["message"] == "Строка 3: срок не распознан."
    assert response.json["errors"] == {"3": "не распознан"}
    with app.test_request_context("/roadmaps/1/edit"):
        response = handle(Refused("Строка 3: срок не распознан."))
    assert response.status_code == 422
    assert "Строка 3: срок не распознан." in response.get_data(as_text=True)
    assert denied_rows() == []


def test_not_allowed_is_403_and_audited_with_what_was_refused(app, ctx):
    target = SimpleNamespace(__tablename__="road_maps", id=5)
    with app.test_request_context("/roadmaps/5/move/approve", method="POST"):
        response = handle(NotAllowed("Недостаточно прав для этого действия.", target=target))
    assert response.status_code == 403
    [row] = denied_rows()
    assert row.details["target_type"] == "road_maps" and row.details["target_id"] == 5
    assert row.details["path"] == "/roadmaps/5/move/approve"


def test_a_service_refusing_an_api_caller_answers_403_and_is_audited(world, api):
    _meeting, decision = make_meeting(world)
    assignment = decision.assignments[0]
    # The school's director executes the assignment; accepting the report is the controller's.
    response = api(world.director, "POST", f"/api/v1/assignments/{assignment.id}/accept", {})
    assert response.status_code == 403
    assert response.json["code"] == 403
    [row] = denied_rows()
    assert row.actor_id == world.director.id
    assert (row.details["target_type"], row.details["target_id"]) == ("assignments", assignment.id)
