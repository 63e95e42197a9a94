"""The management cycle through the API: the same services, the same permission filter, in
OpenAPI; decimal values travel as strings with a point («85.5»)."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tracker.assignments.models import Assignment
from tracker.core import clock
from tracker.cycle import services
from tracker.cycle.models import Direction, Indicator, Measurement, Recommendation
from tracker.extensions import db


@pytest.fixture
def february():
    clock.freeze(datetime(2023, 2, 10, 9, 0, tzinfo=UTC))
    yield
    clock.freeze(None)


@pytest.fixture
def directions(world):
    made = [
        Direction(
            framework="MUM", group_name="Качество", name="Подготовка обучающихся", position=1
        ),
        Direction(framework="MUM", name="Объективность оценки", position=2, declared_indicators=4),
        Direction(framework="VSOKO", name="Условия", position=3),
    ]
    db.session.add_all(made)
    db.session.commit()
    return made


def new_indicator(api, world, direction, code="П-1", **fields):
    body = {
        "organization_id": world.dept.id,
        "direction_id": direction.id,
        "code": code,
        "name": "Доля выпускников, получивших аттестат",
        "unit": "percent",
        "target_value": "80",
        "threshold_value": 60,
        **fields,
    }
    response = api(world.staff, "POST", "/api/v1/indicators", body)
    assert response.status_code == 201, response.json
    return response.json


def post_values(api, user, organization, period, values, **extra):
    body = {
        "organization_id": organization.id,
        "period": period,
        "values": [{"indicator_id": k, "value": v} for k, v in values.items()],
        **extra,
    }
    return api(user, "POST", "/api/v1/measurements", body)


def stored():
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Measurement))


def test_directions_are_listed_in_model_order(world, api, directions):
    got = api(world.director, "GET", "/api/v1/directions").json
    assert [d["name"] for d in got] == [d.name for d in directions]
    assert got[0]["group_name"] == "Качество" and got[1]["declared_indicators"] == 4
    vsoko = api(world.director, "GET", "/api/v1/directions?framework=VSOKO").json
    assert [d["name"] for d in vsoko] == ["Условия"]


def test_staff_creates_an_indicator_and_posts_values(world, api, directions):
    indicator = new_indicator(api, world, directions[0], organization_ids=[world.school.id])
    assert indicator["target_value"] == "80" and indicator["threshold_value"] == "60"
    assert indicator["unit"] == "percent" and indicator["organization_ids"] == [world.school.id]

    score = api(
        world.staff,
        "POST",
        "/api/v1/indicators",
        {"organization_id": world.dept.id, "code": "Б-1", "name": "Баллы", "unit": "score"},
    )
    assert score.status_code == 422
    assert score.json["message"] == "Для показателя в баллах укажите максимальный балл."
    twice = api(
        world.staff,
        "POST",
        "/api/v1/indicators",
        {"organization_id": world.dept.id, "code": "П-1", "name": "Повтор"},
    )
    assert twice.status_code == 422 and "П-1" in twice.json["message"]
    foreign = api(
        world.staff,
        "POST",
        "/api/v1/indicators",
        {"organization_id": world.dept.id, "code": "П-2", "name": "x", "direction_id": 9999},
    )
    assert foreign.status_code == 422 and foreign.json["message"] == "Направление не найдено."

    iid = indicator["id"]
    for organization, value in ((world.dept, "85,5"), (world.school, 92), (world.sibling, "55 %")):
        response = post_values(api, world.staff, organization, "2023", {iid: value})
        assert response.status_code == 200, response.json
    assert response.json[0]["value"] == "55" and response.json[0]["indicator_code"] == "П-1"
    again = post_values(api, world.staff, world.school, "2023", {iid: "93.25"})
    assert again.json[0]["value"] == "93.25"
    assert stored() == 3  # the school's value was replaced, not added

    detail = api(world.staff, "GET", f"/api/v1/indicators/{iid}").json
    assert detail["by_school"]["periods"] == ["2023"]
    rows = {r["organization_id"]: r for r in detail["by_school"]["rows"]}
    assert rows[world.dept.id]["values"] == {"2023": "85.5"}
    assert rows[world.school.id]["values"] == {"2023": "93.25"}
    assert rows[world.sibling.id]["at_risk"] is True and rows[world.school.id]["at_risk"] is False

    listed = api(world.staff, "GET", "/api/v1/measurements?period=2023").json
    assert sorted(m["organization_id"] for m in listed) == sorted(
        [world.dept.id, world.school.id, world.sibling.id]
    )
    only = api(world.staff, "GET", f"/api/v1/measurements?organization_id={world.school.id}").json
    assert [m["value"] for m in only] == ["93.25"]
    assert api(world.staff, "GET", "/api/v1/measurements?period=2022").json == []
    assert [i["code"] for i in api(world.staff, "GET", "/api/v1/indicators").json] == ["П-1"]
    by_direction = f"/api/v1/indicators?direction_id={directions[1].id}"
    assert api(world.staff, "GET", by_direction).json == []


def test_a_wrong_value_refuses_the_whole_request(world, api, directions):
    percent = new_indicator(api, world, directions[0])["id"]
    score = new_indicator(api, world, directions[0], code="Б-1", unit="score", max_value="10")["id"]
    number = new_indicator(api, world, directions[0], code="Ч-1", unit="number")["id"]
    flag = new_indicator(api, world, directions[0], code="Д-1", unit="bool")["id"]

    response = post_values(
        api,
        world.staff,
        world.school,
        "2023",
        {percent: "120", score: "12", number: "много", flag: "да"},
    )
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {str(percent), str(score), str(number)}
    assert errors[str(percent)] == "Доля больше 100 %: 120."
    assert errors[str(score)] == "Больше максимального балла (10): 12."
    assert errors[str(number)] == "«много» — не число."
    assert response.json["message"] == "П-1: Доля больше 100 %: 120."
    assert stored() == 0

    one = post_values(api, world.staff, world.school, "2023", {number: "7", score: "11"})
    assert one.status_code == 422 and list(one.json["errors"]) == [str(score)]
    assert stored() == 0

    period = post_values(api, world.staff, world.school, "прошлый год", {number: "7"})
    assert period.status_code == 422 and "Период «прошлый год» не понят" in period.json["message"]
    twice = api(
        world.staff,
        "POST",
        "/api/v1/measurements",
        {
            "organization_id": world.school.id,
            "period": "2023",
            "values": [{"indicator_id": number, "value": 1}, {"indicator_id": number, "value": 2}],
        },
    )
    assert twice.status_code == 422
    shape = api(
        world.staff,
        "POST",
        "/api/v1/measurements",
        {"organization_id": world.school.id, "values": [{"indicator_id": number, "value": []}]},
    )
    assert shape.status_code == 422
    assert stored() == 0

    good = post_values(
        api, world.staff, world.school, "2023-Q1", {number: "7", flag: True, percent: ""}
    )
    assert good.status_code == 200
    assert {m["indicator_id"]: m["value"] for m in good.json} == {number: "7", flag: "1"}
    assert stored() == 2  # the empty value is «not given», never zero


def test_a_director_gives_values_for_their_school_only(world, api, directions, february):
    iid = new_indicator(api, world, directions[0])["id"]
    hidden = new_indicator(api, world, directions[0], code="П-2")["id"]
    # Nothing asks the school yet: the department's indicators are not the school's to see.
    assert api(world.director, "GET", "/api/v1/indicators").json == []
    assert post_values(api, world.director, world.school, "2023", {iid: "90"}).status_code == 404

    campaign = services.open_campaign(
        db.session,
        world.staff,
        world.dept,
        title="Аттестаты",
        period="2023",
        indicators=[db.session.get(Indicator, iid)],
        organizations=[world.school, world.sibling],
        deadline_text="в срок до 27.02.2023",
    )
    db.session.commit()
    assert [i["id"] for i in api(world.director, "GET", "/api/v1/indicators").json] == [iid]

    own = post_values(
        api, world.director, world.school, "2023", {iid: "90"}, campaign_id=campaign.id
    )
    assert own.status_code == 200, own.json
    assert own.json[0]["value"] == "90" and own.json[0]["campaign_id"] == campaign.id
    db.session.rollback()
    assignment = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.decision_id == campaign.decision_id,
            Assignment.organization_id == world.school.id,
        )
    )
    assert assignment.status == "done"  # all values in: it closed itself
    wrong_period = post_values(
        api, world.director, world.school, "2022", {iid: "90"}, campaign_id=campaign.id
    )
    assert wrong_period.status_code == 422

    sibling = post_values(api, world.director, world.sibling, "2023", {iid: "70"})
    assert sibling.status_code == 404
    assert post_values(api, world.director, world.school, "2023", {hidden: "1"}).status_code == 404
    assert stored() == 1

    assert (
        post_values(api, world.sibling_director, world.sibling, "2023", {iid: "50"}).status_code
        < 300
    )
    assert post_values(api, world.staff, world.dept, "2023", {iid: "75"}).status_code < 300
    mine = api(world.director, "GET", "/api/v1/measurements").json
    assert [(m["organization_id"], m["value"]) for m in mine] == [(world.school.id, "90")]
    assert api(world.director, "GET", f"/api/v1/measurements?indicator_id={hidden}").json == []
    rows = api(world.director, "GET", f"/api/v1/indicators/{iid}").json["by_school"]["rows"]
    assert [r["organization_id"] for r in rows] == [world.school.id]
    assert api(world.director, "GET", f"/api/v1/indicators/{hidden}").status_code == 404

    # Seeing an organization is not the right to give its values: the admin is refused.
    refused = post_values(api, world.admin, world.school, "2023", {iid: "1"})
    assert refused.status_code == 403
    director_indicator = api(
        world.director,
        "POST",
        "/api/v1/indicators",
        {"organization_id": world.school.id, "code": "Ш-1", "name": "Свой"},
    )
    assert director_indicator.status_code == 403


def test_another_department_sees_nothing(world, api, directions):
    iid = new_indicator(api, world, directions[0])["id"]
    assert post_values(api, world.staff, world.school, "2023", {iid: "90"}).status_code < 300
    analysis = api(
        world.staff,
        "POST",
        "/api/v1/analyses",
        {"organization_id": world.dept.id, "title": "Итоги", "indicator_id": iid},
    ).json
    review = api(
        world.staff,
        "POST",
        "/api/v1/reviews",
        {"organization_id": world.dept.id, "indicator_id": iid, "verdict": "partial"},
    ).json

    for url in ("/api/v1/indicators", "/api/v1/measurements", "/api/v1/analyses", "/reviews"):
        url = url if url.startswith("/api") else "/api/v1" + url
        assert api(world.other_staff, "GET", url).json == [], url
    for url in (
        f"/api/v1/indicators/{iid}",
        f"/api/v1/analyses/{analysis['id']}",
        f"/api/v1/reviews/{review['id']}",
        f"/api/v1/cycle?department_id={world.dept.id}",
    ):
        assert api(world.other_staff, "GET", url).status_code == 404, url
    into_own = post_values(api, world.other_staff, world.other_school, "2023", {iid: "1"})
    assert into_own.status_code == 404
    assert post_values(api, world.other_staff, world.school, "2023", {iid: "1"}).status_code == 404
    foreign = api(
        world.other_staff,
        "POST",
        "/api/v1/analyses",
        {"organization_id": world.dept.id, "title": "Чужой"},
    )
    assert foreign.status_code == 404
    assert api(world.other_director, "GET", "/api/v1/measurements").json == []
    assert stored() == 1


def test_analysis_recommendations_and_effectiveness_review(world, api, directions, february):
    iid = new_indicator(api, world, directions[0])["id"]
    for period, value in (("2022", "60"), ("2023", "85,5")):
        assert post_values(api, world.staff, world.school, period, {iid: value}).status_code < 300
    body = {
        "organization_id": world.dept.id,
        "title": "Анализ результатов аттестации",
        "text": "Доля ниже цели в двух школах.",
        "direction_id": directions[0].id,
        "indicator_id": iid,
        "period": "2023",
        "recommendations": [
            {"organization_id": world.school.id, "text": "Разработать план повышения"},
            {"organization_id": world.dept.id, "text": "Провести семинар"},
        ],
    }
    created = api(world.staff, "POST", "/api/v1/analyses", body)
    assert created.status_code == 201, created.json
    analysis = created.json
    assert [r["organization_id"] for r in analysis["recommendations"]] == [
        world.school.id,
        world.dept.id,
    ]
    assert all(r["decision_id"] is None for r in analysis["recommendations"])

    bad_period = api(world.staff, "POST", "/api/v1/analyses", {**body, "period": "весна"})
    assert bad_period.status_code == 422 and "не понят" in bad_period.json["message"]
    elsewhere = {
        **body,
        "recommendations": [{"organization_id": world.other_school.id, "text": "x"}],
    }
    assert api(world.staff, "POST", "/api/v1/analyses", elsewhere).status_code == 404
    by_director = api(world.director, "POST", "/api/v1/analyses", {**body, "recommendations": []})
    assert by_director.status_code in (403, 404)

    rec = db.session.get(Recommendation, analysis["recommendations"][0]["id"])
    decision = services.decide(db.session, world.staff, rec, deadline_text="в срок до 31.05.2023")
    db.session.commit()
    got = api(world.staff, "GET", f"/api/v1/analyses/{analysis['id']}").json
    assert got["recommendations"][0]["decision_id"] == decision.id
    assert got["text"] == "Доля ниже цели в двух школах."
    listed = api(world.staff, "GET", f"/api/v1/analyses?indicator_id={iid}").json
    assert [a["id"] for a in listed] == [analysis["id"]]
    assert "recommendations" not in listed[0]

    review_body = {
        "organization_id": world.dept.id,
        "decision_ids": [decision.id],
        "indicator_id": iid,
        "period_before": "2022",
        "period_after": "2023",
        "verdict": "effective",
        "comment": "Доля выросла",
    }
    wrong = api(world.staff, "POST", "/api/v1/reviews", {**review_body, "verdict": "хорошо"})
    assert wrong.status_code == 422
    assert wrong.json["message"] == "Выберите вывод: эффективно, частично или неэффективно."
    backwards = {**review_body, "period_before": "2023", "period_after": "2022"}
    assert api(world.staff, "POST", "/api/v1/reviews", backwards).status_code == 422
    not_its_own = {**review_body, "organization_id": world.school.id}
    refused = api(world.staff, "POST", "/api/v1/reviews", not_its_own)
    assert refused.status_code == 422
    assert refused.json["message"] == "Решение другого органа управления."
    assert api(world.director, "POST", "/api/v1/reviews", review_body).status_code in (403, 404)

    created = api(world.staff, "POST", "/api/v1/reviews", review_body)
    assert created.status_code == 201, created.json
    review = created.json
    assert review["decision_ids"] == [decision.id]
    assert review["direction_id"] == directions[0].id  # taken from the indicator
    figures = review["figures"]
    assert figures["before"] == "60.0" and figures["after"] == "85.5"
    assert figures["change"] == "25.5" and figures["target_reached"] is True
    assert figures["assignments"] == 1 and figures["assignments_done"] == 0
    assert api(world.staff, "GET", f"/api/v1/reviews/{review['id']}").json == review
    assert [r["id"] for r in api(world.staff, "GET", "/api/v1/reviews").json] == [review["id"]]
    other = f"/api/v1/reviews?direction_id={directions[1].id}"
    assert api(world.staff, "GET", other).json == []


def test_the_cycle_board(world, api, directions, february):
    iid = new_indicator(api, world, directions[0])["id"]
    assert post_values(api, world.staff, world.school, "2023", {iid: "70"}).status_code < 300
    assert (
        api(
            world.staff,
            "POST",
            "/api/v1/analyses",
            {
                "organization_id": world.dept.id,
                "title": "Анализ",
                "direction_id": directions[0].id,
                "period": "2023",
            },
        ).status_code
        < 300
    )
    board = api(world.staff, "GET", f"/api/v1/cycle?department_id={world.dept.id}&year=2023").json
    assert board["year"] == 2023 and board["department_id"] == world.dept.id
    assert [s["key"] for s in board["stages"]] == [
        "goals",
        "indicators",
        "monitoring",
        "analysis",
        "decisions",
        "effectiveness",
    ]
    assert board["stages"][0]["label"] == "Цели"
    first, second = board["rows"][0], board["rows"][1]
    assert first["direction"]["id"] == directions[0].id
    assert {k: c["count"] for k, c in first["cells"].items()} == {
        "goals": 0,
        "indicators": 1,
        "monitoring": 1,
        "analysis": 1,
        "decisions": 0,
        "effectiveness": 0,
    }
    assert first["missing"] == ["goals", "decisions", "effectiveness"]
    assert second["cells"]["indicators"] == {"count": 0, "detail": "/4", "done": False}

    earlier = api(world.staff, "GET", f"/api/v1/cycle?department_id={world.dept.id}&year=2022")
    assert earlier.json["rows"][0]["cells"]["monitoring"]["count"] == 0
    this_year = api(world.staff, "GET", f"/api/v1/cycle?department_id={world.dept.id}").json
    assert this_year["year"] == 2023  # the frozen clock's year
    assert api(world.staff, "GET", "/api/v1/cycle").status_code == 422
    sibling = f"/api/v1/cycle?department_id={world.sibling.id}"
    assert api(world.director, "GET", sibling).status_code == 404


def test_the_cycle_is_in_the_openapi_document(client_for):
    spec = client_for().get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path, methods in (
        ("/api/v1/directions", {"get"}),
        ("/api/v1/indicators", {"get", "post"}),
        ("/api/v1/indicators/{indicator_id}", {"get"}),
        ("/api/v1/measurements", {"get", "post"}),
        ("/api/v1/analyses", {"get", "post"}),
        ("/api/v1/analyses/{analysis_id}", {"get"}),
        ("/api/v1/reviews", {"get", "post"}),
        ("/api/v1/reviews/{review_id}", {"get"}),
        ("/api/v1/cycle", {"get"}),
    ):
        assert path in paths, path
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["summary"] and paths[path][method]["description"]
    value = spec["components"]["schemas"]["Measurement"]["properties"]["value"]
    assert value["type"] == "string"
