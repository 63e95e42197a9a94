"""Authorization from one table: role × action × organization (own or other).

EXPECTED is written by hand, independently of tracker.core.permissions.PERMISSIONS, so that a
change of a right there that nobody meant shows up here."""

import pytest
import sqlalchemy as sa

from tracker.core.models import AuditLog
from tracker.core.permissions import PERMISSIONS, can, in_scope
from tracker.core.tenancy import Organization, system_actor
from tracker.extensions import db

ROLES = ("admin", "staff", "director", "school_staff")
TARGETS = ("school", "sibling", "dept", "other_school", "other_dept", "region")
EVERYWHERE = set(TARGETS)
DEPT_TREE = {"dept", "school", "sibling"}
BELOW_DEPT = {"school", "sibling"}
OWN_SCHOOL = {"school"}
NOTHING: set[str] = set()

EXPECTED: dict[str, dict[str, set[str]]] = {
    "organization.view": {
        "admin": EVERYWHERE,
        "staff": DEPT_TREE,
        "director": OWN_SCHOOL,
        "school_staff": OWN_SCHOOL,
    },
    "organization.manage": {"admin": EVERYWHERE},
    "reminders.manage": {"admin": EVERYWHERE, "staff": {"dept"}},
    "user.view": {"admin": EVERYWHERE, "staff": DEPT_TREE, "director": OWN_SCHOOL},
    "user.manage": {"admin": EVERYWHERE},
    "audit.view": {"admin": EVERYWHERE},
    "meeting.view": {
        "admin": EVERYWHERE,
        "staff": DEPT_TREE,
        "director": OWN_SCHOOL,
        "school_staff": OWN_SCHOOL,
    },
    "meeting.manage": {"staff": DEPT_TREE},
    "assignment.view": {
        "admin": EVERYWHERE,
        "staff": DEPT_TREE,
        "director": OWN_SCHOOL,
        "school_staff": OWN_SCHOOL,
    },
    "assignment.report": {"director": OWN_SCHOOL, "school_staff": OWN_SCHOOL},
    "assignment.control": {"staff": DEPT_TREE},
    "assignment.delegate": {"director": OWN_SCHOOL},
    "roadmap.view": {
        "admin": EVERYWHERE,
        "staff": DEPT_TREE,
        "director": OWN_SCHOOL,
        "school_staff": OWN_SCHOOL,
    },
    "roadmap.edit": {"director": OWN_SCHOOL, "school_staff": OWN_SCHOOL},
    "roadmap.submit": {"director": OWN_SCHOOL},
    "roadmap.approve": {"staff": BELOW_DEPT},
    "evaluation.view": {
        "admin": EVERYWHERE,
        "staff": DEPT_TREE,
        "director": OWN_SCHOOL,
        "school_staff": OWN_SCHOOL,
    },
    "evaluation.manage": {"staff": DEPT_TREE},
    "cycle.view": {
        "admin": EVERYWHERE,
        "staff": DEPT_TREE,
        "director": OWN_SCHOOL,
        "school_staff": OWN_SCHOOL,
    },
    "cycle.manage": {"staff": DEPT_TREE},
    "measurement.submit": {"staff": DEPT_TREE, "director": OWN_SCHOOL, "school_staff": OWN_SCHOOL},
}


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(PERMISSIONS)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_action_target(world, action):
    """Each action: every role against every kind of organization, by object and by SQL."""
    wrong = []
    for role in ROLES:
        user = world.user(role)
        for target in TARGETS:
            org = getattr(world, target)
            allowed = target in EXPECTED[action].get(role, NOTHING)
            in_sql = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Organization)
                .where(Organization.id == org.id, in_scope(user, action, Organization.id))
            )
            if can(user, action, org) is not allowed or bool(in_sql) is not allowed:
                wrong.append(f"{role} on {target}: expected {'allowed' if allowed else 'denied'}")
    assert not wrong, f"{action}: " + "; ".join(wrong)


def test_anonymous_has_no_rights(world):
    from flask_login import AnonymousUserMixin

    anonymous = AnonymousUserMixin()
    for action in PERMISSIONS:
        assert can(anonymous, action, world.school) is False
        assert can(None, action, world.school) is False


def test_user_with_two_schools_sees_both(world):
    from tracker.orgs.services import grant_role

    grant_role(
        db.session, world.director, world.sibling, "director", actor=system_actor(db.session)
    )
    db.session.commit()
    assert can(world.director, "assignment.view", world.sibling)
    assert not can(world.director, "assignment.view", world.other_school)


# --- pages and API: the same table, through HTTP --------------------------------------------


def meeting_of(world, where: str):
    from tests.factories import make_meeting

    if where == "own":
        return make_meeting(world)[0]
    return make_meeting(world, dept=world.other_dept, schools=[world.other_school])[0]


