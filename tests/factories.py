"""Test data built through the services, the same way the application builds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.auth.services import hasher
from tracker.core.tenancy import Organization, User, system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.orgs import services as orgs

PASSWORD = "correct-horse-42"
_HASH: str | None = None


def make_org(kind: str, name: str, parent: Organization | None = None, tz: str | None = None):
    return orgs.create_organization(
        db.session,
        kind=kind,
        short_name=name,
        parent=parent,
        timezone=tz,
        email=f"{abs(hash(name)) % 10**8}@org.test",
        actor=system_actor(db.session),
    )


def make_user(email: str, org: Organization | None = None, role: str | None = None, name=None):
    global _HASH
    user = orgs.create_user(
        db.session,
        email=email,
        full_name=name or email.split("@")[0],
        actor=system_actor(db.session),
    )
    _HASH = _HASH or hasher.hash(PASSWORD)
    user.password_hash = _HASH
    if org is not None and role is not None:
        orgs.grant_role(db.session, user, org, role, actor=system_actor(db.session))
    return user


@dataclass
class World:
    """Region R; department D1 with schools S1, S2; department D2 with school S3."""

    region: Organization
    dept: Organization
    school: Organization
    sibling: Organization
    other_dept: Organization
    other_school: Organization
    admin: User
    staff: User
    director: User
    school_staff: User
    sibling_director: User
    other_staff: User
    other_director: User

    def user(self, role: str) -> User:
        return getattr(self, role)


def build_world() -> World:
    region = make_org("region", "Тестовая область")
    dept = make_org("department", "Управление образования Города", region)
    school = make_org("school", "МОУ «Средняя школа № 3»", dept)
    sibling = make_org("school", "МОУ «Средняя школа № 6»", dept)
    other_dept = make_org("department", "Отдел образования Района", region)
    other_school = make_org("school", "МБОУ «Районная СОШ № 1»", other_dept)
    world = World(
        region=region,
        dept=dept,
        school=school,
        sibling=sibling,
        other_dept=other_dept,
        other_school=other_school,
        admin=make_user("admin@test.ru", region, "admin", "Админ Админов"),
        staff=make_user("staff@test.ru", dept, "staff", "Специалист Управления"),
        director=make_user("director@test.ru", school, "director", "Директор Школы Три"),
        school_staff=make_user("zavuch@test.ru", school, "school_staff", "Завуч Школы Три"),
        sibling_director=make_user("dir6@test.ru", sibling, "director", "Директор Школы Шесть"),
        other_staff=make_user("rayon@test.ru", other_dept, "staff", "Специалист Района"),
        other_director=make_user("dir-rayon@test.ru", other_school, "director", "Директор Района"),
    )
    db.session.commit()
    return world


def make_meeting(world: World, *, dept=None, schools=None, deadline="в срок до 27.02.2023"):
    """A meeting of the department with one decision addressed to `schools`."""
    dept = dept or world.dept
    meeting = meetings.create_meeting(
        db.session,
        organization=dept,
        held_on=date(2023, 1, 31),
        number="1",
        title="совещание руководителей",
        actor=world.staff if dept is world.dept else system_actor(db.session),
    )
    decision = meetings.add_decision(
        db.session,
        meeting,
        number="2",
        deadline_text=deadline,
        text="Разработать (скорректировать) антирисковую программу МОУ",
        actor=system_actor(db.session),
    )
    meetings.fan_out(
        db.session,
        decision,
        schools or [world.school, world.sibling],
        actor=system_actor(db.session),
    )
    db.session.commit()
    return meeting, decision
