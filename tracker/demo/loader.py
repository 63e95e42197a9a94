"""Build a department's world from the structured demo files (transcribed from real documents).

Every row is found by a stable key before it is created, so loading twice changes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from tracker.assignments import services as assignments
from tracker.assignments.models import Assignment, ExtensionState
from tracker.auth.services import hasher
from tracker.core import clock
from tracker.core.tenancy import SCHOOL_KINDS, Organization, User, system_actor
from tracker.cycle.models import Direction
from tracker.evaluations import services as evaluations
from tracker.evaluations.models import ExpertSheet
from tracker.meetings import services as meetings
from tracker.meetings.models import Decision, Meeting
from tracker.notify.events import executors
from tracker.orgs import services as orgs
from tracker.roadmaps.models import ActionStatus

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
    new_meetings = load_meetings(session, orgs_by_key, users_by_email, report)
    load_activity(session, new_meetings, orgs_by_key, users_by_email, report)
    load_road_maps(session, new_meetings, orgs_by_key, users_by_email, report)
    load_current_meeting(session, orgs_by_key, users_by_email, report)
    load_expert_sheets(session, orgs_by_key, users_by_email, report)
    load_cycle(session, orgs_by_key, users_by_email, report)
    session.flush()
    return report


def load_organizations(session: Session, report: LoadReport) -> dict[str, Organization]:
    by_key: dict[str, Organization] = {
        o.key: o
        for o in session.scalars(sa.select(Organization).where(Organization.key.is_not(None)))
    }

    actor = system_actor(session)

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
                actor=actor,
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
    actor = system_actor(session)
    by_email = {u.email: u for u in session.scalars(sa.select(User))}
    demo_hash = None
    for entry in read("users.yaml"):
        email = orgs.normalize_email(entry["email"])
        user = by_email.get(email)
        if user is None:
            user = orgs.create_user(
                session,
                email=email,
                full_name=entry["full_name"],
                position=entry.get("position"),
                actor=actor,
            )
            demo_hash = demo_hash or hasher.hash(DEMO_PASSWORD)
            user.password_hash = demo_hash
            by_email[email] = user
            report.count("users")
        for m in entry.get("memberships") or []:
            org = orgs_by_key[m["org"]]
            if m["role"] not in user.roles_in(org.id):
                orgs.grant_role(session, user, org, m["role"], actor=actor)
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
) -> dict[str, Meeting]:
    """Meetings not loaded before, by key (only those get the demo activity)."""
    actor = system_actor(session)
    created: dict[str, Meeting] = {}
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
            actor=actor,
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
                actor,
                department,
                controller,
                orgs_by_key,
                users_by_email,
                executors_of,
                report,
            )
        for decision in meeting.decisions:
            if decision.needs_report and not meetings.is_heading(decision):
                organizations, people = executors_of[decision.id]
                made = meetings.fan_out(session, decision, organizations, people, actor=actor)
                report.count("assignments", len(made))
        created[meeting.key] = meeting
    return created


def _add_decision(
    session: Session,
    meeting: Meeting,
    item: dict[str, Any],
    parent: Decision | None,
    inherited: tuple[list[Organization], list[User]],
    actor: User,
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
        needs_report=item.get("needs_report", True),
        actor=actor,
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
            actor,
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


def load_activity(
    session: Session,
    new_meetings: dict[str, Meeting],
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    report: LoadReport,
) -> None:
    """Reports, returns, acceptances and extensions, replayed through the services."""
    for entry in read("activity.yaml"):
        meeting = new_meetings.get(entry["meeting"])
        if meeting is None:
            continue
        assignment = _find_assignment(meeting, entry, orgs_by_key, users_by_email)
        for step in entry["steps"]:
            at = step["at"]
            at = datetime.fromisoformat(at) if isinstance(at, str) else at
            when = clock.as_utc(at, assignment.organization.timezone)
            with clock.frozen(when):
                _apply_step(session, assignment, step, users_by_email[step["by"]])
            report.count("activity")


def _find_assignment(meeting, entry, orgs_by_key, users_by_email) -> Assignment:
    for decision in meeting.decisions:
        if decision.number == entry.get("decision") or (
            entry.get("decision_text") and entry["decision_text"] in decision.text
        ):
            for a in decision.assignments:
                if (
                    "organization" in entry
                    and a.organization_id == orgs_by_key[entry["organization"]].id
                    and a.assignee_id is None
                ) or ("person" in entry and a.assignee_id == users_by_email[entry["person"]].id):
                    return a
    raise LookupError(f"demo activity: no assignment for {entry}")


def _apply_step(
    session: Session, assignment: Assignment, step: dict[str, Any], actor: User
) -> None:
    action = step["action"]
    if action == "report":
        assignments.submit_report(session, assignment, actor, step["text"])
    elif action == "extension":
        assignments.request_extension(session, assignment, actor, step["text"], step["date"])
    elif action in ("grant", "refuse"):
        pending = next(e for e in assignment.extensions if e.state == ExtensionState.PENDING)
        assignments.decide_extension(
            session, pending, actor, action == "grant", step.get("comment")
        )
    elif action == "comment":
        assignments.add_comment(session, assignment, actor, step["text"])
    else:
        assignments.transition(session, assignment, action, actor, comment=step.get("comment"))


def load_road_maps(
    session: Session,
    new_meetings: dict[str, Meeting],
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    report: LoadReport,
) -> None:
    """Road maps answering seed 001's point 4: written, reviewed, approved and carried out."""
    from tracker.roadmaps import services as roadmaps

    data = read("roadmaps.yaml")
    plan = [
        roadmaps.ActionRow(
            number=number,
            level=number.count("."),
            text=text,
            deadline_text=deadline,
            responsible=responsible or None,
            expected_result=result or None,
        )
        for number, text, deadline, responsible, result in data["plan"]
    ]
    for entry in data["road_maps"]:
        meeting = new_meetings.get(entry["meeting"])
        if meeting is None:
            continue
        assignment = _find_assignment(meeting, entry, orgs_by_key, users_by_email)
        school = assignment.organization
        road_map = None
        for step in entry["steps"]:
            actor = users_by_email[step["by"]]
            at = step["at"]
            at = datetime.fromisoformat(at) if isinstance(at, str) else at
            with clock.frozen(clock.as_utc(at, school.timezone)):
                if step["action"] == "write":
                    start, end = entry["period"]
                    road_map = roadmaps.create_road_map(
                        session,
                        actor,
                        school,
                        entry["title"],
                        period_start=start,
                        period_end=end,
                        assignment=assignment,
                    )
                    rows = [roadmaps.ActionRow(**vars(row)) for row in plan]
                    roadmaps.save_actions(session, road_map, actor, rows)
                elif step["action"] == "change":
                    rows = roadmaps.current_rows(road_map)
                    next(r for r in rows if r.number == step["row"]).deadline_text = step[
                        "deadline"
                    ]
                    roadmaps.save_actions(session, road_map, actor, rows)
                else:
                    by_number = {a.number: a.id for a in road_map.actions}
                    notes = {by_number[n]: text for n, text in step.get("notes", {}).items()}
                    roadmaps.transition(
                        session,
                        road_map,
                        step["action"],
                        actor,
                        comment=step.get("comment"),
                        action_comments=notes,
                    )
        director = users_by_email[entry["steps"][0]["by"]]
        for number, day in entry.get("done", {}).items():
            action = next(a for a in road_map.actions if a.number == number)
            with clock.frozen(clock.as_utc(datetime.combine(day, time(17)), school.timezone)):
                roadmaps.mark_action(
                    session,
                    action,
                    director,
                    ActionStatus.DONE,
                    completed_on=day,
                    evidence=f"{action.expected_result} от {day:%d.%m.%Y}",
                )
        report.count("road maps")


