"""Meetings and their decisions: reading (as each user may) and recording (department staff)."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.assignments.models import Assignment, AssignmentStatus
from tracker.core.deadlines import DeadlineError
from tracker.core.errors import Refused
from tracker.core.permissions import departments_for, get_visible_or_404, require, visible_to
from tracker.core.tenancy import Organization
from tracker.core.views import register_home_section
from tracker.cycle.models import Direction
from tracker.extensions import db
from tracker.meetings import services
from tracker.meetings.forms import KIND_LABELS, STAGE_LABELS, DecisionForm, MeetingForm
from tracker.meetings.models import Decision, Meeting

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
register_home_section("meetings", services.home_overview)
EMPTY_AGENDA_ROWS = 2


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
        "meetings/detail.html",
        meeting=meeting,
        decisions=decisions,
        by_decision=by_decision,
        can_manage=_can_manage(meeting),
        kinds=KIND_LABELS,
        stages=STAGE_LABELS,
    )


def _can_manage(meeting: Meeting) -> bool:
    from tracker.core.permissions import can

    return can(current_user, "meeting.manage", meeting.organization)


def _departments() -> list[Organization]:
    return departments_for(db.session, current_user, "meeting.manage")


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit(meeting_id: int | None = None):
    meeting = None
    if meeting_id is not None:
        meeting = get_visible_or_404(current_user, Meeting, meeting_id, "meeting.manage")
    departments = _departments()
    if not departments:
        from tracker.core.audit import record_denied

        record_denied(current_user, "meetings", meeting_id, "meeting.manage")
        abort(403)
    form = MeetingForm(obj=meeting)
    form.organization_id.choices = [(d.id, d.short_name) for d in departments]
    if request.method == "GET":
        _fill_agenda_rows(form, meeting)
    if form.validate_on_submit():
        department = get_visible_or_404(
            current_user, Organization, form.organization_id.data, "meeting.manage"
        )
        fields = {
            name: (getattr(form, name).data or None)
            for name in (
                "kind",
                "number",
                "time_text",
                "place",
                "topic",
                "chair",
                "secretary",
                "attendees",
            )
        }
        fields["kind"] = form.kind.data
        fields["title"] = form.title.data.strip()
        agenda = [
            {
                "title": row.title.data.strip(),
                "speaker": row.speaker.data or None,
                "heard": row.heard.data or None,
            }
            for row in form.agenda
            if (row.title.data or "").strip()
        ]
        if meeting is None:
            meeting = services.create_meeting(
                db.session,
                organization=department,
                held_on=form.held_on.data,
                actor=current_user,
                agenda=agenda,
                **fields,
            )
        else:
            services.update_meeting(
                db.session,
                meeting,
                actor=current_user,
                agenda=agenda,
                organization_id=department.id,
                held_on=form.held_on.data,
                **fields,
            )
        db.session.commit()
        flash(_("Совещание сохранено."), "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=meeting)


def _fill_agenda_rows(form: MeetingForm, meeting: Meeting | None) -> None:
    while len(form.agenda.entries):
        form.agenda.pop_entry()
    for item in meeting.agenda_items if meeting else []:
        form.agenda.append_entry(
            {"title": item.title, "speaker": item.speaker, "heard": item.heard}
        )
    for _row in range(EMPTY_AGENDA_ROWS):
        form.agenda.append_entry()


def _decision_form(meeting: Meeting, decision: Decision | None) -> DecisionForm:
    form = DecisionForm(obj=decision)
    form.reference_day = meeting.held_on
    department = meeting.organization
    candidates = services.executor_candidates(db.session, department)
    people = services.people_candidates(db.session, department)
    form.parent_id.choices = [(0, _("— пункт верхнего уровня —"))] + [
        (d.id, f"{d.number or '–'} {d.text[:80]}") for d in meeting.decisions if d is not decision
    ]
    form.organization_ids.choices = [(o.id, o.short_name) for o in candidates]
    form.user_ids.choices = [(u.id, u.full_name) for u in people]
    form.lead_id.choices = [(0, _("— каждый исполнитель отвечает за себя —"))] + [
        (o.id, o.short_name) for o in candidates
    ]
    staff = [u for u in people if any(m.role == "staff" for m in u.memberships)]
    form.controller_id.choices = [(0, _("— не назначен —"))] + [(u.id, u.full_name) for u in staff]
    directions = db.session.scalars(sa.select(Direction).order_by(Direction.position)).all()
    form.direction_id.choices = [(0, _("— не указано —"))] + [(d.id, d.label) for d in directions]
    if decision is not None and request.method == "GET":
        form.parent_id.data = decision.parent_id or 0
        form.controller_id.data = decision.controller_id or 0
        form.direction_id.data = decision.direction_id or 0
        form.cycle_stage.data = decision.cycle_stage or ""
        live = [a for a in decision.assignments if a.status != AssignmentStatus.CANCELLED]
        form.organization_ids.data = [a.organization_id for a in live if a.assignee_id is None]
        form.user_ids.data = [a.assignee_id for a in live if a.assignee_id is not None]
        leads = [a.organization_id for a in live if a.executor_role == "lead"]
        form.lead_id.data = leads[0] if len(leads) == 1 and len(live) > 1 else 0
    elif decision is None and request.method == "GET":
        form.controller_id.data = (
            current_user.id if current_user.id in dict(form.controller_id.choices) else 0
        )
    return form


@bp.route("/<int:meeting_id>/decisions/new", methods=["GET", "POST"])
@bp.route("/<int:meeting_id>/decisions/<int:decision_id>/edit", methods=["GET", "POST"])
def edit_decision(meeting_id: int, decision_id: int | None = None):
    meeting = get_visible_or_404(current_user, Meeting, meeting_id, "meeting.manage")
    require(current_user, "meeting.manage", meeting.organization)
    decision = None
    if decision_id is not None:
        decision = db.session.get(Decision, decision_id)
        if decision is None or decision.meeting_id != meeting.id:
            abort(404)
    form = _decision_form(meeting, decision)
    if form.validate_on_submit():
        try:
            decision = _save_decision(meeting, decision, form)
        except (Refused, DeadlineError) as error:
            db.session.rollback()
            form.text.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Пункт решения сохранён, поручения разосланы исполнителям."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return render_template(
        "meetings/decision_form.html", form=form, meeting=meeting, decision=decision
    )


def _save_decision(meeting: Meeting, decision: Decision | None, form: DecisionForm) -> Decision:
    data = services.DecisionInput(
        text=form.text.data,
        number=form.number.data,
        parent_id=form.parent_id.data or None,
        section=form.section.data,
        deadline_text=form.deadline_text.data,
        executor_group=form.executor_group.data,
        controller_id=form.controller_id.data or None,
        direction_id=form.direction_id.data or None,
        cycle_stage=form.cycle_stage.data or None,
        organization_ids=list(form.organization_ids.data or []),
        user_ids=list(form.user_ids.data or []),
        all_schools=form.all_schools.data,
        lead_organization_id=form.lead_id.data or None,
        event_date=form.event_date.data,
    )
    if decision is None:
        return services.create_decision(db.session, meeting, current_user, data)
    return services.edit_decision(db.session, decision, current_user, data, form.reason.data or "")
