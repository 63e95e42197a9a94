"""API for meetings, decisions and assignments: same services, same permission filter."""

from tests.factories import make_meeting
from tracker.extensions import db


def test_staff_record_a_meeting_and_fan_out_a_decision(world, api):
    created = api(
        world.staff,
        "POST",
        "/api/v1/meetings",
        {
            "organization_id": world.dept.id,
            "held_on": "2023-01-31",
            "number": "5",
            "title": "совещание руководителей",
            "agenda": [{"title": "Анализ результатов"}],
        },
    )
    assert created.status_code == 201, created.json
    meeting_id = created.json["id"]
    decision = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting_id}/decisions",
        {
            "number": "2",
            "text": "Разработать антирисковую программу",
            "deadline": "в срок до 27.02.2023",
            "executors": [
                {"organization_id": world.school.id},
                {"organization_id": world.sibling.id},
            ],
        },
    )
    assert decision.status_code == 201, decision.json
    assert decision.json["deadline"] == {
        "text": "в срок до 27.02.2023",
        "kind": "date",
        "date": "2023-02-27",
        "rule": None,
        "offset_days": None,
        "event": None,
        "event_date": None,
    }
    assert len(decision.json["assignments"]) == 2
    detail = api(world.staff, "GET", f"/api/v1/meetings/{meeting_id}").json
    assert detail["decisions"][0]["number"] == "2"
    # The director sees the meeting with only their own assignment.
    mine = api(world.director, "GET", f"/api/v1/meetings/{meeting_id}").json
    assert [a["organization_id"] for a in mine["decisions"][0]["assignments"]] == [world.school.id]


def test_unreadable_deadline_is_422_with_what_was_expected(world, api):
    meeting, _ = make_meeting(world)
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        {
            "text": "Сделать",
            "deadline": "как можно скорее",
            "executors": [{"organization_id": world.school.id}],
        },
    )
    assert response.status_code == 422
    assert "Не удалось распознать срок" in response.json["message"]
    assert "до 27.02.2023" in response.json["message"]


def test_foreign_executor_is_refused(world, api):
    meeting, _ = make_meeting(world)
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        {"text": "Сделать", "executors": [{"organization_id": world.other_school.id}]},
    )
    assert response.status_code == 422


def test_directors_cannot_create_meetings(world, api):
    response = api(
        world.director,
        "POST",
        "/api/v1/meetings",
        {"organization_id": world.dept.id, "held_on": "2023-01-31", "title": "x"},
    )
    assert response.status_code == 404  # the department is not even visible to them


def test_assignment_life_through_the_api(world, api):
    _m, decision = make_meeting(world)
    a = next(x for x in decision.assignments if x.organization_id == world.school.id)
    assert api(world.staff, "POST", f"/api/v1/assignments/{a.id}/accept", {}).status_code == 422
    reported = api(
        world.director,
        "POST",
        f"/api/v1/assignments/{a.id}/report",
        {"text": "Программа утверждена"},
    )
    assert reported.json["status"] == "reported"
    assert api(world.director, "POST", f"/api/v1/assignments/{a.id}/accept", {}).status_code == 403
    returned = api(
        world.staff, "POST", f"/api/v1/assignments/{a.id}/return", {"comment": "Дополните"}
    )
    assert returned.json["status"] == "returned"
    api(world.director, "POST", f"/api/v1/assignments/{a.id}/report", {"text": "Дополнено"})
    accepted = api(world.staff, "POST", f"/api/v1/assignments/{a.id}/accept", {})
    assert accepted.json["status"] == "done"
    ext = api(
        world.director,
        "POST",
        f"/api/v1/assignments/{a.id}/extension",
        {"proposed_date": "2023-03-15", "reason": "x"},
    )
    assert ext.status_code == 422 and "открытому" in ext.json["message"]


def test_assignment_filters_and_overdue_as_of_a_date(world, api):
    make_meeting(world)
    make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    rows = api(world.staff, "GET", "/api/v1/assignments?at=2023-02-28").json
    assert len(rows) == 2 and all(r["overdue"] for r in rows)
    assert api(world.staff, "GET", "/api/v1/assignments?at=2023-02-27").json[0]["overdue"] is False
    only = api(world.staff, "GET", f"/api/v1/assignments?organization_id={world.school.id}").json
    assert [r["organization_id"] for r in only] == [world.school.id]
    assert (
        api(world.director, "GET", "/api/v1/assignments").json[0]["organization_id"]
        == world.school.id
    )
    assert len(api(world.admin, "GET", "/api/v1/assignments").json) == 3
    overdue = api(world.staff, "GET", "/api/v1/assignments?overdue=true&at=2023-02-28").json
    assert len(overdue) == 2
    bad = api(world.staff, "GET", "/api/v1/assignments?status=nonsense")
    assert bad.status_code == 422


def test_foreign_ids_are_404_and_audited(world, api):
    import sqlalchemy as sa

    from tracker.core.models import AuditLog

    _m, decision = make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    a = decision.assignments[0]
    assert api(world.director, "GET", f"/api/v1/assignments/{a.id}").status_code == 404
    assert (
        api(world.director, "POST", f"/api/v1/assignments/{a.id}/report", {"text": "x"}).status_code
        == 404
    )
    assert api(world.staff, "GET", f"/api/v1/meetings/{_m.id}").status_code == 404
    db.session.rollback()
    denied = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied")).all()
    assert len(denied) == 3


def test_openapi_lists_the_control_routes(app, client_for):
    paths = client_for().get("/api/v1/openapi.json").json["paths"]
    for path in [
        "/api/v1/meetings",
        "/api/v1/meetings/{meeting_id}",
        "/api/v1/meetings/{meeting_id}/decisions",
        "/api/v1/assignments",
        "/api/v1/assignments/{assignment_id}/report",
        "/api/v1/assignments/{assignment_id}/accept",
        "/api/v1/assignments/{assignment_id}/return",
        "/api/v1/assignments/{assignment_id}/extension",
    ]:
        assert path in paths, path
