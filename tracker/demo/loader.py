"""Build a department's world from the structured demo files (transcribed from real documents).

Every row is found by a stable key before it is created, so loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from tracker.auth.services import hasher
from tracker.cycle.models import Direction
from tracker.meetings import services as meetings
from tracker.meetings.models import Decision, Meeting
from tracker.orgs import services as orgs
from tracker.orgs.models import SCHOOL_KINDS, Organization, User

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "demo-parol-2023"  # noqa: S105 - printed to the user on purpose


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n


def read(name: str) -> Any:
    with open(DATA / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_all(session: Session) -> LoadReport:
    report = LoadReport()
    orgs_by_key = load_organizations(session, report)
    users_by_email = load_users(session, orgs_by_key, report)
    load_directions(session, report)
    load_meetings(session, orgs_by_key, users_by_email, report)
    session.flush()
    return report


def load_organizations(session: Session, report: LoadReport) -> dict[str, Organization]:
    by_key: dict[str, Organization] = {
        o.key: o
        for o in session.scalars(sa.select(Organization).where(Organization.key.is_not(None)))
    }

    def visit(node: dict[str, Any], parent: Organization | None) -> None:
        org = by_key.get(node["key"])
        if org is None:
            org = orgs.create_organization(
                session,
                kind=node["kind"],
                short_name=node["short_name"],
                full_name=node.get("full_name"),
                parent=parent,
                timezone=node.get("timezone"),
                email=node.get("email"),
                municipality=node.get("municipality"),
                aliases=node.get("aliases") or [],
                key=node["key"],
            )
            by_key[org.key] = org
            report.count("organizations")
        for child in node.get("children") or []:
            visit(child, org)

    for root in read("organizations.yaml"):
        visit(root, None)
    return by_key


def load_users(
    session: Session, orgs_by_key: dict[str, Organization], report: LoadReport
) -> dict[str, User]:
    by_email = {u.email: u for u in session.scalars(sa.select(User))}
    demo_hash = None
    for entry in read("users.yaml"):
        email = orgs.normalize_email(entry["email"])
        user = by_email.get(email)
        if user is None:
            user = orgs.create_user(
                session, email=email, full_name=entry["full_name"], position=entry.get("position")
            )
            demo_hash = demo_hash or hasher.hash(DEMO_PASSWORD)
            user.password_hash = demo_hash
            by_email[email] = user
            report.count("users")
        for m in entry.get("memberships") or []:
            org = orgs_by_key[m["org"]]
            if m["role"] not in user.roles_in(org.id):
                orgs.grant_role(session, user, org, m["role"])
                report.count("memberships")
        roles = ", ".join(
            f"{m['role']} · {orgs_by_key[m['org']].short_name}" for m in entry["memberships"]
        )
        report.logins.append((email, DEMO_PASSWORD, roles))
    return by_email


def load_directions(session: Session, report: LoadReport) -> None:
    existing = {(d.framework, d.name) for d in session.scalars(sa.select(Direction))}
    for position, entry in enumerate(read("directions.yaml"), start=1):
        if (entry["framework"], entry["name"]) in existing:
            continue
        session.add(
            Direction(
                framework=entry["framework"],
                name=entry["name"],
                group_name=entry.get("group"),
                position=position,
                declared_indicators=entry.get("declared_indicators"),
            )
        )
        report.count("directions")
    session.flush()


def load_meetings(
    session: Session,
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    report: LoadReport,
) -> None:
    for entry in read("meetings.yaml"):
        if session.scalar(sa.select(Meeting.id).where(Meeting.key == entry["key"])) is not None:
            continue
        department = orgs_by_key[entry["organization"]]
        controller = users_by_email.get(entry.get("controller") or "")
        meeting = meetings.create_meeting(
            session,
            organization=department,
            held_on=entry["held_on"],
            key=entry["key"],
            kind=entry["kind"],
            number=entry.get("number"),
            time_text=entry.get("time_text") or entry.get("held_text"),
            place=entry.get("place"),
            title=entry.get("title") or "",
            topic=entry.get("topic"),
            chair=entry.get("chair"),
            secretary=entry.get("secretary"),
            attendees=entry.get("attendees"),
            agenda=[
                {"title": a["title"], "speaker": a.get("speaker"), "heard": a.get("heard")}
                for a in entry.get("agenda") or []
            ],
        )
        report.count("meetings")
        executors_of: dict[int, tuple[list[Organization], list[User]]] = {}
        for item in entry.get("decisions") or []:
            _add_decision(
                session,
                meeting,
                item,
                None,
                ([], []),
                department,
                controller,
                orgs_by_key,
                users_by_email,
                executors_of,
                report,
            )
        for decision in meeting.decisions:
            if not meetings.is_heading(decision):
                organizations, people = executors_of[decision.id]
                created = meetings.fan_out(session, decision, organizations, people)
                report.count("assignments", len(created))


def _add_decision(
    session: Session,
    meeting: Meeting,
    item: dict[str, Any],
    parent: Decision | None,
    inherited: tuple[list[Organization], list[User]],
    department: Organization,
    controller: User | None,
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    executors_of: dict[int, tuple[list[Organization], list[User]]],
    report: LoadReport,
) -> None:
    refs = item.get("executors")
    if refs is None:
        executors = inherited
    elif not refs and item.get("executor_group"):
        executors = (_group_members(department), [])
    else:
        executors = (
            [orgs_by_key[r] for r in refs if not r.startswith("user:")],
            [users_by_email[r.removeprefix("user:")] for r in refs if r.startswith("user:")],
        )
    decision = meetings.add_decision(
        session,
        meeting,
        text=item["text"],
        number=item.get("number"),
        parent=parent,
        section=item.get("section"),
        deadline_text=item.get("deadline"),
        executor_group=item.get("executor_group"),
        controller=controller,
    )
    executors_of[decision.id] = executors
    report.count("decisions")
    for child in item.get("children") or []:
        _add_decision(
            session,
            meeting,
            child,
            decision,
            executors,
            department,
            controller,
            orgs_by_key,
            users_by_email,
            executors_of,
            report,
        )


def _group_members(department: Organization) -> list[Organization]:
    """«Руководителям ОО»: every school, kindergarten and center under the department."""
    return [child for child in department.children if child.kind in SCHOOL_KINDS]
