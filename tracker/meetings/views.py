"""Meetings and their decisions, as each user may see them."""

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from tracker.assignments.models import Assignment
from tracker.core.permissions import get_visible_or_404, visible_to
from tracker.extensions import db
from tracker.meetings import services
from tracker.meetings.models import Meeting

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


@bp.before_request
@login_required
def authenticated():
    pass


@bp.route("/")
def index():
    return render_template(
        "meetings/index.html", meetings=services.visible_meetings(db.session, current_user)
    )


@bp.route("/<int:meeting_id>")
def detail(meeting_id: int):
    meeting = get_visible_or_404(current_user, Meeting, meeting_id)
    decisions = services.visible_decisions(db.session, current_user, meeting)
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(
            Assignment.decision_id.in_([d.id for d in decisions]),
            visible_to(current_user, Assignment),
        )
        .order_by(Assignment.organization_id)
    ).all()
    by_decision: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        by_decision.setdefault(assignment.decision_id, []).append(assignment)
    return render_template(
        "meetings/detail.html", meeting=meeting, decisions=decisions, by_decision=by_decision
    )
