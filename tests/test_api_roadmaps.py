"""Road maps through the API: the same services, the same permission filter, in OpenAPI."""

import pytest

from tests.factories import make_meeting
from tracker.core import clock
from tracker.extensions import db


@pytest.fixture
def february():
    from datetime import UTC, datetime

    clock.freeze(datetime(2023, 2, 10, 9, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


def test_a_road_map_from_creation_to_execution(world, api, february):
    _m, decision = make_meeting(world, deadline="в срок до 21.02.2023")
    assignment = next(a for a in decision.assignments if a.organization_id == world.school.id)
    created = api(
        world.director,
        "POST",
        "/api/v1/roadmaps",
        {"organization_id": world.school.id, "title": "План", "assignment_id": assignment.id},
    )
    assert created.status_code == 201, created.json
    map_id = created.json["id"]
    rows = [
        {"number": "1", "text": "Рабочая группа", "deadline_text": "в срок до 15.02.2023"},
        {"number": "2", "text": "Педсовет", "deadline_text": "март 2023 года"},
    ]
    bad = api(
        world.director,
        "PUT",
        f"/api/v1/roadmaps/{map_id}/actions",
        {"actions": [{"text": "x", "deadline_text": "когда-нибудь"}]},
    )
    assert bad.status_code == 422 and "Строка 1" in bad.json["message"]
    put = api(world.director, "PUT", f"/api/v1/roadmaps/{map_id}/actions", {"actions": rows})
    assert [a["deadline"]["date"] for a in put.json["actions"]] == ["2023-02-15", "2023-03-31"]
    assert api(world.director, "POST", f"/api/v1/roadmaps/{map_id}/submit").json["status"] == (
        "submitted"
    )
    assert api(world.director, "POST", f"/api/v1/roadmaps/{map_id}/approve", {}).status_code == 403
    first = put.json["actions"][0]["id"]
    returned = api(
        world.staff,
        "POST",
        f"/api/v1/roadmaps/{map_id}/return",
        {"action_comments": {str(first): "Уточните состав"}},
    )
    assert returned.json["status"] == "returned"
    api(world.director, "POST", f"/api/v1/roadmaps/{map_id}/submit")
    approved = api(world.staff, "POST", f"/api/v1/roadmaps/{map_id}/approve", {"comment": "Да"})
    assert approved.json["status"] == "approved"
    versions = api(world.director, "GET", f"/api/v1/roadmaps/{map_id}/versions").json
    assert [v["state"] for v in versions] == ["returned", "approved"]
    assert versions[0]["action_comments"] == {str(first): "Уточните состав"}
    marked = api(
        world.school_staff,
        "POST",
        f"/api/v1/roadmaps/{map_id}/actions/{first}/mark",
        {"status": "done", "completed_on": "2023-02-09", "evidence": "Приказ № 5"},
    )
    assert marked.json["status"] == "done"
    got = api(world.director, "GET", f"/api/v1/roadmaps/{map_id}").json
    assert got["progress"] == {"total": 2, "done": 1, "on_time": 1, "overdue": 0, "percent": 50}
    db.session.rollback()
    assert db.session.get(type(assignment), assignment.id).status == "done"


def test_road_maps_are_in_the_openapi_document(client_for):
    paths = client_for().get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/roadmaps",
        "/api/v1/roadmaps/{road_map_id}",
        "/api/v1/roadmaps/{road_map_id}/versions",
        "/api/v1/roadmaps/{road_map_id}/actions",
        "/api/v1/roadmaps/{road_map_id}/submit",
        "/api/v1/roadmaps/{road_map_id}/approve",
        "/api/v1/roadmaps/{road_map_id}/return",
        "/api/v1/roadmaps/{road_map_id}/actions/{action_id}/mark",
    ):
        assert path in paths, path
