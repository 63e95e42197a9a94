"""Meetings and decisions: recording them and fanning decisions out into assignments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.assignments import notifications
from tracker.assignments.models import Assignment, AssignmentStatus
from tracker.core import audit
from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import Deadline
from tracker.core.errors import NotAllowed, Refused
from tracker.core.i18n import _
from tracker.core.models import get_by_id
from tracker.core.permissions import can, visible_to
from tracker.core.tenancy import Organization, User
from tracker.meetings.models import AgendaItem, Decision, Meeting


class MeetingError(Refused):
    """A refusal with a Russian message for the user."""


def number_key(number: str | None) -> tuple[int, ...]:
    """Sort key of a hierarchical number: "1.3.1" → (1, 3, 1); dash items sort by position."""
    parts = (number or "").replace(")", "").split(".")
    return tuple(int(p) for p in parts if p.strip().isdigit())


def require_manage(actor: User | None, organization: Organization | None, target: Any) -> None:
    """Recording meetings and decisions is for the department's staff (or the system actor)."""
    if not can(actor, "meeting.manage", organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=target)


def create_meeting(
    session: Session,
    *,
    organization: Organization,
    held_on: date,
    actor: User,
    agenda: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> Meeting:
    require_manage(actor, organization, organization)
    meeting = Meeting(organization=organization, held_on=held_on, **fields)
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
    actor: User,
    position: int | None = None,
) -> Decision:
    """Add one decision item; the deadline words are kept and read (DeadlineError if unreadable).

    ``needs_report`` False: a decision nobody reports on («принять к сведению», «утвердить
    прилагаемый …»); the caller creates no assignments for it. ``position``: where it goes,
    when the caller adds many in order (otherwise after the meeting's last)."""
    require_manage(actor, meeting.organization, meeting)
    if not text.strip():
        raise MeetingError(_("Текст пункта решения не может быть пустым."))
    check_controller(meeting, controller)
    check_direction(session, direction_id)
    deadline = parse_deadline(deadline_text, today=meeting.held_on)
    if position is None:
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


@dataclass
class DecisionInput:
    """What a page form or an API call says about a decision item, as ids and words."""

    text: str
    number: str | None = None
    parent_id: int | None = None
    section: str | None = None
    deadline_text: str | None = None
    executor_group: str | None = None
    controller_id: int | None = None
    direction_id: int | None = None
    cycle_stage: str | None = None
    organization_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    all_schools: bool = False
    lead_organization_id: int | None = None
    event_date: date | None = None


@dataclass
class _Resolved:
    parent: Decision | None
    controller: User | None
    organizations: list[Organization]
    people: list[User]


def _resolve(session: Session, meeting: Meeting, actor: User, data: DecisionInput):
    """Ids to objects, each checked against the meeting's department."""
    from tracker.cycle.models import CYCLE_STAGES

    department = meeting.organization
    require_manage(actor, department, meeting)
    allowed = {o.id: o for o in executor_candidates(session, department)}
    people_allowed = {u.id: u for u in people_candidates(session, department)}
    if any(i not in allowed for i in data.organization_ids) or any(
        i not in people_allowed for i in data.user_ids
    ):
        raise MeetingError(_("Исполнитель не найден среди организаций и людей управления."))
    organizations = [allowed[i] for i in dict.fromkeys(data.organization_ids)]
    if data.all_schools:
        organizations += [o for o in school_members(session, department) if o not in organizations]
    if data.lead_organization_id and data.lead_organization_id not in {o.id for o in organizations}:
        raise MeetingError(_("Ответственный исполнитель должен быть среди исполнителей пункта."))
    parent = get_by_id(session, Decision, data.parent_id) if data.parent_id else None
    if data.parent_id and (parent is None or parent.meeting_id != meeting.id):
        raise MeetingError(_("Пункт-родитель не найден в этом совещании."))
    controller = None
    if data.controller_id:
        controller = get_by_id(session, User, data.controller_id)
        if controller is None:
            raise MeetingError(_("Контролёр не найден среди сотрудников управления."))
        check_controller(meeting, controller)
    if data.cycle_stage and data.cycle_stage not in CYCLE_STAGES:
        raise MeetingError(_("Неизвестный этап управленческого цикла."))
    check_direction(session, data.direction_id)
    people = [people_allowed[i] for i in dict.fromkeys(data.user_ids)]
    return _Resolved(parent, controller, organizations, people)


def _finish(session: Session, decision: Decision, actor: User, data: DecisionInput) -> None:
    if decision.deadline_kind == "relative" and data.event_date != decision.event_date:
        set_event_date(session, decision, data.event_date, actor=actor)
    set_lead(session, decision, data.lead_organization_id or None)


def create_decision(
    session: Session, meeting: Meeting, actor: User, data: DecisionInput
) -> Decision:
    """Record a decision item and fan it out: the one way the page and the API create one."""
    found = _resolve(session, meeting, actor, data)
    decision = add_decision(
        session,
        meeting,
        text=data.text,
        number=(data.number or "").strip() or None,
        parent=found.parent,
        section=data.section or None,
        deadline_text=data.deadline_text,
        executor_group=data.executor_group or None,
        controller=found.controller,
        direction_id=data.direction_id or None,
        cycle_stage=data.cycle_stage or None,
        actor=actor,
    )
    fan_out(session, decision, found.organizations, found.people, actor=actor)
    _finish(session, decision, actor, data)
    return decision


