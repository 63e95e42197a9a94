"""The management cycle: the board, a direction, indicators, monitoring, analysis, decisions and
the effectiveness review."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.assignments.services import STATE_LABELS
from tracker.core import clock
from tracker.core.audit import record_denied
from tracker.core.permissions import can, departments_for, get_visible_or_404
from tracker.core.tenancy import Organization
from tracker.cycle import documents, forms, queries, services
from tracker.cycle.board import cycle_board
from tracker.cycle.forms import (
    AnalysisForm,
    CampaignForm,
    DecideForm,
    GoalForm,
    IndicatorForm,
    ReviewForm,
    UploadForm,
)
from tracker.cycle.models import (
    CYCLE_STAGES,
    Analysis,
    CampaignStatus,
    Direction,
    EffectivenessReview,
    Indicator,
    MonitoringCampaign,
    Recommendation,
)
from tracker.cycle.values import (
    PERIOD,
    STAGE_LABELS,
    UNIT_LABELS,
    VERDICT_LABELS,
    CycleError,
    indicator_lines,
    plain,
)
from tracker.extensions import db
from tracker.meetings.models import Meeting

bp = Blueprint("cycle", __name__, url_prefix="/cycle")
bp.add_app_template_global(CampaignStatus, "CampaignStatus")


@bp.before_request
@login_required
def authenticated():
    pass


def _departments(action: str = "cycle.view") -> list[Organization]:
    departments = departments_for(db.session, current_user, action)
    if not departments:
        record_denied(current_user, "organizations", None, action)
        abort(403)
    return departments


def _department(
    action: str = "cycle.view", departments: list[Organization] | None = None
) -> Organization:
    """The department chosen in ?department_id= (through the filter), or the user's first."""
    departments = departments if departments is not None else _departments(action)
    wanted = request.values.get("department_id", type=int) or request.values.get(
        "organization_id", type=int
    )
    if wanted:
        return next((d for d in departments if d.id == wanted), None) or abort(404)
    return departments[0]


def _manage_form(form: Any) -> Organization:
    """A form of the department's staff: their departments (the chosen one is returned) and the
    directions, the one in ?direction_id= preselected."""
    departments = _departments("cycle.manage")
    form.organization_id.choices = [(d.id, d.short_name) for d in departments]
    form.direction_id.choices = [(d.id, d.label) for d in queries.directions(db.session)]
    if request.method == "GET":
        form.direction_id.data = request.args.get("direction_id", type=int)
    return _department("cycle.manage", departments)


def _indicators(department: Organization, direction_id: int | None = None) -> list[Indicator]:
    return queries.department_indicators(db.session, department, direction_id)


def _schools(department: Organization) -> list[Organization]:
    return queries.schools_under(db.session, department)


def _refused(error: CycleError) -> None:
    """The service's words on the page (a refused right is a 403, see core.errors)."""
    db.session.rollback()
    flash(str(error), "danger")


FIRST_YEAR, LAST_YEAR = 2000, 2100  # as the API's cycle board accepts


@bp.route("")
def board():
    departments = _departments()
    department = _department(departments=departments)
    year = request.args.get("year", type=int) or clock.today(department.timezone).year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(400, description=_("Год должен быть от %(a)s до %(b)s.", a=FIRST_YEAR, b=LAST_YEAR))
    rows = cycle_board(db.session, current_user, department, year)
    return render_template(
        "cycle/board.html",
        department=department,
        departments=departments,
        year=year,
        rows=rows,
        stages=CYCLE_STAGES,
        labels=STAGE_LABELS,
        may_manage=can(current_user, "cycle.manage", department),
    )


@bp.route("/directions/<int:direction_id>")
def direction(direction_id: int):
    department = _department()
    item = db.session.get(Direction, direction_id) or abort(404)
    summaries = queries.direction_summary(db.session, current_user, item, department)
    return render_template(
        "cycle/direction.html",
        department=department,
        direction=item,
        summaries=summaries,
        **queries.direction_lists(db.session, current_user, item, department),
        may_manage=can(current_user, "cycle.manage", department),
        units=UNIT_LABELS,
        verdicts=VERDICT_LABELS,
        plain=plain,
    )


@bp.route("/directions/<int:direction_id>.<any(xlsx, pdf):fmt>")
def direction_export(direction_id: int, fmt: str):
    department = _department()
    item = db.session.get(Direction, direction_id) or abort(404)
    summaries = queries.direction_summary(db.session, current_user, item, department)
    if fmt == "pdf":
        data = documents.direction_pdf(
            item.name,
            _("%(org)s, на %(date)s", org=department.short_name, date=f"{clock.now():%d.%m.%Y}"),
            summaries,
        )
        mimetype = "application/pdf"
    else:
        data = documents.direction_xlsx(f"{department.short_name}: {item.name}", summaries)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(
        BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"analysis-{item.id}.{fmt}",
    )


