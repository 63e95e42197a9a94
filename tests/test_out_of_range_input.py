"""Numbers too large for the database, NUL characters, ids of nothing and wrong methods: each is
the client's mistake and gets a 4xx with a clear message, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import make_meeting
from tracker.extensions import db

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/assignments/{HUGE}",
        "/assignments/2147483648",
        f"/meetings/{HUGE}",
        f"/roadmaps/{HUGE}",
        f"/organizations/{HUGE}",
        f"/cycle/indicators/{HUGE}",
    ],
)
def test_ids_beyond_any_key_are_404_on_pages(world, client_for, url):
    assert client_for(world.staff).get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [f"/api/v1/assignments/{HUGE}", "/api/v1/meetings/2147483648", f"/api/v1/roadmaps/{HUGE}"],
)
def test_ids_beyond_any_key_are_404_in_the_api(world, api, url):
    response = api(world.staff, "GET", url)
    assert response.status_code == 404
    assert response.json["message"] == "Страница или запись не найдена."


def test_ids_beyond_any_key_in_a_body_are_422_with_the_field(world, api):
    meeting, _decision = make_meeting(world)
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        {"text": "Пункт", "executors": [{"organization_id": int(HUGE)}]},
    )
    assert response.status_code == 422
    assert "executors" in response.json["errors"]["json"]
    listing = api(world.staff, "GET", f"/api/v1/assignments?organization_id={HUGE}")
    assert listing.status_code == 422
    assert api(world.staff, "GET", f"/api/v1/assignments?offset={HUGE}").status_code == 422


@pytest.mark.parametrize("page", ["1e20", HUGE, "-5", "0"])
def test_any_board_page_number_shows_a_page(world, client_for, page):
    make_meeting(world)
    response = client_for(world.staff).get(f"/board?page={page}")
    assert response.status_code == 200
    assert "Средняя школа № 3" in response.get_data(as_text=True)


def test_a_year_out_of_range_is_refused_with_its_range(world, client_for):
    response = client_for(world.staff).get("/cycle?year=99999999")
    assert response.status_code == 400
    assert "Год должен быть от 2000 до 2100." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/board?q=%00", None),
        ("GET", "/roadmaps?q=abc%00def", None),
        ("GET", "/admin/outbox?recipient=%00", None),
        ("POST", "/assignments/{assignment}/comment", {"body": "вопрос\x00"}),
    ],
)
def test_nul_characters_are_refused_with_a_message(world, client_for, method, url, data):
    _meeting, decision = make_meeting(world)
    url = url.format(assignment=decision.assignments[0].id)
    client = client_for(world.admin if "outbox" in url else world.staff)
    response = client.get(url) if method == "GET" else client.post(url, data)
    assert response.status_code == 400
    assert "недопустимый символ (NUL)" in response.get_data(as_text=True)


def test_nul_characters_in_api_bodies_are_refused(world, api):
    _meeting, decision = make_meeting(world)
    own = next(a for a in decision.assignments if a.organization_id == world.school.id)
    response = api(
        world.director, "POST", f"/api/v1/assignments/{own.id}/report", {"text": "a\x00"}
    )
    assert response.status_code == 400
    assert "NUL" in response.json["message"]
    db.session.expire_all()
    assert own.status == "assigned"


def test_a_direction_that_does_not_exist_is_refused(world, api):
    meeting, _decision = make_meeting(world)
    response = api(
        world.staff,
        "POST",
        f"/api/v1/meetings/{meeting.id}/decisions",
        {
            "text": "Пункт",
            "direction_id": 987654,
            "executors": [{"organization_id": world.school.id}],
        },
    )
    assert response.status_code == 422
    assert response.json["message"] == "Направление не найдено: выберите его из списка."


def test_text_longer_than_its_column_is_refused_with_a_message(world, api):
    response = api(
        world.staff,
        "POST",
        "/api/v1/meetings",
        {
            "organization_id": world.dept.id,
            "held_on": "2023-01-31",
            "number": "1" * 500,
            "title": "совещание",
        },
    )
    assert response.status_code == 422
    assert response.json["errors"]["json"]["number"]


def test_method_not_allowed_says_which_methods_are(world, client_for, api):
    page = client_for(world.staff).get("/auth/logout")
    assert page.status_code == 405
    assert "POST" in page.headers["Allow"]
    answer = api(world.staff, "GET", "/api/v1/assignments/1/accept")
    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]
    assert answer.json["code"] == 405