def load_cycle(
    session: Session,
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    report: LoadReport,
) -> None:
    """Seed 003's MUM scores as measurements, the department's analysis and its goals."""
    from decimal import Decimal

    from tracker.cycle import services as cycle
    from tracker.cycle.models import Indicator

    data, scores = read("cycle.yaml"), read("mum_2022_2023.yaml")
    department = orgs_by_key[data["department"]]
    if session.scalar(sa.select(Indicator.id).where(Indicator.organization_id == department.id)):
        return
    staff = users_by_email[data["entered_by"]]
    directions = {
        d.name: d for d in session.scalars(sa.select(Direction).where(Direction.framework == "MUM"))
    }
    indicators = {}
    for n, row in enumerate(scores["rows"], start=1):
        indicators[row["direction"]] = cycle.create_indicator(
            session,
            staff,
            department,
            code=f"МУМ-{n}",
            name=f"Реализуемость направления «{row['direction']}», баллы",
            unit="score",
            max_value=Decimal(row["max_2023"]),
            direction_id=directions[row["direction"]].id,
            method="региональная экспертная оценка МУМ по методике ФИОКО",
            source="ГБОУ ТО ЦОКО",
            periodicity="ежегодно",
        )
    for year in scores["years"]:
        values = {indicators[r["direction"]]: r[f"score_{year}"] for r in scores["rows"]}
        cycle.save_values(session, staff, department, str(year), values)
    for goal in data["goals"]:
        start, end = goal["period"]
        cycle.create_goal(
            session,
            staff,
            department,
            goal["statement"],
            direction_id=directions[goal["direction"]].id,
            period_start=start,
            period_end=end,
            indicators=[indicators[goal["direction"]]],
        )
    entry = data["analysis"]
    with clock.frozen(clock.as_utc(datetime.fromisoformat(entry["at"]), department.timezone)):
        cycle.create_analysis(
            session,
            users_by_email[entry["by"]],
            department,
            title=entry["title"],
            text=entry["text"],
            period=entry["period"],
            direction_id=directions[entry["direction"]].id,
            recommendations=[(department, text) for text in entry["recommendations"]],
        )
    report.count("cycle")


