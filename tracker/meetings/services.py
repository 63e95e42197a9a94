"""Meetings and decisions: recording them and fanning decisions out into assignments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.assignments import notifications
from tracker.assignments.models import Assignment
from tracker.core import audit
from tracker.core.deadlines import Deadline, parse_deadline
from tracker.core.i18n import _
from tracker.core.permissions import visible_to
from tracker.meetings.models import AgendaItem, Decision, Meeting
from tracker.orgs.models import Organization, User


class MeetingError(ValueError):
    """A refusal with a Russian message for the user."""


def number_key(number: str | None) -> tuple[int, ...]:
    """Sort key of a hierarchical number: "1.3.1" → (1, 3, 1); dash items sort by position."""
    parts = (number or "").replace(")", "").split(".")
    return tuple(int(p) for p in parts if p.strip().isdigit())


def create_meeting(
    session: Session,
    *,
    organization: Organization,
    held_on: date,
    actor: User | None = None,
    agenda: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> Meeting:
    meeting = Meeting(organization=organization, held_on=held_on, **fields)
    if actor is not None:
        meeting.created_by_id = actor.id
    for position, item in enumerate(agenda, start=1):
        meeting.agenda_items.append(AgendaItem(position=position, **item))
    session.add(meeting)
    session.flush()
    audit.record(actor, "meeting.create", meeting, number=meeting.number)
    return meeting


def apply_deadline(target: Any, deadline: Deadline) -> None:
    """Copy a parsed deadline onto a model with DeadlineColumns."""
    target.deadline_text = deadline.text
    target.deadline_kind = deadline.kind
    target.due_date = deadline.due_date
    target.deadline_rule = deadline.rule
    target.deadline_offset_days = deadline.offset_days
    target.deadline_event = deadline.event


def add_decision(
    session: Session,
    meeting: Meeting,
    *,
    text: str,
    number: str | None = None,
    parent: Decision | None = None,
    section: str | None = None,
    deadline_text: str | None = None,
    executor_group: str | None = None,
    controller: User | None = None,
    direction_id: int | None = None,
    cycle_stage: str | None = None,
    needs_report: bool = True,
    actor: User | None = None,
) -> Decision:
    """Add one decision item; the deadline words are kept and read (DeadlineError if unreadable).

    ``needs_report`` False: a decision nobody reports on («принять к сведению», «утвердить
    прилагаемый …»); the caller creates no assignments for it."""
    if not text.strip():
        raise MeetingError(_("Текст пункта решения не может быть пустым."))
    deadline = parse_deadline(deadline_text, today=meeting.held_on)
    position = (
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(Decision.position), 0)).where(
                Decision.meeting_id == meeting.id
            )
        )
        + 1
    )
    decision = Decision(
        meeting=meeting,
        organization_id=meeting.organization_id,
        parent=parent,
        position=position,
        number=number,
        section=section,
        text=text.strip(),
        executor_group=executor_group,
        controller=controller,
        direction_id=direction_id,
        cycle_stage=cycle_stage,
        needs_report=needs_report,
    )
    apply_deadline(decision, deadline)
    session.add(decision)
    session.flush()
    audit.record(actor, "decision.create", decision, organization_id=meeting.organization_id)
    return decision


def is_heading(decision: Decision) -> bool:
    """A heading («Руководителям ОО:») whose numbered or dated sub-items are the real orders."""
    return decision.text.rstrip().endswith(":") and any(
        child.number or child.deadline_kind != "none" for child in decision.children
    )


def fan_out(
    session: Session,
    decision: Decision,
    organizations: Iterable[Organization] = (),
    people: Iterable[User] = (),
    *,
    actor: User | None = None,
) -> list[Assignment]:
    """One assignment per executor organization or person, in the caller's transaction.

    An executor that already has an assignment on this decision keeps it."""
    existing_orgs = {a.organization_id for a in decision.assignments if a.assignee_id is None}
    existing_people = {a.assignee_id for a in decision.assignments if a.assignee_id is not None}
    created: list[Assignment] = []
    with session.no_autoflush:
        for org in organizations:
            if org.id not in existing_orgs:
                created.append(_new_assignment(decision, org.id, None))
                existing_orgs.add(org.id)
        for person in people:
            if person.id in existing_people:
                continue
            home = next(iter(person.memberships), None)
            if home is None:
                raise MeetingError(
                    _("У пользователя %(name)s нет организации.", name=person.full_name)
                )
            created.append(_new_assignment(decision, home.organization_id, person.id))
            existing_people.add(person.id)
    session.add_all(created)
    session.flush()
    for assignment in created:
        audit.record(actor, "assignment.create", assignment, decision_id=decision.id)
        notifications.assignment_created(assignment)
    return created


def _new_assignment(
    decision: Decision, organization_id: int, assignee_id: int | None
) -> Assignment:
    return Assignment(
        decision=decision,
        organization_id=organization_id,
        assignee_id=assignee_id,
        status="assigned",
        due_date=decision.due_date,
        original_due_date=decision.due_date,
    )


def visible_meetings(session: Session, user: User, limit: int | None = None) -> list[Meeting]:
    query = (
        sa.select(Meeting)
        .where(visible_to(user, Meeting))
        .options(selectinload(Meeting.organization))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def visible_decisions(
    session: Session, user: User, meeting: Meeting | None = None, limit: int | None = None
) -> list[Decision]:
    query = sa.select(Decision).where(visible_to(user, Decision))
    if meeting is not None:
        query = query.where(Decision.meeting_id == meeting.id).order_by(Decision.position)
    else:
        query = query.join(Meeting, isouter=True).order_by(
            Meeting.held_on.desc(), Decision.position
        )
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query.options(selectinload(Decision.meeting))))


def home_overview(session: Session, user: User) -> dict[str, Any]:
    return {
        "meetings": visible_meetings(session, user, limit=20),
        "decisions": visible_decisions(session, user, limit=30),
        "organizations": session.scalars(
            sa.select(Organization)
            .where(visible_to(user, Organization))
            .order_by(Organization.path)
            .limit(50)
        ).all(),
    }


def update_meeting(
    session: Session,
    meeting: Meeting,
    *,
    actor: User | None,
    agenda: list[dict[str, Any]],
    **fields: Any,
) -> Meeting:
    changed = {k: v for k, v in fields.items() if getattr(meeting, k) != v}
    for name, value in changed.items():
        setattr(meeting, name, value)
    current = [(i.title, i.speaker, i.heard) for i in meeting.agenda_items]
    wanted = [(a["title"], a.get("speaker"), a.get("heard")) for a in agenda]
    if current != wanted:
        meeting.agenda_items.clear()
        session.flush()
        for position, item in enumerate(agenda, start=1):
            meeting.agenda_items.append(AgendaItem(position=position, **item))
        changed["agenda"] = len(agenda)
    session.flush()
    if changed:
        audit.record(actor, "meeting.update", meeting, changed=sorted(changed))
    return meeting


def update_decision(
    session: Session,
    decision: Decision,
    *,
    actor: User | None,
    reason: str,
    organizations: Iterable[Organization],
    people: Iterable[User] = (),
    deadline_text: str | None = None,
    **fields: Any,
) -> list[Assignment]:
    """Change a decision; open assignments follow, reported or accepted ones are never rewritten.

    Returns the assignments created for newly added executors."""
    from tracker.assignments.models import OPEN_STATES
    from tracker.assignments.services import transition

    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(_("Укажите, почему решение изменено: это попадёт в историю поручений."))
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(decision, name) != value:
            changes[name] = value
            setattr(decision, name, value)
    deadline_changed = deadline_text is not None and deadline_text.strip() != decision.deadline_text
    if deadline_changed:
        apply_deadline(decision, parse_deadline(deadline_text, today=_reference_day(decision)))
        if decision.deadline_kind == "relative" and decision.event_date:
            decision.due_date = decision.event_date - timedelta(days=decision.deadline_offset_days)
        changes["deadline"] = decision.deadline_text
    wanted_orgs = {o.id: o for o in organizations}
    wanted_people = {p.id: p for p in people}
    for assignment in list(decision.assignments):
        keep = (
            assignment.assignee_id in wanted_people
            if assignment.assignee_id is not None
            else assignment.organization_id in wanted_orgs
        )
        if assignment.status not in OPEN_STATES:
            continue  # reported, accepted or cancelled: history stays as it was
        if not keep:
            transition(session, assignment, "cancel", actor, comment=f"Исполнитель снят: {reason}")
        elif deadline_changed and assignment.due_date != decision.due_date:
            assignment.due_date = decision.due_date
            assignment.original_due_date = decision.due_date
            audit.record(
                actor,
                "assignment.update",
                assignment,
                reason=reason,
                due_date=str(decision.due_date) if decision.due_date else None,
            )
    created = fan_out(
        session,
        decision,
        list(wanted_orgs.values()),
        list(wanted_people.values()),
        actor=actor,
    )
    session.flush()
    audit.record(
        actor,
        "decision.update",
        decision,
        organization_id=decision.organization_id,
        reason=reason,
        changed=sorted(changes),
        added=len(created),
    )
    return created


def set_event_date(
    session: Session, decision: Decision, event_date: date | None, *, actor: User | None
) -> None:
    """A relative deadline («за 3 дня до проведения процедуры») gets its date from the event."""
    from tracker.assignments.models import OPEN_STATES

    if decision.deadline_kind != "relative":
        raise MeetingError(_("Дата события нужна только для срока «за N дней до …»."))
    decision.event_date = event_date
    decision.due_date = (
        event_date - timedelta(days=decision.deadline_offset_days or 0) if event_date else None
    )
    for assignment in decision.assignments:
        if assignment.status in OPEN_STATES:
            assignment.due_date = decision.due_date
            assignment.original_due_date = decision.due_date
    session.flush()
    audit.record(
        actor,
        "decision.event_date",
        decision,
        organization_id=decision.organization_id,
        event_date=str(event_date) if event_date else None,
    )


def _reference_day(decision: Decision) -> date | None:
    return decision.meeting.held_on if decision.meeting else None


def executor_candidates(session: Session, department: Organization) -> list[Organization]:
    """Organizations a decision of this department may address: itself and everything below."""
    return list(
        session.scalars(
            sa.select(Organization)
            .where(Organization.path.like(department.path + "%"))
            .order_by(Organization.kind != "department", Organization.short_name)
        )
    )


def people_candidates(session: Session, department: Organization) -> list[User]:
    from tracker.orgs.models import Membership

    return list(
        session.scalars(
            sa.select(User)
            .join(Membership)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Organization.path.like(department.path + "%"), User.active.is_(True))
            .order_by(User.full_name)
            .distinct()
        )
    )


def school_members(session: Session, department: Organization) -> list[Organization]:
    """«Руководителям ОО»: every school, kindergarten and center under the department."""
    from tracker.orgs.models import SCHOOL_KINDS

    return [o for o in executor_candidates(session, department) if o.kind in SCHOOL_KINDS]


def set_lead(session: Session, decision: Decision, lead_organization_id: int | None) -> None:
    """One lead executor and co-executors, or (None) every executor answers for itself."""
    for assignment in decision.assignments:
        role = (
            "lead"
            if lead_organization_id is None or assignment.organization_id == lead_organization_id
            else "co"
        )
        assignment.executor_role = role
    session.flush()
