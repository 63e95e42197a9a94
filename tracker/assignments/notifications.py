"""Events about assignments: one function per event, one template pair each, told through
`notify.events.tell` in the transaction of the change (a change that rolls back tells nobody)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, joinedload

from tracker.assignments.models import ExtensionState
from tracker.core.i18n import _
from tracker.core.permissions import can
from tracker.core.tenancy import User
from tracker.core.urls import app_path, external_url
from tracker.extensions import db
from tracker.notify.events import (
    Event,
    department_staff,
    executors,
    is_muted,
    tell,
)
from tracker.notify.services import queue_mail
from tracker.notify.sources import directors_of


def _readers(assignment, recipients: list[User | None]) -> list[User]:
    """The event quotes the assignment: only people who may see it on the page are told."""
    return [
        u
        for u in recipients
        if u is not None
        and u.active
        and (u.id == assignment.assignee_id or can(u, "assignment.view", assignment.organization))
    ]


def _context(assignment, **extra: Any) -> dict[str, Any]:
    decision = assignment.decision
    return {
        "assignment": assignment,
        "decision": decision,
        "meeting": decision.meeting,
        "link": external_url("assignments.detail", assignment_id=assignment.id),
        "settings_link": external_url("notify.settings"),
        **extra,
    }


# Where each event's notification opens the assignment page: at the part to act on.
ANCHORS = {"reported": "review", "extension_requested": "extensions"}


def _tell(assignment, event: str, ref: object, title: str, people, **extra: Any) -> None:
    anchor = ANCHORS.get(event, "")
    tell(
        db.session,
        Event(
            kind=f"assignment.{event}",
            key=f"assignment:{assignment.id}:{event}:{ref}",
            title=title,
            link=app_path("assignments.detail", assignment_id=assignment.id)
            + (f"#{anchor}" if anchor else ""),
            template=f"assignment_{event}",
            context=_context(assignment, **extra),
            assignment_id=assignment.id,
        ),
        _readers(assignment, people),
    )


def controllers(assignment) -> list[User]:
    """Who acts on a school's report or request: the decision's controller, or, when it names
    none, the staff of the department that made the decision."""
    decision = assignment.decision
    if decision.controller is not None:
        return [decision.controller]
    department_id = decision.organization_id or (
        decision.meeting.organization_id if decision.meeting else None
    )
    return department_staff(db.session, department_id)


def _point(assignment) -> str:
    return assignment.decision.number or "—"


# New assignments wait in the session until its commit, then go out grouped: one letter per
# person per meeting, whatever number of decisions and calls made them.
CREATED = "assignments_created"


def assignment_created(assignment) -> None:
    if not is_muted():
        db.session.info.setdefault(CREATED, []).append(assignment.id)


@event.listens_for(Session, "before_commit")
def _announce_created(session: Session) -> None:
    ids = session.info.pop(CREATED, None)
    if ids:
        announce_created(session, ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_created(session: Session, _previous: object) -> None:
    if not session.in_nested_transaction():
        session.info.pop(CREATED, None)


def announce_created(session: Session, assignment_ids: list[int]) -> None:
    """One letter per person and meeting listing their new assignments; a single one gets the
    assignment's own letter (which can be answered with a report)."""
    from tracker.assignments.models import Assignment

    assignments = session.scalars(
        sa.select(Assignment)
        .where(Assignment.id.in_(assignment_ids))
        .options(joinedload(Assignment.decision), joinedload(Assignment.organization))
        .order_by(Assignment.id)
    ).all()
    # The directors of every organization in one query, however many schools.
    directors = directors_of(session, [a.organization_id for a in assignments if not a.assignee])
    groups: dict[tuple[object, int], list] = defaultdict(list)
    people: dict[int, User] = {}
    for assignment in assignments:
        meeting = assignment.decision.meeting_id or f"decision-{assignment.decision_id}"
        executors_here = (
            [assignment.assignee]
            if assignment.assignee
            else directors.get(assignment.organization_id, [])
        )
        for user in _readers(assignment, executors_here):
            people[user.id] = user
            groups[(meeting, user.id)].append(assignment)
    for (_meeting, user_id), batch in groups.items():
        user = people[user_id]
        if len(batch) == 1:
            assignment = batch[0]
            queue_mail(
                session,
                recipient=user,
                kind="assignment.created",
                key=f"assignment:{assignment.id}:created:{assignment.id}:user:{user.id}",
                template="assignment_created",
                context=_context(assignment),
                assignment_id=assignment.id,
            )
            continue
        batch.sort(key=lambda a: (a.decision.position, a.id))
        queue_mail(
            session,
            recipient=user,
            kind="assignment.created",
            key=f"assignments:{batch[0].id}:created:{len(batch)}:user:{user.id}",
            template="assignments_created",
            context={
                "meeting": batch[0].decision.meeting,
                "assignments": batch,
                "link_for": lambda a: external_url("assignments.detail", assignment_id=a.id),
                "settings_link": external_url("notify.settings"),
            },
        )


def report_submitted(assignment, report) -> None:
    title = _(
        "Отчёт на проверку: %(org)s, п. %(point)s",
        org=assignment.organization.short_name,
        point=_point(assignment),
    )
    _tell(assignment, "reported", report.id, title, controllers(assignment), report=report)


def extension_requested(assignment, request) -> None:
    title = _(
        "Просят перенести срок: %(org)s, п. %(point)s — до %(date)s",
        org=assignment.organization.short_name,
        point=_point(assignment),
        date=request.proposed_date.strftime("%d.%m.%Y"),
    )
    people = controllers(assignment)
    _tell(assignment, "extension_requested", request.id, title, people, request=request)


def report_reviewed(assignment, report, accepted: bool) -> None:
    people = [report.author, *executors(db.session, assignment)]
    if accepted:
        title = _("Отчёт принят: п. %(point)s", point=_point(assignment))
    else:
        title = _("Отчёт возвращён на доработку: п. %(point)s", point=_point(assignment))
    event = "accepted" if accepted else "returned"
    _tell(assignment, event, report.id, title, people, report=report)


def extension_decided(assignment, request) -> None:
    people = [request.requested_by, *executors(db.session, assignment)]
    if request.state == ExtensionState.GRANTED:
        event = "extension_granted"
        title = _(
            "Срок перенесён на %(date)s: п. %(point)s",
            date=request.proposed_date.strftime("%d.%m.%Y"),
            point=_point(assignment),
        )
    else:
        event = "extension_refused"
        title = _("В переносе срока отказано: п. %(point)s", point=_point(assignment))
    _tell(assignment, event, request.id, title, people, request=request)


def delegated(assignment, person: User, director: User) -> None:
    title = _("Вам передано поручение: п. %(point)s", point=_point(assignment))
    _tell(assignment, "delegated", person.id, title, [person], director=director)