def edit_decision(
    session: Session, decision: Decision, actor: User, data: DecisionInput, reason: str
) -> Decision:
    """Change a decision item with the same checks as `create_decision`."""
    found = _resolve(session, decision.meeting, actor, data)
    if found.parent is not None and found.parent.id == decision.id:
        raise MeetingError(_("Пункт не может быть подпунктом самого себя."))
    update_decision(
        session,
        decision,
        actor=actor,
        reason=reason,
        organizations=found.organizations,
        people=found.people,
        deadline_text=data.deadline_text or "",
        text=data.text.strip(),
        parent_id=found.parent.id if found.parent else None,
        controller_id=found.controller.id if found.controller else None,
        number=(data.number or "").strip() or None,
        section=data.section or None,
        executor_group=data.executor_group or None,
        direction_id=data.direction_id or None,
        cycle_stage=data.cycle_stage or None,
    )
    _finish(session, decision, actor, data)
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
    actor: User,
) -> list[Assignment]:
    """One assignment per executor organization or person, in the caller's transaction.

    An executor that already has an assignment on this decision keeps it."""
    require_manage(actor, decision.meeting.organization, decision)
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
            home = home_in(person, decision.meeting.organization)
            created.append(_new_assignment(decision, home.id, person.id))
            existing_people.add(person.id)
    session.add_all(created)
    session.flush()
    # one statement for the audit rows, however many executors
    audit.record_many(actor, "assignment.create", created, decision_id=decision.id)
    for assignment in created:
        notifications.assignment_created(assignment)  # one letter per person at the commit
    return created


def home_in(person: User, department: Organization) -> Organization:
    """Where a person's assignment is filed: their organization inside the meeting's department
    (the one nearest to it), so that department sees it and no other does."""
    inside = sorted(
        (
            m.organization
            for m in person.memberships
            if m.organization.path.startswith(department.path)
        ),
        key=lambda org: (org.path.count("/"), org.id),
    )
    if not inside:
        raise MeetingError(
            _(
                "%(name)s не работает ни в «%(department)s», ни в его организациях: "
                "поручение ему не может быть дано от этого совещания.",
                name=person.full_name,
                department=department.short_name,
            )
        )
    return inside[0]


def check_controller(meeting: Meeting, controller: User | None) -> None:
    """A controller accepts and returns reports, so only the department's staff may be one."""
    if controller is not None and not (
        controller.active and can(controller, "assignment.control", meeting.organization)
    ):
        raise MeetingError(
            _(
                "Контролёром может быть только специалист «%(department)s»: "
                "%(name)s им не является.",
                department=meeting.organization.short_name,
                name=controller.full_name,
            )
        )


def check_direction(session: Session, direction_id: int | None) -> None:
    from tracker.cycle.models import Direction

    if direction_id is not None and get_by_id(session, Direction, direction_id) is None:
        raise MeetingError(_("Направление не найдено: выберите его из списка."))


def _new_assignment(
    decision: Decision, organization_id: int, assignee_id: int | None
) -> Assignment:
    return Assignment(
        decision=decision,
        organization_id=organization_id,
        assignee_id=assignee_id,
        status=AssignmentStatus.ASSIGNED,
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


def visible_decisions(session: Session, user: User, meeting: Meeting) -> list[Decision]:
    query = (
        sa.select(Decision)
        .where(visible_to(user, Decision), Decision.meeting_id == meeting.id)
        .order_by(Decision.position)
    )
    return list(session.scalars(query.options(selectinload(Decision.meeting))))


def home_overview(session: Session, user: User) -> dict[str, Any]:
    return {
        "meetings": visible_meetings(session, user, limit=10),
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
    actor: User,
    agenda: list[dict[str, Any]],
    **fields: Any,
) -> Meeting:
    require_manage(actor, meeting.organization, meeting)
    moved_to = fields.get("organization_id", meeting.organization_id)
    if moved_to != meeting.organization_id:
        require_manage(actor, session.get(Organization, moved_to), meeting)
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
    actor: User,
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

    require_manage(actor, decision.meeting.organization, decision)
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(_("Укажите, почему решение изменено: это попадёт в историю поручений."))
    if "controller_id" in fields:
        controller_id = fields["controller_id"]
        check_controller(
            decision.meeting, get_by_id(session, User, controller_id) if controller_id else None
        )
    check_direction(session, fields.get("direction_id"))
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
    session: Session, decision: Decision, event_date: date | None, *, actor: User
) -> None:
    """A relative deadline («за 3 дня до проведения процедуры») gets its date from the event."""
    from tracker.assignments.models import OPEN_STATES

    require_manage(actor, decision.meeting.organization, decision)
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
    from tracker.core.tenancy import Membership

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
    from tracker.core.tenancy import SCHOOL_KINDS

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