def load_current_meeting(
    session: Session,
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    report: LoadReport,
) -> None:
    """A meeting three weeks old with deadlines around today: the board is alive today too."""
    entry = read("current.yaml")
    if session.scalar(sa.select(Meeting.id).where(Meeting.key == entry["key"])) is not None:
        return
    department = orgs_by_key[entry["organization"]]
    today = clock.today(department.timezone)
    controller = users_by_email[entry["controller"]]
    actor = system_actor(session)
    meeting = meetings.create_meeting(
        session,
        organization=department,
        held_on=today + timedelta(days=entry["held_days"]),
        key=entry["key"],
        number=entry["number"],
        title=entry["title"],
        actor=actor,
    )
    report.count("meetings")
    for item in entry["decisions"]:
        due = today + timedelta(days=item["deadline_days"])
        decision = meetings.add_decision(
            session,
            meeting,
            number=item["number"],
            text=item["text"],
            deadline_text=f"в срок до {due:%d.%m.%Y}",
            controller=controller,
            actor=actor,
        )
        made = meetings.fan_out(
            session, decision, [orgs_by_key[k] for k in item["executors"]], actor=actor
        )
        report.count("assignments", len(made))
        reported = {orgs_by_key[k].id for k in item.get("reported_by", [])}
        for assignment in made:
            if assignment.organization_id in reported:
                director = executors(session, assignment)[0]
                assignments.submit_report(
                    session, assignment, director, "Исполнено, материалы приложены к отчёту."
                )
                report.count("activity")


# Expert sheets (seed 002), by the stable key of the sheet each file makes.
EXPERT_SHEETS = {"zar-2021-expert": "expert_sheet_zarechny_2021.yaml"}


def load_expert_sheets(
    session: Session,
    orgs_by_key: dict[str, Organization],
    users_by_email: dict[str, User],
    report: LoadReport,
) -> None:
    """The sheet and its scores per school, entered through the evaluation services."""
    actor = system_actor(session)
    for key, name in EXPERT_SHEETS.items():
        if session.scalar(sa.select(ExpertSheet.id).where(ExpertSheet.key == key)) is not None:
            continue
        entry = read(name)
        evaluated_text = entry.get("evaluated_text")
        sheet = evaluations.create_sheet(
            session,
            organization=orgs_by_key[entry["organization"]],
            title=entry["title"],
            kind=entry.get("kind", "expert"),
            description=f"Дата собеседования: {evaluated_text}" if evaluated_text else None,
            scale={str(k): v for k, v in (entry.get("scale") or {}).items()},
            threshold=entry.get("threshold"),
            criteria=[
                evaluations.CriterionSpec(
                    number=str(c["number"]), text=c["text"], max_score=c.get("max_score", 2)
                )
                for c in entry["criteria"]
            ],
            key=key,
            actor=actor,
        )
        report.count("expert_sheets")
        evaluated_on = _last_date(evaluated_text)
        by_number = {c.number: c for c in sheet.criteria}
        for column, org_key in enumerate(entry["schools"]):
            evaluations.save_evaluation(
                session,
                sheet,
                orgs_by_key[org_key],
                scores={
                    by_number[str(number)].id: values[column]
                    for number, values in entry["scores"].items()
                },
                evaluated_on=evaluated_on,
                findings=(entry.get("findings") or {}).get(org_key),
                recommendations="\n".join((entry.get("recommendations") or {}).get(org_key, [])),
                actor=actor,
            )
            report.count("evaluations")


def _last_date(text: str | None) -> date | None:
    """«26.01-01.02.2021г.» → 1 February 2021, the day the interviews ended."""
    found = re.findall(r"(\d{2})\.(\d{2})\.(\d{4})", text or "")
    if not found:
        return None
    day, month, year = found[-1]
    return date(int(year), int(month), int(day))
