"""Expert sheets: the template (staff), the scoring grid (staff), the results (as each may see)."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core.audit import record_denied
from tracker.core.errors import Refused
from tracker.core.permissions import can, get_visible_or_404, visible_to
from tracker.core.tenancy import SCHOOL_KINDS, Organization, User
from tracker.evaluations import documents, queries, services
from tracker.evaluations.forms import ConfirmForm, ScoreGridForm, SheetForm, read_grid
from tracker.evaluations.models import Evaluation, ExpertSheet
from tracker.extensions import db

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def authenticated():
    pass


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="0.#", locale=str(get_locale())) + " %"


def scale_note(sheet: ExpertSheet) -> str:
    items = sorted((sheet.scale or {}).items(), key=lambda kv: int(kv[0]), reverse=True)
    return "; ".join(f"{k} — {v}" for k, v in items)


def _sheet_or_404(sheet_id: int) -> ExpertSheet:
    sheet = queries.get_sheet(db.session, current_user, sheet_id)
    if sheet is None:
        record_denied(current_user, "expert_sheets", sheet_id, "view")
        abort(404)
    return sheet


def _managed_sheet_or_404(sheet_id: int) -> ExpertSheet:
    return get_visible_or_404(current_user, ExpertSheet, sheet_id, "evaluation.manage")


def _can_manage(sheet: ExpertSheet) -> bool:
    return can(current_user, "evaluation.manage", services.sheet_organization(db.session, sheet))


def _departments() -> list[Organization]:
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(
                visible_to(current_user, Organization, "evaluation.manage"),
                Organization.kind.not_in(SCHOOL_KINDS),
            )
            .order_by(Organization.short_name)
        )
    )


@bp.route("/")
def index():
    sheets = queries.list_sheets(db.session, current_user)
    counts = dict(
        db.session.execute(
            sa.select(Evaluation.sheet_id, sa.func.count(Evaluation.id))
            .where(
                Evaluation.sheet_id.in_([s.id for s in sheets]),
                visible_to(current_user, Evaluation),
            )
            .group_by(Evaluation.sheet_id)
        ).all()
    )
    departments = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organization).where(Organization.id.in_({s.organization_id for s in sheets}))
        )
    }
    return render_template(
        "evaluations/index.html",
        sheets=sheets,
        counts=counts,
        departments=departments,
        kinds=services.KIND_LABELS,
        can_create=bool(_departments()),
    )


@bp.route("/sheets/new", methods=["GET", "POST"])
@bp.route("/sheets/<int:sheet_id>/edit", methods=["GET", "POST"])
def edit_sheet(sheet_id: int | None = None):
    sheet = _managed_sheet_or_404(sheet_id) if sheet_id is not None else None
    if sheet is None:
        departments = _departments()
        if not departments:
            record_denied(current_user, "expert_sheets", None, "evaluation.manage")
            abort(403)
    else:
        departments = [services.sheet_organization(db.session, sheet)]
    form = SheetForm()
    form.organization_id.choices = [(d.id, d.short_name) for d in departments]
    if request.method == "GET" and sheet is not None:
        form.organization_id.data = sheet.organization_id
        form.kind.data = sheet.kind
        form.title.data = sheet.title
        form.description.data = sheet.description
        form.scale.data = services.scale_to_lines(sheet.scale or {})
        form.criteria.data = services.criteria_to_lines(
            sheet.criteria, services.DEFAULT_MAX[sheet.kind]
        )
        form.threshold.data = sheet.threshold
    if form.validate_on_submit():
        kind = form.kind.data
        try:
            criteria = services.criteria_from_lines(
                form.criteria.data, form.default_max.data or services.DEFAULT_MAX[kind]
            )
        except services.EvaluationError as error:
            form.criteria.errors = [str(error)]
            return render_template("evaluations/sheet_form.html", form=form, sheet=sheet)
        try:
            scale = services.scale_from_lines(form.scale.data or "")
        except services.EvaluationError as error:
            form.scale.errors = [str(error)]
            return render_template("evaluations/sheet_form.html", form=form, sheet=sheet)
        fields = {
            "title": form.title.data,
            "criteria": criteria,
            "actor": current_user,
            "kind": kind,
            "description": form.description.data,
            "scale": scale,
            "threshold": form.threshold.data,
        }
        try:
            if sheet is None:
                department = get_visible_or_404(
                    current_user, Organization, form.organization_id.data, "evaluation.manage"
                )
                sheet = services.create_sheet(db.session, organization=department, **fields)
            else:
                services.update_sheet(db.session, sheet, **fields)
        except services.EvaluationError as error:
            db.session.rollback()
            flash(str(error), "danger")
            if sheet_id is not None:
                sheet = _managed_sheet_or_404(sheet_id)
            return render_template(
                "evaluations/sheet_form.html", form=form, sheet=sheet if sheet_id else None
            )
        db.session.commit()
        flash(_("Лист сохранён."), "success")
        if sheet_id is None:
            return redirect(url_for("evaluations.scores", sheet_id=sheet.id))
        return redirect(url_for("evaluations.sheet", sheet_id=sheet.id))
    return render_template("evaluations/sheet_form.html", form=form, sheet=sheet)


@bp.route("/sheets/<int:sheet_id>")
def sheet(sheet_id: int):
    sheet = _sheet_or_404(sheet_id)
    table = queries.comparison(db.session, current_user, sheet)
    return render_template(
        "evaluations/sheet.html",
        sheet=sheet,
        table=table,
        department=services.sheet_organization(db.session, sheet),
        can_manage=_can_manage(sheet),
        kinds=services.KIND_LABELS,
        scale_note=scale_note(sheet),
        percent=percent,
        confirm=ConfirmForm(),
    )


@bp.route("/sheets/<int:sheet_id>/comparison.xlsx")
def comparison_xlsx(sheet_id: int):
    sheet = _sheet_or_404(sheet_id)
    table = queries.comparison(db.session, current_user, sheet)
    data = documents.comparison_xlsx(
        table,
        labels={
            "sheet_name": _("Сравнение"),
            "scale_note": _("Баллы: %(scale)s.", scale=scale_note(sheet))
            + (
                " " + _("Порог низких результатов: %(n)s.", n=sheet.threshold)
                if sheet.kind == "diagnostic"
                else ""
            ),
            "number": _("№"),
            "criteria": _("Критерии"),
            "points": _("Количество баллов"),
            "total": _("ВСЕГО БАЛЛОВ"),
            "max_total": _("Максимально возможно"),
            "percent": _("% от максимума"),
            "low": _("Низкие результаты (сумма не меньше порога)"),
            "yes": _("да"),
        },
    )
    name = re.sub(r"[^\w.-]+", "-", f"ekspertnyy-list-{sheet.id}.xlsx")
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)


def _grid_kinds(sheet: ExpertSheet) -> tuple[str, ...]:
    """Schools by default (seed 002 scores the six schools); «все» adds kindergartens and more."""
    if request.args.get("all") == "1":
        return SCHOOL_KINDS
    return ("school",)


@bp.route("/sheets/<int:sheet_id>/scores", methods=["GET", "POST"])
def scores(sheet_id: int):
    sheet = _managed_sheet_or_404(sheet_id)
    organizations = queries.scorable_organizations(db.session, sheet, _grid_kinds(sheet))
    if not organizations and request.method == "GET" and request.args.get("all") != "1":
        organizations = queries.scorable_organizations(db.session, sheet)
    existing = {
        e.organization_id: e
        for e in db.session.scalars(
            sa.select(Evaluation).where(
                Evaluation.sheet_id == sheet.id, Evaluation.road_map_id.is_(None)
            )
        )
    }
    form = ScoreGridForm()
    errors: list[str] = []
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = [str(e) for errs in form.errors.values() for e in errs]
            if "csrf_token" in form.errors:
                abort(400)
        rows, read_errors = read_grid(request.form, form.evaluated_on.data)
        errors += read_errors
        saved = 0
        if not errors:
            for row in rows:
                org = db.session.get(Organization, row.organization_id)
                if org is None:
                    errors.append(_("Организация не найдена."))
                    continue
                if row.blank:
                    if org.id in existing:
                        errors.append(
                            _(
                                "%(org)s: строка пуста. Чтобы убрать оценку, удалите её "
                                "на странице оценки.",
                                org=org.short_name,
                            )
                        )
                    continue
                try:
                    services.save_evaluation(
                        db.session,
                        sheet,
                        org,
                        scores=row.scores,
                        actor=current_user,
                        evaluated_on=row.evaluated_on,
                        findings=row.findings,
                        recommendations=row.recommendations,
                    )
                    saved += 1
                except Refused as error:
                    errors.append(str(error))
        if not errors and saved:
            db.session.commit()
            flash(_("Сохранено оценок: %(n)s.", n=saved), "success")
            return redirect(url_for("evaluations.sheet", sheet_id=sheet.id))
        db.session.rollback()
        if not errors:
            errors.append(_("Ничего не сохранено: баллы не выставлены."))
        else:
            errors.insert(0, _("Ничего не сохранено — исправьте и сохраните снова."))
        sheet = _managed_sheet_or_404(sheet_id)
        values = request.form.to_dict()
    else:
        values = _grid_values(sheet, existing)
    return render_template(
        "evaluations/scores.html",
        sheet=sheet,
        organizations=organizations,
        values=values,
        errors=errors,
        form=form,
        all_kinds=request.args.get("all") == "1",
        scale_note=scale_note(sheet),
    )


def _grid_values(sheet: ExpertSheet, existing: dict[int, Evaluation]) -> dict[str, str]:
    values: dict[str, str] = {}
    for org_id, evaluation in existing.items():
        for s in evaluation.scores:
            values[f"score-{org_id}-{s.criterion_id}"] = str(s.value)
        if evaluation.evaluated_on:
            values[f"date-{org_id}"] = evaluation.evaluated_on.isoformat()
        values[f"findings-{org_id}"] = evaluation.findings or ""
        values[f"recommendations-{org_id}"] = evaluation.recommendations or ""
    return values


@bp.route("/<int:evaluation_id>")
def evaluation(evaluation_id: int):
    evaluation = get_visible_or_404(current_user, Evaluation, evaluation_id)
    sheet = db.session.get(ExpertSheet, evaluation.sheet_id)
    values = {s.criterion_id: s.value for s in evaluation.scores}
    total = sum(values.values())
    most = services.max_total(sheet)
    evaluator = db.session.get(User, evaluation.evaluator_id) if evaluation.evaluator_id else None
    return render_template(
        "evaluations/evaluation.html",
        e=evaluation,
        sheet=sheet,
        values=values,
        total=total,
        max_total=most,
        pct=percent(100 * total / most if most else None),
        low=sheet.kind == "diagnostic" and sheet.threshold is not None and total >= sheet.threshold,
        evaluator=evaluator,
        can_manage=_can_manage(sheet),
        confirm=ConfirmForm(),
    )


@bp.route("/<int:evaluation_id>/delete", methods=["POST"])
def delete(evaluation_id: int):
    evaluation = get_visible_or_404(current_user, Evaluation, evaluation_id, "evaluation.manage")
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    sheet_id = evaluation.sheet_id
    services.delete_evaluation(db.session, evaluation, current_user)
    db.session.commit()
    flash(_("Оценка удалена."), "success")
    return redirect(url_for("evaluations.sheet", sheet_id=sheet_id))
