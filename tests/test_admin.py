"""Administration: invitations with one-time links, roles, password resets, organizations."""

import re

import sqlalchemy as sa

from tests.factories import PASSWORD
from tracker.core.tenancy import Organization, User
from tracker.extensions import db
from tracker.notify.models import OutboxMessage


def link_from_outbox(email: str) -> str:
    row = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient_email == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    return re.search(r"(/auth/link/\S+)", row.body_text).group(1)


def test_invitation_is_the_only_way_to_a_first_password(world, client_for):
    admin = client_for(world.admin)
    response = admin.post(
        "/admin/users/invite",
        {
            "email": "new.director@test.ru",
            "full_name": "Новый Директор",
            "organization_id": world.school.id,
            "role": "director",
        },
    )
    assert response.status_code == 200
    assert "/auth/link/" in response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.email == "new.director@test.ru"))
    assert user.password_hash is None
    assert user.roles_in(world.school.id) == {"director"}

    # Cannot log in before setting a password.
    anon = client_for()
    assert (
        anon.post(
            "/auth/login", {"email": "new.director@test.ru", "password": "anything-1"}
        ).status_code
        == 200
    )

    link = link_from_outbox("new.director@test.ru")
    weak = anon.post(link, {"password": "short", "confirm": "short"})
    assert "от 10 до 200 символов" in weak.get_data(as_text=True)
    ok = anon.post(link, {"password": "Strong-pass-2023", "confirm": "Strong-pass-2023"})
    assert ok.status_code == 302
    # The link works once.
    assert client_for().get(link).status_code == 404
    again = client_for().post(
        "/auth/login", {"email": "new.director@test.ru", "password": "Strong-pass-2023"}
    )
    assert again.status_code == 302


def test_admin_resets_a_password_with_a_new_link(world, client_for):
    admin = client_for(world.admin)
    response = admin.post(f"/admin/users/{world.director.id}/reset")
    assert response.status_code == 200
    link = link_from_outbox("director@test.ru")
    client_for().post(link, {"password": "Brand-new-pass-1", "confirm": "Brand-new-pass-1"})
    assert (
        client_for()
        .post("/auth/login", {"email": "director@test.ru", "password": PASSWORD})
        .status_code
        == 200
    )  # the old password no longer works
    assert (
        client_for()
        .post("/auth/login", {"email": "director@test.ru", "password": "Brand-new-pass-1"})
        .status_code
        == 302
    )


def test_duplicate_invitation_gets_a_russian_message(world, client_for):
    response = client_for(world.admin).post(
        "/admin/users/invite",
        {
            "email": "director@test.ru",
            "full_name": "X",
            "organization_id": world.school.id,
            "role": "director",
        },
    )
    assert "уже есть" in response.get_data(as_text=True)


def test_admin_creates_an_organization_with_a_valid_time_zone(world, client_for):
    admin = client_for(world.admin)
    bad = admin.post(
        "/admin/organizations/new",
        {
            "parent_id": world.dept.id,
            "kind": "school",
            "short_name": "МОУ «СОШ № 9»",
            "timezone": "Mars/Olympus",
        },
    )
    assert "Неизвестный часовой пояс" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 6
    ok = admin.post(
        "/admin/organizations/new",
        {
            "parent_id": world.dept.id,
            "kind": "school",
            "short_name": "МОУ «СОШ № 9»",
            "timezone": "Asia/Kamchatka",
        },
    )
    assert ok.status_code == 302
    org = db.session.scalar(
        sa.select(Organization).where(Organization.short_name == "МОУ «СОШ № 9»")
    )
    assert org.path == f"{world.dept.path}{org.id}/" and org.timezone == "Asia/Kamchatka"


def test_non_admins_cannot_open_administration(world, client_for):
    for user in (world.staff, world.director, world.school_staff):
        assert client_for(user).get("/admin/users").status_code == 403