@bp.route("/goals/new", methods=["GET", "POST"])
def new_goal():
    form = GoalForm()
    department = _manage_form(form)
    indicators = _indicators(department)
    form.indicator_ids.choices = forms.indicator_choices(indicators)
    if form.validate_on_submit():
        chosen = forms.picked(indicators, form.indicator_ids.data)
        try:
            services.create_goal(
                db.session,
                current_user,
                department,
                form.statement.data,
                direction_id=form.direction_id.data,
                period_start=form.period_start.data,
                period_end=form.period_end.data,
                indicators=chosen,
                new_indicators=indicator_lines(form.new_indicators.data),
            )
        except CycleError as error:
            _refused(error)
        else:
            db.session.commit()
            flash(_("Цель записана."), "success")
            return redirect(url_for("cycle.direction", direction_id=form.direction_id.data))
    return render_template("cycle/form.html", form=form, title=_("Новая цель"))


@bp.route("/indicators/new", methods=["GET", "POST"])
def new_indicator():
    form = IndicatorForm()
    department = _manage_form(form)
    form.unit.choices = list(UNIT_LABELS.items())
    schools = _schools(department)
    form.organization_ids.choices = [(o.id, o.short_name) for o in schools]
    if form.validate_on_submit():
        chosen = forms.picked(schools, form.organization_ids.data)
        try:
            services.create_indicator(
                db.session,
                current_user,
                department,
                code=form.code.data,
                name=form.name.data,
                unit=form.unit.data,
                direction_id=form.direction_id.data,
                better=form.better.data,
                max_value=form.max_value.data,
                method=form.method.data,
                source=form.source.data,
                periodicity=form.periodicity.data,
                target_value=form.target_value.data,
                threshold_value=form.threshold_value.data,
                organizations=chosen,
            )
        except CycleError as error:
            _refused(error)
        else:
            db.session.commit()
            flash(_("Показатель добавлен."), "success")
            return redirect(url_for("cycle.direction", direction_id=form.direction_id.data))
    return render_template("cycle/form.html", form=form, title=_("Новый показатель"))


SCHOOLS_PAGE = 100  # organizations per page of an indicator's table


