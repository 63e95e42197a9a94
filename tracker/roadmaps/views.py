"""Road maps: the department's list, one map, the table editor, import, review and execution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker.assignments.models import Assignment
from tracker.core import clock, files
from tracker.core.audit import record_denied
from tracker.core.models import Attachment
from tracker.core.permissions import can, can_anywhere, get_visible_or_404, visible_to
from tracker.core.tenancy import Organization
from tracker.core.web import local_dt
from tracker.cycle.models import Direction, Goal
from tracker.extensions import db
from tracker.roadmaps import documents, forms, progress, queries, reading, services, versions
from tracker.roadmaps.export import road_map_docx, road_map_xlsx
from tracker.roadmaps.forms import (
    ImportForm,
    ListFilterForm,
    MarkForm,
    MoveForm,
    ReviewForm,
    RoadMapForm,
)
from tracker.roadmaps.models import (
    ActionStatus,
    RoadMap,
    RoadMapAction,
    RoadMapStatus,
    VersionState,
)

bp = Blueprint("roadmaps", __name__, url_prefix="/roadmaps")
bp.add_app_template_global(RoadMapStatus, "RoadMapStatus")
bp.add_app_template_global(ActionStatus, "ActionStatus")
bp.add_app_template_global(VersionState, "VersionState")

FORM_PARTS = 20_000  # a table of 500 rows posts ten inputs per row


@bp.url_value_preprocessor
def raise_form_limits(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    request.max_form_parts = FORM_PARTS


@bp.before_request
@login_required
def authenticated():
    pass


def _load(road_map_id: int, action: str | None = None) -> RoadMap:
    return get_visible_or_404(current_user, RoadMap, road_map_id, action)


def _refuse(road_map: RoadMap, action: str) -> None:
    record_denied(current_user, "road_maps", road_map.id, action)
    abort(403)


def _directions() -> list[Direction]:
    return list(db.session.scalars(sa.select(Direction).order_by(Direction.position)))


@bp.route("")
def index():
    form = ListFilterForm(request.args)
    organizations = db.session.execute(
        sa.select(Organization.id, Organization.short_name)
        .where(visible_to(current_user, Organization), Organization.kind.not_in(("region",)))
        .order_by(Organization.short_name)
    ).all()
    form.direction_id.choices = [(0, _("— все —"))] + [
        (d.id, f"{d.framework_label}: {d.name[:70]}") for d in _directions()
    ]
    form.organization_id.choices = [(0, _("— все —"))] + [
        (o.id, o.short_name) for o in organizations
    ]
    form.status.choices = [("", _("— все —")), *list(services.STATE_LABELS.items())]
    if request.args and not form.validate():
        flash(_("Фильтр содержит ошибки; показаны все дорожные карты."), "warning")
        f = queries.ListFilter()
    else:
        f = queries.ListFilter(
            direction_id=form.direction_id.data or None,
            organization_id=form.organization_id.data or None,
            status=form.status.data or None,
        )
    rows = queries.overview(db.session, current_user, f)
    schools = queries.current_by_school(db.session, current_user, f, rows)
    return render_template(
        "roadmaps/index.html",
        form=form,
        rows=rows,
        schools=schools,
        lines=overview_lines(schools),
        chart=queries.by_school(schools),
        overdue_words=_("просрочено: %(n)s"),  # formatted per bar, translated once
        labels=services.STATE_LABELS,
        may_create=can_anywhere(current_user, "roadmap.edit"),
        query_string=request.query_string.decode(),
    )


MAP_COLORS = {
    RoadMapStatus.DRAFT: "secondary",
    RoadMapStatus.SUBMITTED: "info",
    RoadMapStatus.RETURNED: "warning",
    RoadMapStatus.APPROVED: "success",
}
bp.add_app_template_global(MAP_COLORS, "map_colors")


@dataclass(frozen=True)
class OverviewLine:
    """A school's row of the overview, its links and words worked out beforehand: the list has
    a row per school, and a macro, a translation or a date format per row cost more than the
    rest of the page."""

    school: queries.SchoolRow
    link: str = ""
    label: str = ""
    submitted: str = ""  # «направлена 02.12.2026 10:15»


def overview_lines(schools: list[queries.SchoolRow]) -> list[OverviewLine]:
    labels = {state: str(label) for state, label in services.STATE_LABELS.items()}
    sent = _("направлена %(d)s")
    link = url_for("roadmaps.detail", road_map_id=0).removesuffix("0")  # «/roadmaps/»
    lines = []
    for school in schools:
        row = school.current
        if row is None:
            lines.append(OverviewLine(school))
            continue
        m = row.road_map
        lines.append(
            OverviewLine(
                school,
                link=f"{link}{m.id}",
                label=labels[m.status],
                submitted=sent % {"d": local_dt(row.submitted_at)} if row.submitted_at else "",
            )
        )
    return lines


@bp.route("/summary.xlsx")
def summary_xlsx():
    f = queries.ListFilter(
        direction_id=request.args.get("direction_id", type=int) or None,
        organization_id=request.args.get("organization_id", type=int) or None,
        status=request.args.get("status") or None,
    )
    rows = queries.overview(db.session, current_user, f)
    return send_file(
        BytesIO(queries.summary_xlsx(rows)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"road-maps-{clock.now():%Y-%m-%d}.xlsx",
    )


def _form_choices(form: RoadMapForm, organizations: list[Organization]) -> None:
    form.organization_id.choices = [(o.id, o.short_name) for o in organizations]
    form.direction_id.choices = [(0, _("— не указано —"))] + [
        (d.id, f"{d.framework_label}: {d.name[:70]}") for d in _directions()
    ]
    goals = db.session.scalars(
        sa.select(Goal).where(visible_to(current_user, Goal)).order_by(Goal.id)
    ).all()
    form.goal_id.choices = [(0, _("— не указана —"))] + [(g.id, g.statement[:90]) for g in goals]


@bp.route("/new", methods=["GET", "POST"])
def new():
    organizations = db.session.scalars(
        sa.select(Organization)
        .where(visible_to(current_user, Organization, "roadmap.edit"))
        .order_by(Organization.short_name)
    ).all()
    if not organizations:
        record_denied(current_user, "road_maps", None, "roadmap.edit")
        abort(403)
    assignment = None
    assignment_id = request.values.get("assignment_id", type=int)
    if assignment_id:
        assignment = get_visible_or_404(current_user, Assignment, assignment_id, "roadmap.edit")
    form = RoadMapForm()
    _form_choices(form, organizations)
    if request.method == "GET" and assignment is not None:
        form.organization_id.data = assignment.organization_id
        form.title.data = assignment.decision.text[:1000]
        form.assignment_id.data = assignment.id
        form.direction_id.data = assignment.decision.direction_id or 0
    if form.validate_on_submit():
        organization = get_visible_or_404(
            current_user, Organization, form.organization_id.data, "roadmap.edit"
        )
        try:
            road_map = services.create_road_map(
                db.session,
                current_user,
                organization,
                form.title.data,
                period_start=form.period_start.data,
                period_end=form.period_end.data,
                direction_id=form.direction_id.data or None,
                goal_id=form.goal_id.data or None,
                assignment=assignment,
            )
        except services.RoadMapError as error:
            flash(str(error), "danger")
        else:
            road_map.approver_block = (form.approver_block.data or "").strip() or None
            db.session.commit()
            flash(
                _("Дорожная карта создана. Заполните мероприятия или загрузите таблицу."), "success"
            )
            return redirect(url_for("roadmaps.edit", road_map_id=road_map.id))
    return render_template("roadmaps/new.html", form=form, assignment=assignment)


@bp.route("/<int:road_map_id>")
def detail(road_map_id: int):
    road_map = _load(road_map_id)
    version = versions.latest_version(road_map)
    reviewing = road_map.status == RoadMapStatus.SUBMITTED and services.may(
        current_user, "approve", road_map
    )
    notes: dict[int, str] = {}
    if road_map.status == RoadMapStatus.RETURNED and version is not None:
        notes = {int(k): v for k, v in (version.action_comments or {}).items()}
    return render_template(
        "roadmaps/detail.html",
        road_map=road_map,
        depth=versions.levels(road_map),
        progress=progress.progress(db.session, road_map),
        overdue=progress.overdue_actions(road_map),
        problems=services.action_problems(road_map) if road_map.status in services.EDITABLE else {},
        moves=services.allowed_moves(current_user, road_map),
        may_edit=services.can_edit(current_user, road_map),
        may_mark=services.can_mark(current_user, road_map),
        reviewing=reviewing,
        diff=versions.review_diff(road_map) if reviewing else None,
        review_form=ReviewForm(),
        move_form=MoveForm(),
        version=version,
        notes=notes,
        history=versions.history(db.session, road_map),
        labels=services.STATE_LABELS,
        action_labels=services.ACTION_LABELS,
        history_labels=services.HISTORY_LABELS,
    )


@bp.route("/<int:road_map_id>/edit", methods=["GET", "POST"])
def edit(road_map_id: int):
    road_map = _load(road_map_id)
    if not services.can_edit(current_user, road_map):
        if can(current_user, "roadmap.edit", road_map.organization):
            flash(_("Изменять можно только черновик или карту на доработке."), "warning")
            return redirect(url_for("roadmaps.detail", road_map_id=road_map.id))
        _refuse(road_map, "roadmap.edit")
    form = RoadMapForm(obj=road_map)
    _form_choices(form, [road_map.organization])
    form.organization_id.data = road_map.organization_id
    row_errors: dict[int, str] = {}
    if request.method == "POST":
        rows = forms.posted_rows()
        op = request.form.get("op", "save")
        if op != "save":
            rows = forms.apply_op(rows, op)
        elif form.validate():
            try:
                services.update_road_map(
                    db.session,
                    road_map,
                    current_user,
                    title=form.title.data,
                    period_start=form.period_start.data,
                    period_end=form.period_end.data,
                    direction_id=form.direction_id.data or None,
                    goal_id=form.goal_id.data or None,
                    approver_block=(form.approver_block.data or "").strip() or None,
                )
                services.save_actions(db.session, road_map, current_user, rows)
            except services.RoadMapError as error:
                db.session.rollback()
                flash(str(error), "danger")
                row_errors = {n - 1: message for n, message in error.rows.items()}
            else:
                db.session.commit()
                flash(_("Сохранено."), "success")
                return redirect(url_for("roadmaps.edit", road_map_id=road_map.id))
    else:
        rows = services.current_rows(road_map)
        by_id = {a.id: i for i, a in enumerate(road_map.actions)}
        row_errors = {by_id[k]: v for k, v in services.action_problems(road_map).items()}
    version = versions.latest_version(road_map)
    notes = {}
    if road_map.status == RoadMapStatus.RETURNED and version is not None:
        notes = {int(k): v for k, v in (version.action_comments or {}).items()}
    return render_template(
        "roadmaps/edit.html",
        road_map=road_map,
        form=form,
        rows=rows,
        row_errors=row_errors,
        notes=notes,
        version=version,
        ever_approved=road_map.approved_at is not None,
    )


@bp.route("/<int:road_map_id>/import", methods=["GET", "POST"])
def import_table(road_map_id: int):
    road_map = _load(road_map_id)
    if not services.can_edit(current_user, road_map):
        _refuse(road_map, "roadmap.edit")
    form = ImportForm()
    table: list[list[str]] | None = None
    header, mapping, error = -1, [], None
    if request.method == "POST" and request.form.get("table"):
        # The mapping step: the table read from the file comes back with the chosen columns.
        try:
            table, header = reading.posted_table(request.form["table"], request.form.get("header"))
        except documents.RoadMapImportError as problem:
            table, error = None, str(problem)
        else:
            mapping = [
                request.form.get(f"column-{i}", "") for i in range(len(table[0]) if table else 0)
            ]
    elif form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            error = _("Выберите файл с таблицей дорожной карты (.xlsx или .docx).")
        else:
            data = upload.stream.read(files.max_file_size() + 1)
            try:
                table = reading.read_table(upload.filename, data, max_bytes=files.max_file_size())
            except documents.RoadMapImportError as problem:
                error = str(problem)
            else:
                header, mapping = documents.guess_mapping(table)
    drafts = []
    if table is not None and error is None:
        try:
            drafts = documents.parse_rows(table, header, mapping)
        except documents.RoadMapImportError as problem:
            error = str(problem)
        if request.form.get("op") == "confirm" and error is None:
            try:
                count = services.import_rows(db.session, road_map, current_user, drafts)
            except services.RoadMapError as problem:
                db.session.rollback()
                error = str(problem)
            else:
                db.session.commit()
                skipped = sum(1 for d in drafts if not (d.text or "").strip())
                flash(
                    _("Загружено мероприятий: %(n)s.", n=count)
                    + (
                        " " + _("Не загружено строк без мероприятия: %(n)s.", n=skipped)
                        if skipped
                        else ""
                    ),
                    "success",
                )
                return redirect(url_for("roadmaps.edit", road_map_id=road_map.id))
    return render_template(
        "roadmaps/import.html",
        road_map=road_map,
        form=form,
        error=error,
        table=table,
        table_json=json.dumps(table, ensure_ascii=False) if table is not None else "",
        header=header,
        mapping=mapping,
        fields=documents.FIELDS,
        drafts=drafts,
    )


@bp.route("/<int:road_map_id>/<any(submit, revise):move>", methods=["POST"])
def move(road_map_id: int, move: str):
    road_map = _load(road_map_id)
    if not MoveForm().validate_on_submit():
        abort(400)
    return _transition(road_map, move)


def _transition(road_map: RoadMap, move: str, **kwargs: Any):
    try:
        services.transition(db.session, road_map, move, current_user, **kwargs)
    except services.RoadMapError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(MOVE_DONE[move], "success")
        if move == "revise":
            return redirect(url_for("roadmaps.edit", road_map_id=road_map.id))
    return redirect(url_for("roadmaps.detail", road_map_id=road_map.id))


MOVE_DONE = {
    "submit": _l("Дорожная карта направлена на согласование."),
    "return": _l("Дорожная карта возвращена на доработку."),
    "approve": _l("Дорожная карта согласована."),
    "revise": _l("Карта открыта для изменений; после правки направьте её на согласование снова."),
}


@bp.route("/<int:road_map_id>/review/<any(approve, return):move>", methods=["POST"])
def review(road_map_id: int, move: str):
    road_map = _load(road_map_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(_("Комментарий длиннее 5000 знаков."), "danger")
        return redirect(url_for("roadmaps.detail", road_map_id=road_map.id))
    notes = {}
    for key, value in request.form.items():
        if key.startswith("note-") and value.strip():
            try:
                notes[int(key[5:])] = value[:5000]
            except ValueError:
                abort(400)
    return _transition(road_map, move, comment=form.comment.data, action_comments=notes)


@bp.route("/<int:road_map_id>/actions/<int:action_id>", methods=["GET", "POST"])
def mark(road_map_id: int, action_id: int):
    road_map = _load(road_map_id)
    action = db.session.scalar(
        sa.select(RoadMapAction).where(
            RoadMapAction.id == action_id, RoadMapAction.road_map_id == road_map.id
        )
    )
    if action is None:
        record_denied(current_user, "road_map_actions", action_id, "view")
        abort(404)
    may_mark = services.can_mark(current_user, road_map)
    form = MarkForm(obj=action if request.method == "GET" else None)
    if request.method == "GET" and action.status not in (
        ActionStatus.DONE,
        ActionStatus.IN_PROGRESS,
    ):
        form.status.data = ActionStatus.DONE
        form.completed_on.data = clock.today(road_map.organization.timezone)
    if request.method == "POST":
        if not may_mark and not can(current_user, "roadmap.edit", road_map.organization):
            _refuse(road_map, "roadmap.edit")
        if form.validate_on_submit():
            try:
                uploads = [files.read_upload(f) for f in form.files.data or [] if f and f.filename]
                services.mark_action(
                    db.session,
                    action,
                    current_user,
                    form.status.data,
                    completed_on=form.completed_on.data,
                    evidence=form.evidence.data,
                    uploads=uploads,
                )
            except files.FileRejected as error:
                db.session.rollback()
                flash(str(error), "danger")
            except services.RoadMapError as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                db.session.commit()
                flash(_("Выполнение отмечено."), "success")
                return redirect(url_for("roadmaps.detail", road_map_id=road_map.id))
        else:
            flash(_("Проверьте дату выполнения."), "danger")
    return render_template(
        "roadmaps/mark.html",
        road_map=road_map,
        action=action,
        form=form,
        may_mark=may_mark,
        action_labels=services.ACTION_LABELS,
    )


@bp.route("/<int:road_map_id>/files/<int:attachment_id>")
def attachment(road_map_id: int, attachment_id: int):
    road_map = _load(road_map_id)
    item = db.session.scalar(
        sa.select(Attachment)
        .join(RoadMapAction, RoadMapAction.id == Attachment.road_map_action_id)
        .where(Attachment.id == attachment_id, RoadMapAction.road_map_id == road_map.id)
    )
    if item is None:
        record_denied(current_user, "attachments", attachment_id, "download")
        abort(404)
    return send_file(
        files.path_of(item),
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.filename,
    )


@bp.route("/<int:road_map_id>.<any(xlsx, docx):fmt>")
def export(road_map_id: int, fmt: str):
    road_map = db.session.scalar(
        sa.select(RoadMap)
        .where(RoadMap.id == road_map_id, visible_to(current_user, RoadMap))
        .options(selectinload(RoadMap.actions))
    )
    if road_map is None:
        record_denied(current_user, "road_maps", road_map_id, "export")
        abort(404)
    data = road_map_xlsx(road_map) if fmt == "xlsx" else road_map_docx(road_map)
    mimetype = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }[fmt]
    return send_file(
        BytesIO(data),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"road-map-{road_map.id}-{clock.now():%Y%m%d}.{fmt}",
    )
