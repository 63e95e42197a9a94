"""Meetings and decisions: recording them and fanning decisions out into assignments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.assignments.models import Assignment
from tracker.core import audit
from tracker.core.deadlines import Deadline, parse_deadline
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
    actor: User | None = None,
) -> Decision:
    """Add one decision item; the deadline words are kept and read (DeadlineError if unreadable)."""
    if not text.strip():
        raise MeetingError("Текст пункта решения не может быть пустым.")
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
                raise MeetingError(f"У пользователя {person.full_name} нет организации.")
            created.append(_new_assignment(decision, home.organization_id, person.id))
            existing_people.add(person.id)
    session.add_all(created)
    session.flush()
    for assignment in created:
        audit.record(actor, "assignment.create", assignment, decision_id=decision.id)
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
