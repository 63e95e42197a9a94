import pytest

from tracker.auth.models import ApiToken
from tracker.auth.services import create_api_token, revoke_api_token
from tracker.extensions import db


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(world):
    def make(user) -> str:
        value = create_api_token(db.session, user, "test")
        db.session.commit()
        return value

    return make


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}],
    ids=["none", "unknown", "wrong-scheme"],
)
def test_without_a_valid_token_401_json(world, client_for, headers):
    response = client_for().get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.is_json
    assert response.json["code"] == 401
    assert set(response.json) >= {"code", "status", "message"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me(world, client_for, token_for):
    response = client_for().get("/api/v1/me", headers=bearer(token_for(world.director)))
    assert response.status_code == 200
    assert response.json["email"] == "director@test.ru"
    assert response.json["memberships"] == [
        {
            "organization_id": world.school.id,
            "organization": "МОУ «Средняя школа № 3»",
            "role": "director",
        }
    ]


def test_organizations_are_filtered_by_the_permission_filter(world, client_for, token_for):
    client = client_for()
    director = client.get("/api/v1/organizations", headers=bearer(token_for(world.director)))
    assert [o["id"] for o in director.json] == [world.school.id]
    staff = client.get("/api/v1/organizations", headers=bearer(token_for(world.staff)))
    assert {o["id"] for o in staff.json} == {world.dept.id, world.school.id, world.sibling.id}
    search = client.get(
        "/api/v1/organizations?q=школа%20№%206", headers=bearer(token_for(world.staff))
    )
    assert [o["short_name"] for o in search.json] == ["МОУ «Средняя школа № 6»"]
    # Case-insensitive in Cyrillic on both databases.
    upper = client.get("/api/v1/organizations?q=ШКОЛА", headers=bearer(token_for(world.staff)))
    assert len(upper.json) == 2


def test_bad_query_parameter_is_422_json(world, client_for, token_for):
    response = client_for().get(
        "/api/v1/organizations?limit=0", headers=bearer(token_for(world.staff))
    )
    assert response.status_code == 422
    assert response.json["code"] == 422 and "errors" in response.json


def test_revoked_token_stops_working(world, client_for, token_for):
    value = token_for(world.staff)
    assert client_for().get("/api/v1/me", headers=bearer(value)).status_code == 200
    row = db.session.query(ApiToken).one()
    revoke_api_token(db.session, row)
    db.session.commit()
    assert client_for().get("/api/v1/me", headers=bearer(value)).status_code == 401


def test_tokens_are_stored_hashed(world, token_for):
    value = token_for(world.staff)
    row = db.session.query(ApiToken).one()
    assert value not in (row.token_hash, row.prefix) and row.prefix == value[:12]


def test_openapi_document(app, client_for):
    doc = client_for().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/organizations"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_cli_prints_a_working_token(world, app, client_for):
    result = app.test_cli_runner().invoke(args=["users", "token", "director@test.ru"])
    assert result.exit_code == 0, result.output
    value = result.output.strip()
    assert client_for().get("/api/v1/me", headers=bearer(value)).json["id"] == world.director.id
