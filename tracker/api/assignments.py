"""API: meetings, decisions and assignments, through the same services and permission filter."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from flask_smorest import Blueprint

from tracker.api import authenticate_request
from tracker.api.schemas import (
    AssignmentQuerySchema,
    AssignmentSchema,
    CommentSchema,
    DecisionCreateSchema,
    DecisionSchema,
    ExtensionSchema,
    MeetingDetailSchema,
    MeetingListSchema,
    MeetingSchema,
    ReportSchema,
)
from tracker.assignments import queries
from tracker.assignments import services as assignments
from tracker.assignments.models import Assignment
from tracker.core.deadlines import DeadlineError
from tracker.core.permissions import get_visible_or_404, visible_to
from tracker.core.tenancy import Organization
from tracker.extensions import db
from tracker.meetings import services as meetings
from tracker.meetings.models import Meeting

blp = Blueprint(
    "api_control", __name__, url_prefix="/api/v1", description="Совещания, решения и поручения"
)
blp.before_request(authenticate_request)


def mark_overdue(rows, at=None):
    for a in rows:
        a.overdue_flag = assignments.is_overdue(a, as_of=at)
    return rows


@blp.route("/meetings")
@blp.response(200, MeetingListSchema(many=True))
def list_meetings():
    """Meetings visible to the user, newest first."""
    return meetings.visible_meetings(db.session, g.api_user)


@blp.route("/meetings", methods=["POST"])
@blp.arguments(MeetingSchema)
@blp.response(201, MeetingDetailSchema)
def create_meeting(data):
    """Record a meeting (department staff of the organization)."""
    department = get_visible_or_404(g.api_user, Organization, data.pop("organization_id"))
    meeting = meetings.create_meeting(db.session, organization=department, actor=g.api_user, **data)
    db.session.commit()
    return _meeting_payload(meeting)


def _meeting_payload(meeting: Meeting, at=None) -> Meeting:
    decisions = meetings.visible_decisions(db.session, g.api_user, meeting)
    visible = set(
        db.session.scalars(
            sa.select(Assignment.id).where(
                Assignment.decision_id.in_([d.id for d in decisions]),
                visible_to(g.api_user, Assignment),
            )
        )
    )
    for d in decisions:
        d.visible_assignments = mark_overdue([a for a in d.assignments if a.id in visible], at)
    meeting.visible_decisions = decisions
    return meeting


@blp.route("/meetings/<int:meeting_id>")
@blp.response(200, MeetingDetailSchema)
def get_meeting(meeting_id: int):
    """One meeting with the decisions and assignments the user may see."""
    return _meeting_payload(get_visible_or_404(g.api_user, Meeting, meeting_id))


@blp.route("/meetings/<int:meeting_id>/decisions", methods=["POST"])
@blp.arguments(DecisionCreateSchema)
@blp.response(201, DecisionSchema)
def create_decision(data, meeting_id: int):
    """Add a decision and fan it out: one assignment per executor, in one transaction."""
    meeting = get_visible_or_404(g.api_user, Meeting, meeting_id, "meeting.manage")
    executors = data["executors"]
    if any(bool(e.get("organization_id")) == bool(e.get("user_id")) for e in executors):
        abort(422, description=_("Исполнитель: укажите либо organization_id, либо user_id."))
    item = meetings.DecisionInput(
        text=data["text"],
        number=data["number"],
        parent_id=data["parent_id"],
        section=data["section"],
        deadline_text=data["deadline"],
        executor_group=data["executor_group"],
        controller_id=data["controller_id"],
        direction_id=data["direction_id"],
        cycle_stage=data["cycle_stage"],
        organization_ids=[e["organization_id"] for e in executors if e.get("organization_id")],
        user_ids=[e["user_id"] for e in executors if e.get("user_id")],
        lead_organization_id=data["lead_organization_id"],
        event_date=data["event_date"],
    )
    try:
        decision = meetings.create_decision(db.session, meeting, g.api_user, item)
    except DeadlineError as error:
        db.session.rollback()
        abort(422, description=str(error))
    db.session.commit()
    decision.visible_assignments = mark_overdue(decision.assignments)
    return decision


@blp.route("/assignments")
@blp.arguments(AssignmentQuerySchema, location="query")
@blp.response(200, AssignmentSchema(many=True))
def list_assignments(args):
    """Assignments visible to the user in the order of their ids; `at` evaluates «overdue» as of
    that date. Page on with `after_id` = the last id received."""
    f = queries.BoardFilter(
        status=args["status"],
        organization_id=args["organization_id"],
        meeting_id=args["meeting_id"],
        overdue=args["overdue"],
        at=args["at"],
    )
    rows = queries.by_id(
        db.session,
        g.api_user,
        f,
        limit=args["limit"],
        after_id=args["after_id"],
        offset=args["offset"],
    )
    return mark_overdue(rows, args["at"])


def _assignment(assignment_id: int) -> Assignment:
    return get_visible_or_404(g.api_user, Assignment, assignment_id)


@blp.route("/assignments/<int:assignment_id>")
@blp.response(200, AssignmentSchema)
def get_assignment(assignment_id: int):
    return mark_overdue([_assignment(assignment_id)])[0]


@blp.route("/assignments/<int:assignment_id>/report", methods=["POST"])
@blp.arguments(ReportSchema)
@blp.response(200, AssignmentSchema)
def report(data, assignment_id: int):
    """File an execution report (the executor's organization)."""
    assignment = _assignment(assignment_id)
    assignments.submit_report(db.session, assignment, g.api_user, data["text"])
    db.session.commit()
    return mark_overdue([assignment])[0]


def _move(assignment_id: int, action: str, comment: str | None):
    assignment = _assignment(assignment_id)
    assignments.transition(db.session, assignment, action, g.api_user, comment=comment)
    db.session.commit()
    return mark_overdue([assignment])[0]


@blp.route("/assignments/<int:assignment_id>/accept", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(200, AssignmentSchema)
def accept(data, assignment_id: int):
    """Accept the report: «исполнено, снято с контроля» (the controller)."""
    return _move(assignment_id, "accept", data["comment"])


@blp.route("/assignments/<int:assignment_id>/return", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(200, AssignmentSchema)
def return_(data, assignment_id: int):
    """Return the report for rework, with a comment (the controller)."""
    return _move(assignment_id, "return", data["comment"])


@blp.route("/assignments/<int:assignment_id>/extension", methods=["POST"])
@blp.arguments(ExtensionSchema)
@blp.response(201, AssignmentSchema)
def extension(data, assignment_id: int):
    """Ask to move the deadline (перенос срока); the controller decides on the page."""
    assignment = _assignment(assignment_id)
    assignments.request_extension(
        db.session, assignment, g.api_user, data["reason"], data["proposed_date"]
    )
    db.session.commit()
    return mark_overdue([assignment])[0]