@bp.route("/indicators/<int:indicator_id>")
def indicator(indicator_id: int):
    item = get_visible_or_404(current_user, Indicator, indicator_id)
    department = db.session.get(Organization, item.organization_id)
    periods, schools = queries.indicator_by_school(db.session, current_user, item, department)
    # a region has a thousand schools: the table shows a page of them, the header counts all
    pages = max((len(schools) + SCHOOLS_PAGE - 1) // SCHOOLS_PAGE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    at_risk = sum(1 for s in schools if s.at_risk)
    summary = None
    if item.direction_id:
        (summary,) = queries.direction_summary(
            db.session, current_user, item.direction, department, only=item
        )
    return render_template(
        "cycle/indicator.html",
        indicator=item,
        periods=periods,
        schools=schools[(page - 1) * SCHOOLS_PAGE : page * SCHOOLS_PAGE],
        total=len(schools),
        at_risk=at_risk,
        page=page,
        pages=pages,
        summary=summary,
        units=UNIT_LABELS,
        plain=plain,
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    form = CampaignForm()
    department = _manage_form(form)
    indicators = _indicators(department)
    form.indicator_ids.choices = forms.indicator_choices(indicators)
    schools = _schools(department)
    form.school_ids.choices = [(o.id, o.short_name) for o in schools]
    if request.method == "GET":
        form.period.data = str(clock.today(department.timezone).year)
    if form.validate_on_submit():
        try:
            campaign = services.open_campaign(
                db.session,
                current_user,
                department,
                title=form.title.data,
                period=form.period.data,
                indicators=forms.picked(indicators, form.indicator_ids.data),
                organizations=forms.picked(schools, form.school_ids.data),
                deadline_text=form.deadline_text.data,
                direction_id=form.direction_id.data,
                manual_acceptance=form.manual_acceptance.data,
            )
        except CycleError as error:
            _refused(error)
        except ValueError as error:  # an unreadable deadline (DeadlineError)
            db.session.rollback()
            form.deadline_text.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Мониторинг открыт: школы получили поручение представить значения."), "success")
            return redirect(url_for("cycle.campaign", campaign_id=campaign.id))
    return render_template("cycle/form.html", form=form, title=_("Новый мониторинг"))


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    item = get_visible_or_404(current_user, MonitoringCampaign, campaign_id)
    return render_template(
        "cycle/campaign.html",
        campaign=item,
        rows=queries.campaign_rows(db.session, current_user, item),
        may_manage=can(current_user, "cycle.manage", item.organization),
        status_labels=STATE_LABELS,
    )


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
def close_campaign(campaign_id: int):
    item = get_visible_or_404(current_user, MonitoringCampaign, campaign_id)
    if not UploadForm().validate_on_submit():
        abort(400)
    try:
        services.close_campaign(db.session, current_user, item)
    except CycleError as error:
        _refused(error)
    else:
        db.session.commit()
        flash(_("Сбор значений закрыт."), "success")
    return redirect(url_for("cycle.campaign", campaign_id=item.id))


def _campaign_school(campaign_id: int, org_id: int) -> tuple[MonitoringCampaign, Organization]:
    item = get_visible_or_404(current_user, MonitoringCampaign, campaign_id)
    school = get_visible_or_404(current_user, Organization, org_id)
    return item, school


def _current(item: MonitoringCampaign, school: Organization) -> dict[int, Any]:
    return queries.given_values(db.session, school, item.period, item.indicators)


def _check_post(may_submit: bool, organization: Organization, form: UploadForm) -> None:
    """Values posted: 403 (audited) without the right to submit them, 400 without a valid form."""
    if not may_submit:
        record_denied(current_user, "organizations", organization.id, "measurement.submit")
        abort(403)
    if not form.validate_on_submit():
        abort(400)


@bp.route("/campaigns/<int:campaign_id>/values/<int:org_id>", methods=["GET", "POST"])
def campaign_values(campaign_id: int, org_id: int):
    item, school = _campaign_school(campaign_id, org_id)
    may_submit = (
        can(current_user, "measurement.submit", school) and item.status == CampaignStatus.OPEN
    )
    errors: dict[int, str] = {}
    posted: dict[int, str] = {}
    upload = UploadForm()
    if request.method == "POST":
        _check_post(may_submit, school, upload)
        try:
            values = forms.posted_values(upload, item.indicators)
            posted = {i.id: str(v) for i, v in values.items()}
            services.submit_campaign_values(db.session, current_user, item, school, values)
        except CycleError as error:
            _refused(error)
            errors = error.rows
        else:
            db.session.commit()
            flash(_("Значения сохранены."), "success")
            return redirect(url_for("cycle.campaign_values", campaign_id=item.id, org_id=school.id))
    current = _current(item, school)
    return render_template(
        "cycle/values.html",
        campaign=item,
        school=school,
        current=current,
        posted=posted,
        errors=errors,
        upload=upload,
        may_submit=may_submit,
        units=UNIT_LABELS,
        plain=plain,
    )


@bp.route("/campaigns/<int:campaign_id>/values/<int:org_id>.xlsx")
def values_template(campaign_id: int, org_id: int):
    item, school = _campaign_school(campaign_id, org_id)
    data = documents.values_template(
        item.title, school.short_name, item.period, item.indicators, _current(item, school)
    )
    return send_file(
        BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"values-{item.id}-{school.id}.xlsx",
    )


def _one_of(organizations: list[Organization], wanted: int) -> Organization:
    return next((o for o in organizations if o.id == wanted), None) or abort(404)


@bp.route("/values", methods=["GET", "POST"])
def values():
    """Staff enter values themselves: the municipality's own (seed 003) or a school's."""
    department = _department("cycle.manage")
    organizations = [department, *_schools(department)]
    chosen_id = request.values.get("organization_id", type=int) or department.id
    organization = _one_of(organizations, chosen_id)
    direction_id = request.values.get("direction_id", type=int)
    period = (request.values.get("period") or "").strip()
    indicators = _indicators(department, direction_id)
    errors: dict[int, str] = {}
    if request.method == "POST":
        _check_post(
            can(current_user, "measurement.submit", organization), organization, UploadForm()
        )
        raw = {i: request.form.get(f"value-{i.id}", "") for i in indicators}
        try:
            services.save_values(db.session, current_user, organization, period, raw)
        except CycleError as error:
            _refused(error)
            errors = error.rows
        else:
            db.session.commit()
            flash(_("Значения сохранены."), "success")
            return redirect(request.full_path)
    current = {}
    if period and PERIOD.match(period):
        current = queries.given_values(db.session, organization, period, None)
    return render_template(
        "cycle/staff_values.html",
        department=department,
        organizations=organizations,
        organization=organization,
        directions=queries.directions(db.session),
        direction_id=direction_id,
        period=period,
        indicators=indicators,
        current=current,
        errors=errors,
        form=UploadForm(),
        units=UNIT_LABELS,
        plain=plain,
    )


@bp.route("/scores")
def scores():
    """Scores of a framework's directions for one organization, as seed 003's table."""
    department = _department()
    framework = request.args.get("framework", "MUM")
    organization_id = request.args.get("organization_id", type=int) or department.id
    organization = get_visible_or_404(current_user, Organization, organization_id)
    table = queries.score_table(db.session, current_user, organization, framework)
    return render_template(
        "cycle/scores.html", table=table, organization=organization, framework=framework
    )


@bp.route("/analyses/new", methods=["GET", "POST"])
def new_analysis():
    form = AnalysisForm()
    department = _manage_form(form)
    form.indicator_id.choices = forms.indicator_choices(
        _indicators(department), _("— все показатели направления —")
    )
    addressees = [department, *_schools(department)]
    if request.method == "GET":
        form.indicator_id.data = request.args.get("indicator_id", type=int) or 0
    if form.validate_on_submit():
        recommendations = forms.posted_recommendations(addressees)
        try:
            analysis = services.create_analysis(
                db.session,
                current_user,
                department,
                title=form.title.data,
                text=form.text.data,
                direction_id=form.direction_id.data,
                indicator_id=form.indicator_id.data or None,
                period=form.period.data or None,
                recommendations=recommendations,
            )
        except CycleError as error:
            _refused(error)
        else:
            db.session.commit()
            flash(_("Анализ записан."), "success")
            return redirect(url_for("cycle.analysis", analysis_id=analysis.id))
    return render_template(
        "cycle/analysis_form.html", form=form, addressees=addressees, rows=range(1, 6)
    )


@bp.route("/analyses/<int:analysis_id>")
def analysis(analysis_id: int):
    item = get_visible_or_404(current_user, Analysis, analysis_id)
    may_decide = can(current_user, "meeting.manage", item.organization)
    meetings = []
    if may_decide:
        meetings = db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.organization_id == item.organization_id)
            .order_by(Meeting.held_on.desc())
            .limit(30)
        ).all()
    form = DecideForm()
    form.meeting_id.choices = [(0, _("— новое распоряжение —"))] + [
        (m.id, f"{m.held_on:%d.%m.%Y} {m.title[:70]}") for m in meetings
    ]
    return render_template("cycle/analysis.html", analysis=item, form=form, may_decide=may_decide)