PAGE_EXPECTATIONS = {
    # role: (own meeting, other department's meeting)
    "admin": (200, 200),
    "staff": (200, 404),
    "director": (200, 404),
    "school_staff": (200, 404),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["own", "other"])
def test_meeting_page(world, client_for, role, where):
    meeting = meeting_of(world, where)
    expected = PAGE_EXPECTATIONS[role][0 if where == "own" else 1]
    response = client_for(world.user(role)).get(f"/meetings/{meeting.id}")
    assert response.status_code == expected
    if expected == 404:
        db.session.expire_all()
        denied = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "access.denied")
        ).all()
        assert denied and denied[-1].details["path"] == f"/meetings/{meeting.id}"
        assert denied[-1].actor_id == world.user(role).id


def test_director_sees_only_own_school_on_pages(world, client_for):
    from tests.factories import make_meeting

    make_meeting(world)
    make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    home = client_for(world.director).get("/").get_data(as_text=True)
    assert "МОУ «Средняя школа № 3»" in home
    assert "МОУ «Средняя школа № 6»" not in home  # a sibling school of the same decision
    assert "Районная" not in home
    listing = client_for(world.director).get("/meetings/").get_data(as_text=True)
    assert listing.count("/meetings/") >= 1 and "Отдел образования Района" not in listing


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        ("admin", "/admin/users", 200),
        ("staff", "/admin/users", 403),
        ("director", "/admin/users", 403),
        ("school_staff", "/admin/organizations", 403),
    ],
)
def test_admin_pages(world, client_for, role, path, expected):
    assert client_for(world.user(role)).get(path).status_code == expected


def test_admin_of_one_region_cannot_touch_another(world, client_for):
    from tests.factories import make_org, make_user

    other_region = make_org("region", "Другая область")
    stranger = make_user("stranger@test.ru", other_region, "admin")
    db.session.commit()
    client = client_for(stranger)
    assert client.get(f"/admin/users/{world.director.id}").status_code == 404
    assert client.post(f"/admin/users/{world.director.id}/reset").status_code == 404
    assert client.get(f"/admin/organizations/{world.school.id}/edit").status_code == 404


# --- the edges: whole reach over a person, reviewing one's own work ---------------------------


def test_admin_acts_on_a_user_only_when_every_role_is_within_reach(world):
    """By object and by SQL: a role anywhere outside the admin's reach puts the person out of it."""
    from tests.factories import make_org, make_user
    from tracker.core.permissions import can_wholly, wholly_in_scope
    from tracker.core.tenancy import User
    from tracker.orgs.services import grant_role

    neighbour_region = make_org("region", "Соседняя область")
    neighbour_dept = make_org("department", "Управление Соседнего района", neighbour_region)
    neighbour_admin = make_user("admin2@test.ru", neighbour_region, "admin")
    neighbour_staff = make_user("sosed@test.ru", neighbour_dept, "staff")
    both = make_user("oba@test.ru", world.school, "school_staff")
    grant_role(db.session, both, neighbour_dept, "staff", actor=system_actor(db.session))
    db.session.commit()
    expected = {
        (world.admin, world.director): True,
        (world.admin, both): False,
        (world.admin, neighbour_staff): False,
        (neighbour_admin, both): False,
        (neighbour_admin, world.director): False,
        (neighbour_admin, neighbour_staff): True,
        (world.staff, world.director): False,  # not an administrator at all
    }
    wrong = []
    for (actor, user), allowed in expected.items():
        in_sql = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.id == user.id, wholly_in_scope(actor))
        )
        if can_wholly(actor, "user.manage", user) is not allowed or bool(in_sql) is not allowed:
            wrong.append(f"{actor.email} on {user.email}: expected {allowed}")
    assert not wrong, "; ".join(wrong)


def test_nobody_reviews_what_they_carry_out(world):
    """The review moves, for the person assigned, the school's own people and the report's
    author, against the department's other staff."""
    from tests.factories import make_meeting, make_user
    from tracker.assignments import services

    colleague = make_user("kollega@test.ru", world.dept, "staff")
    _meeting, decision = make_meeting(world)
    own = next(a for a in decision.assignments if a.organization_id == world.school.id)
    services.submit_report(db.session, own, world.school_staff, "Готово")
    decision.controller_id = world.director.id  # as the API once let it be
    expected = {
        world.director: False,  # executes it (reports for the school), though named controller
        world.school_staff: False,  # wrote the report
        world.staff: True,
        colleague: True,
        world.admin: False,  # reads, does not control
    }
    wrong = [
        f"{user.email} {move}: expected {allowed}"
        for user, allowed in expected.items()
        for move in ("accept", "return")
        if services.may(user, move, own) is not allowed
    ]
    assert not wrong, "; ".join(wrong)
