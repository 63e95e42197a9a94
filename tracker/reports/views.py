"""Documents out: the board as XLSX, the protocol and extracts as DOCX, the ICS calendar feed."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    send_file,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.assignments import queries, services
from tracker.assignments.forms import board_filter_from_request
from tracker.assignments.models import OPEN_STATES, Assignment, AssignmentStatus
from tracker.assignments.views import overdue_ids
from tracker.auth import services as auth_services
from tracker.auth.models import ApiToken
from tracker.core.audit import record_denied
from tracker.core.permissions import can_anywhere, get_visible_or_404, visible_to
from tracker.core.tenancy import Organization
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.meetings.models import Decision, Meeting
from tracker.reports import exports

bp = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXPORT_LIMIT = 100_000


def download(data: bytes, name: str, mimetype: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/board.xlsx")
@login_required
def board_xlsx():
    if not can_anywhere(current_user, "assignment.control"):
        record_denied(current_user, None, None, "board.export")
        abort(403)
    form, f = board_filter_from_request()
    rows = queries.board_rows(db.session, current_user, f, limit=EXPORT_LIMIT)
    # The spreadsheet is a Russian document (its headings are), whatever the page's language:
    # the filter labels and the states are written in Russian too.
    with force_locale("ru"):
        described = {
            str(field.label.text): _shown(field)
            for field in form
            if field.data not in (None, "", 0, False)
        }
        state_labels = {key: str(label) for key, label in services.STATE_LABELS.items()}
    data = exports.board_xlsx(
        rows,
        queries.figures(db.session, current_user, f),
        title="Контроль исполнения поручений",
        filters=described,
        overdue_ids=overdue_ids(rows, f.at),
        state_labels=state_labels,
    )
    return download(data, "kontrol-porucheniy.xlsx", XLSX)


def _shown(field) -> str:
    if hasattr(field, "choices") and field.choices:
        return str(dict(field.choices).get(field.data, field.data))
    return field.data.strftime("%d.%m.%Y") if hasattr(field.data, "strftime") else str(field.data)


def _executors(decisions: list[Decision]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for d in decisions:
        for a in d.assignments:
            if a.status != AssignmentStatus.CANCELLED:
                names.setdefault(d.id, []).append(
                    a.assignee.full_name if a.assignee else a.organization.short_name
                )
    return names


@bp.route("/meetings/<int:meeting_id>/protocol.docx")
@login_required
def protocol_docx(meeting_id: int):
    meeting = get_visible_or_404(current_user, Meeting, meeting_id, "meeting.manage")
    data = exports.protocol_docx(meeting, list(meeting.decisions), _executors(meeting.decisions))
    return download(data, f"protokol-{meeting.held_on:%Y-%m-%d}.docx", DOCX)


@bp.route("/meetings/<int:meeting_id>/extract/<int:organization_id>.docx")
@login_required
def extract_docx(meeting_id: int, organization_id: int):
    """«Выписка из протокола» for one organization: only the items addressed to it."""
    meeting = get_visible_or_404(current_user, Meeting, meeting_id)
    organization = get_visible_or_404(current_user, Organization, organization_id)
    addressed = {
        a.decision_id
        for a in db.session.scalars(
            sa.select(Assignment)
            .join(Decision)
            .where(
                Decision.meeting_id == meeting.id,
                Assignment.organization_id == organization.id,
                visible_to(current_user, Assignment),
            )
        )
    }
    if not addressed:
        record_denied(current_user, "meetings", meeting.id, "extract")
        abort(404)
    keep: set[int] = set()
    for decision in meeting.decisions:
        if decision.id in addressed:
            node = decision
            while node is not None:
                keep.add(node.id)
                node = node.parent
    decisions = [d for d in meeting.decisions if d.id in keep]
    data = exports.protocol_docx(meeting, decisions, {}, organization=organization)
    return download(data, f"vypiska-{meeting.held_on:%Y-%m-%d}-{organization.id}.docx", DOCX)


# --- calendar -------------------------------------------------------------------------------


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar_settings():
    """The private feed URL: shown once when made; making a new one revokes the old."""
    from flask import request

    feed_url = None
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf

        validate_csrf(request.form.get("csrf_token"))
        for token in _calendar_tokens():
            auth_services.revoke_api_token(db.session, token, actor=current_user)
        if request.form.get("action") != "revoke":
            token = auth_services.create_api_token(db.session, current_user, "calendar", "calendar")
            feed_url = external_url("reports.calendar_feed", token=token)
            flash(_("Новая ссылка на календарь создана; прежняя больше не работает."), "success")
        else:
            flash(_("Ссылка на календарь отозвана."), "success")
        db.session.commit()
    return render_template(
        "reports/calendar.html", feed_url=feed_url, active=bool(_calendar_tokens())
    )


def _calendar_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(
                ApiToken.user_id == current_user.id,
                ApiToken.scope == "calendar",
                ApiToken.revoked_at.is_(None),
            )
        )
    )


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    user = auth_services.user_for_api_token(db.session, token, scope="calendar")
    if user is None:
        abort(404)
    db.session.commit()
    own_orgs = [
        m.organization_id for m in user.memberships if m.role in ("director", "school_staff")
    ]
    rows = list(
        db.session.scalars(
            queries.assignments_query(db.session, user, queries.BoardFilter())
            .options(*queries.EAGER)
            .where(
                Assignment.status.in_((*OPEN_STATES, AssignmentStatus.REPORTED)),
                Assignment.due_date.is_not(None),
                sa.or_(
                    Decision.controller_id == user.id,
                    Assignment.assignee_id == user.id,
                    Assignment.organization_id.in_(own_orgs),
                ),
            )
            .order_by(Assignment.due_date)
        ).unique()
    )
    data = exports.calendar_ics(
        rows,
        calendar_name=f"Сроки поручений — {user.full_name}",
        base_url=current_app.config["TRACKER_BASE_URL"].rstrip("/"),
        is_overdue=services.is_overdue,
    )
    response = send_file(io.BytesIO(data), mimetype="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.app_template_global()
def extract_organizations(meeting: Meeting) -> list[Organization]:
    """Organizations the current user may get an extract for, in this meeting."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(
                Organization.id.in_(
                    sa.select(Assignment.organization_id)
                    .join(Decision)
                    .where(Decision.meeting_id == meeting.id, visible_to(current_user, Assignment))
                )
            )
            .order_by(Organization.short_name)
        )
    )