@bp.route("/recommendations/<int:recommendation_id>/decide", methods=["POST"])
def decide(recommendation_id: int):
    recommendation = db.session.get(Recommendation, recommendation_id) or abort(404)
    analysis = get_visible_or_404(current_user, Analysis, recommendation.analysis_id)
    form = DecideForm()
    form.meeting_id.choices = [(0, "")] + [
        (m.id, "")
        for m in db.session.scalars(
            sa.select(Meeting).where(Meeting.organization_id == analysis.organization_id)
        )
    ]
    if not form.validate_on_submit():
        flash(_("Укажите срок словами протокола, например «в срок до 01.03.2024»."), "danger")
        return redirect(url_for("cycle.analysis", analysis_id=analysis.id))
    meeting = db.session.get(Meeting, form.meeting_id.data) if form.meeting_id.data else None
    try:
        decision = services.decide(
            db.session,
            current_user,
            recommendation,
            deadline_text=form.deadline_text.data,
            meeting=meeting,
        )
    except CycleError as error:
        _refused(error)
    except ValueError as error:  # an unreadable deadline
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Решение принято и поставлено на контроль."), "success")
        return redirect(url_for("meetings.detail", meeting_id=decision.meeting_id))
    return redirect(url_for("cycle.analysis", analysis_id=analysis.id))


@bp.route("/reviews/new", methods=["GET", "POST"])
def new_review():
    form = ReviewForm()
    department = _manage_form(form)
    direction_id = request.values.get("direction_id", type=int)
    indicators = _indicators(department, direction_id)
    form.indicator_id.choices = forms.indicator_choices(indicators, _("— без показателя —"))
    decisions = queries.reviewable_decisions(db.session, current_user, department, direction_id)
    form.decision_ids.choices = forms.decision_choices(decisions)
    indicator = next(iter(forms.picked(indicators, [form.indicator_id.data])), None)
    chosen = forms.picked(decisions, form.decision_ids.data)
    before, after = form.period_before.data or None, form.period_after.data or None
    figures = None
    if request.method == "POST" and request.form.get("op") == "preview":
        figures = queries.effectiveness_figures(
            db.session, department, indicator, before, after, chosen
        )
    elif form.validate_on_submit():
        try:
            review = services.record_review(
                db.session,
                current_user,
                department,
                decisions=chosen,
                verdict=form.verdict.data,
                comment=form.comment.data,
                indicator=indicator,
                direction_id=form.direction_id.data,
                period_before=before,
                period_after=after,
            )
        except CycleError as error:
            _refused(error)
        else:
            db.session.commit()
            flash(_("Вывод об эффективности записан."), "success")
            return redirect(url_for("cycle.review", review_id=review.id))
    return render_template("cycle/review_form.html", form=form, figures=figures)


@bp.route("/reviews/<int:review_id>")
def review(review_id: int):
    item = get_visible_or_404(current_user, EffectivenessReview, review_id)
    return render_template("cycle/review.html", review=item, verdicts=VERDICT_LABELS)
