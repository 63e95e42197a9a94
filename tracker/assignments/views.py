"""The control board, «my assignments», one assignment's page and its actions."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracker.assignments import filters, queries, services
from tracker.assignments.bulk import BULK_ACTIONS, BulkRefused, bulk_apply
from tracker.assignments.forms import (
    BulkForm,
    CommentForm,
    ExtensionDecisionForm,
    ExtensionForm,
    ReportForm,
    ReviewForm,
    SavedFilterForm,
    board_filter_from_request,
)
from tracker.assignments.models import (
    OPEN_STATES,
    Assignment,
    AssignmentStatus,
    ExtensionRequest,
    ExtensionState,
    ReportState,
    SavedFilter,
)
from tracker.core import files
from tracker.core.audit import record_denied
from tracker.core.models import Attachment, Comment
from tracker.core.permissions import can, can_anywhere, get_visible_or_404, visible_to
from tracker.core.tenancy import Organization, User
from tracker.core.urls import safe_next
from tracker.cycle.models import MonitoringCampaign
from tracker.extensions import db
from tracker.roadmaps.models import RoadMap

bp = Blueprint("assignments", __name__)
# The one deadline in force, on every page and in every letter (see services.deadline_in_force).
bp.add_app_template_global(services.deadline_in_force, "deadline_in_force")
bp.add_app_template_global(AssignmentStatus, "AssignmentStatus")
bp.add_app_template_global(ReportState, "ReportState")
bp.add_app_template_global(ExtensionState, "ExtensionState")
# Badges: the colour and the words of each state.
ASSIGNMENT_COLORS = {
    AssignmentStatus.ASSIGNED: "secondary",
    AssignmentStatus.IN_PROGRESS: "primary",
    AssignmentStatus.REPORTED: "info",
    AssignmentStatus.RETURNED: "warning",
    AssignmentStatus.DONE: "success",
    AssignmentStatus.CANCELLED: "light",
}
bp.add_app_template_global(ASSIGNMENT_COLORS, "assignment_colors")
bp.add_app_template_global(
    {
        ReportState.SUBMITTED: ("info", _l("на проверке")),
        ReportState.ACCEPTED: ("success", _l("принят")),
        ReportState.RETURNED: ("warning", _l("возвращён")),
    },
    "report_badges",
)
bp.add_app_template_global(
    {
        ExtensionState.PENDING: ("secondary", _l("ждёт решения")),
        ExtensionState.GRANTED: ("success", _l("перенесено")),
        ExtensionState.REFUSED: ("danger", _l("отказано")),
    },
    "extension_badges",
)


@bp.before_request
@login_required
def authenticated():
    pass


@bp.route("/board")
def board():
    if not can_anywhere(current_user, "assignment.control") and not can_anywhere(
        current_user, "audit.view"
    ):
        return redirect(url_for("assignments.mine"))
    form, f = board_filter_from_request()
    counts = queries.decision_counts(db.session, current_user, f)
    total = sum(n for _decision, n in counts)
    page, pages = page_of(total, BOARD_PER_PAGE)
    rows = queries.board_page(
        db.session,
        current_user,
        f,
        counts,
        limit=BOARD_PER_PAGE,
        offset=(page - 1) * BOARD_PER_PAGE,
    )
    grid = queries.grid(db.session, current_user, rows)
    return render_template(
        "assignments/board.html",
        form=form,
        filter=f,
        grid=grid,
        lines=board_lines(grid, overdue_ids(rows, f.at)),
        figures=queries.figures(db.session, current_user, f),
        total=total,
        page=page,
        pages=pages,
        saved_filters=saved_filters("board"),
        save_form=SavedFilterForm(),
        bulk_form=bulk_form() if can_anywhere(current_user, "assignment.control") else None,
    )


@dataclass(frozen=True)
class Cell:
    """One assignment in the board's grid, everything it shows worked out beforehand: a page
    has hundreds of cells, and a macro, a translation or a link built per cell cost more than
    the rest of the page."""

    id: int
    status: str
    tone: str
    text: str
    overdue: bool
    link: str
    mark: str  # the checkbox's label
    moved: str | None  # the deadline in force, when it is not the decision's


def board_lines(
    grid: queries.Grid, overdue: set[int]
) -> list[tuple[Any, list[tuple[int, Cell | None]]]]:
    """Each decision with (organization id, its cell or None) in the order of
    `grid.organizations`."""
    labels = {state: str(label) for state, label in services.STATE_LABELS.items()}
    late, overdue_word = _("с опозданием"), _("просрочено")
    mark = _("Отметить: %(what)s")  # formatted per cell below, translated once
    link = url_for("assignments.detail", assignment_id=0).removesuffix("0")  # «/assignments/»
    lines = []
    for d in grid.decisions:
        point = f"{d.number}. " if d.number else ""
        cells: list[tuple[int, Cell | None]] = []
        for o in grid.organizations:
            a = grid.cells.get((d.id, o.id))
            if a is None:
                cells.append((o.id, None))
                continue
            late_one = a.id in overdue
            text = labels[a.status]
            if late_one:
                text += f" · {overdue_word}"
            if a.status == AssignmentStatus.DONE and a.on_time is False:
                text += f" · {late}"
            cells.append(
                (
                    o.id,
                    Cell(
                        id=a.id,
                        status=a.status,
                        tone="danger" if late_one else ASSIGNMENT_COLORS[a.status],
                        text=text,
                        overdue=late_one,
                        link=f"{link}{a.id}",
                        mark=mark % {"what": point + o.short_name},
                        moved=services.deadline_in_force(a)
                        if a.due_date and a.due_date != d.due_date
                        else None,
                    ),
                )
            )
        lines.append((d, cells))
    return lines


BOARD_PER_PAGE = 300
MY_PER_PAGE = 50


def page_of(total: int, per_page: int) -> tuple[int, int]:
    """The page asked for, clamped to one that exists, and the number of pages."""
    pages = max((total + per_page - 1) // per_page, 1)
    return min(max(request.args.get("page", 1, type=int), 1), pages), pages


def saved_filters(page: str) -> list[SavedFilter]:
    return list(
        db.session.scalars(
            sa.select(SavedFilter)
            .where(visible_to(current_user, SavedFilter), SavedFilter.page == page)
            .order_by(SavedFilter.name)
        )
    )


def overdue_ids(rows: list[Assignment], at: date | None) -> set[int]:
    return {a.id for a in rows if services.is_overdue(a, as_of=at)}


@bp.route("/my")
def mine():
    form, f = board_filter_from_request(default_tab="open")
    total = queries.count(db.session, current_user, f)
    page, pages = page_of(total, MY_PER_PAGE)
    rows = queries.my_assignments(
        db.session, current_user, f, limit=MY_PER_PAGE, offset=(page - 1) * MY_PER_PAGE
    )
    return render_template(
        "assignments/mine.html",
        form=form,
        filter=f,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        overdue_ids=overdue_ids(rows, f.at),
        labels=services.STATE_LABELS,
        saved_filters=saved_filters("my"),
        save_form=SavedFilterForm(),
    )


def bulk_form() -> BulkForm:
    form = BulkForm()
    form.action.choices = [("", _("— выберите —"))] + [(k, str(v)) for k, v in BULK_ACTIONS.items()]
    return form


def local_path(target: str | None, fallback: str) -> str:
    """Only a path on this site: never another host (`//x`, `https://x`) or a backslash trick."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@bp.route("/bulk", methods=["POST"])
def bulk():
    """The ticked rows of the board or of the inbox: all take the action, or none does."""
    back = local_path(request.form.get("next"), url_for("assignments.board"))
    form = bulk_form()
    ids = request.form.getlist("ids", type=int)
    if not form.validate_on_submit():
        flash(_("Выберите действие и, если нужно, укажите срок в формате ДД.ММ.ГГГГ."), "danger")
        return redirect(back)
    try:
        done = bulk_apply(
            db.session,
            current_user,
            ids,
            form.action.data,
            comment=form.comment.data,
            new_date=form.new_date.data,
        )
    except BulkRefused as error:
        db.session.rollback()
        for assignment_id, _text, denied in error.rows:
            if denied:
                record_denied(
                    current_user, "assignments", assignment_id, f"bulk.{form.action.data}"
                )
        db.session.commit()
        flash(str(error), "danger")
        return redirect(back)
    except services.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(back)
    db.session.commit()
    flash(
        _(
            "Готово: «%(action)s» — поручений: %(n)s.",
            action=BULK_ACTIONS[form.action.data],
            n=len(done),
        ),
        "success",
    )
    return redirect(back)


FILTER_PAGES = {"board": "assignments.board", "my": "assignments.mine"}


@bp.route("/filters/<page>", methods=["POST"])
def save_filter(page: str):
    """Save the filter in the query string (validated as the page validates it) under a name."""
    if page not in FILTER_PAGES:
        abort(404)
    _form, f = board_filter_from_request(default_tab="open" if page == "my" else None)
    back = url_for(FILTER_PAGES[page], **f.as_args())
    form = SavedFilterForm()
    if not form.validate_on_submit():
        flash(_("Назовите фильтр (не длиннее 80 знаков)."), "danger")
        return redirect(back)
    try:
        filters.save_filter(db.session, current_user, page, form.name.data, f.as_args())
    except services.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(back)
    db.session.commit()
    flash(_("Фильтр «%(name)s» сохранён.", name=form.name.data.strip()), "success")
    return redirect(back)


@bp.route("/filters/<int:filter_id>")
def open_filter(filter_id: int):
    saved = get_visible_or_404(current_user, SavedFilter, filter_id)
    target = url_for(FILTER_PAGES[saved.page])
    return redirect(f"{target}?{saved.query}" if saved.query else target)


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
def delete_filter(filter_id: int):
    saved = get_visible_or_404(current_user, SavedFilter, filter_id)
    page = saved.page
    filters.delete_filter(db.session, current_user, saved)
    db.session.commit()
    flash(_("Фильтр удалён."), "success")
    return redirect(url_for(FILTER_PAGES[page]))


@bp.route("/assignments/<int:assignment_id>")
def detail(assignment_id: int):
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    comments = db.session.scalars(
        sa.select(Comment)
        .where(Comment.assignment_id == assignment.id)
        .order_by(Comment.created_at)
    ).all()
    return render_template(
        "assignments/detail.html",
        a=assignment,
        moves=services.allowed_moves(current_user, assignment),
        history=services.history(db.session, assignment),
        history_labels=services.HISTORY_LABELS,
        comments=comments,
        overdue=services.is_overdue(assignment),
        labels=services.STATE_LABELS,
        report_form=ReportForm(text=assignment.report_draft),
        may_delegate=assignment.status in OPEN_STATES
        and can(current_user, "assignment.delegate", assignment.organization),
        school_people=services.school_people(db.session, assignment.organization),
        may_draft=services.drafts(current_user, assignment),
        review_form=ReviewForm(),
        comment_form=CommentForm(),
        extension_form=ExtensionForm(),
        decision_form=ExtensionDecisionForm(),
        road_maps=db.session.scalars(
            sa.select(RoadMap).where(
                RoadMap.assignment_id == assignment.id, visible_to(current_user, RoadMap)
            )
        ).all(),
        campaign=db.session.scalar(
            sa.select(MonitoringCampaign).where(
                MonitoringCampaign.decision_id == assignment.decision_id
            )
        ),
        may_plan=assignment.status in OPEN_STATES
        and can(current_user, "roadmap.edit", assignment.organization),
    )


def back_to(assignment: Assignment):
    return redirect(url_for("assignments.detail", assignment_id=assignment.id))


def refuse(assignment: Assignment, error: services.AssignmentError):
    """The service's words on the page (a refused right is a 403, see core.errors)."""
    db.session.rollback()
    flash(str(error), "danger")
    return back_to(assignment)


@bp.route("/assignments/<int:assignment_id>/report", methods=["POST"])
def report(assignment_id: int):
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Опишите, что сделано: текст отчёта обязателен."), "danger")
        return back_to(assignment)
    try:
        uploads = [files.read_upload(f) for f in form.files.data or [] if f and f.filename]
        services.submit_report(db.session, assignment, current_user, form.text.data, uploads)
    except files.FileRejected as error:
        db.session.rollback()
        flash(
            _("%(error)s Отчёт не сохранён — исправьте и отправьте снова.", error=error), "danger"
        )
        return back_to(assignment)
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    flash(_("Отчёт отправлен контролёру."), "success")
    return back_to(assignment)


@bp.route("/assignments/<int:assignment_id>/delegate", methods=["POST"])
def delegate(assignment_id: int):
    """The director hands the assignment to a person of the school (or takes it back)."""
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    person_id = request.form.get("person_id", type=int)
    person = db.session.get(User, person_id) if person_id else None
    if person_id and person is None:
        return refuse(assignment, services.AssignmentError(_("Такого сотрудника нет.")))
    try:
        services.delegate(db.session, assignment, current_user, person)
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    flash(
        _("Поручение передано: %(name)s.", name=person.full_name)
        if person
        else _("Поручение снова у директора."),
        "success",
    )
    return back_to(assignment)


@bp.route("/assignments/<int:assignment_id>/draft", methods=["POST"])
def draft(assignment_id: int):
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    try:
        services.save_draft(db.session, assignment, current_user, request.form.get("text", ""))
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    flash(_("Черновик отчёта сохранён."), "success")
    return back_to(assignment)


@bp.route("/organizations/<int:org_id>/deputies-submit", methods=["POST"])
def deputies_submit(org_id: int):
    """The school's choice: deputies submit reports themselves or prepare them for the director."""
    school = get_visible_or_404(current_user, Organization, org_id, "assignment.delegate")
    services.set_deputies_submit(
        db.session, school, current_user, request.form.get("allowed") == "1"
    )
    db.session.commit()
    flash(_("Настройка школы сохранена."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


@bp.route("/assignments/<int:assignment_id>/move/<action>", methods=["POST"])
def move(assignment_id: int, action: str):
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    if action not in services.MOVES or action == "report":
        abort(404)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.transition(db.session, assignment, action, current_user, comment=form.comment.data)
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    flash(
        _("Готово: поручение «%(state)s».", state=services.STATE_LABELS[assignment.status]),
        "success",
    )
    return back_to(assignment)


@bp.route("/assignments/<int:assignment_id>/extension", methods=["POST"])
def extension(assignment_id: int):
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    form = ExtensionForm()
    if not form.validate_on_submit():
        flash(_("Укажите новый срок в формате ДД.ММ.ГГГГ и причину."), "danger")
        return back_to(assignment)
    try:
        services.request_extension(
            db.session, assignment, current_user, form.reason.data, form.proposed_date.data
        )
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    flash(_("Просьба о переносе срока отправлена контролёру."), "success")
    return back_to(assignment)


@bp.route("/extensions/<int:request_id>/<verdict>", methods=["POST"])
def decide_extension(request_id: int, verdict: str):
    if verdict not in ("grant", "refuse"):
        abort(404)
    ext = db.session.get(ExtensionRequest, request_id)
    # The request is reachable only through an assignment the user may see.
    assignment = get_visible_or_404(current_user, Assignment, ext.assignment_id if ext else 0)
    form = ExtensionDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.decide_extension(
            db.session, ext, current_user, verdict == "grant", form.comment.data
        )
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    flash(
        _("Срок перенесён.") if verdict == "grant" else _("В переносе срока отказано."), "success"
    )
    return back_to(assignment)


@bp.route("/assignments/<int:assignment_id>/comment", methods=["POST"])
def comment(assignment_id: int):
    assignment = get_visible_or_404(current_user, Assignment, assignment_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Комментарий пустой."), "danger")
        return back_to(assignment)
    try:
        services.add_comment(db.session, assignment, current_user, form.body.data)
    except services.AssignmentError as error:
        return refuse(assignment, error)
    db.session.commit()
    return back_to(assignment)


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """Files are streamed back only to those who may see the assignment they belong to."""
    from tracker.assignments.models import ExecutionReport

    visible_reports = (
        sa.select(ExecutionReport.id).join(Assignment).where(visible_to(current_user, Assignment))
    )
    item = db.session.scalar(
        sa.select(Attachment).where(
            Attachment.id == attachment_id, Attachment.execution_report_id.in_(visible_reports)
        )
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


ORGANIZATION_PAGE = 50  # rows of one organization's page


@bp.route("/organizations/<int:org_id>")
def organization(org_id: int):
    """One organization's assignments and discipline: who is behind, and on what. The figures
    are one aggregate over all of them; the list shows one page of rows."""
    org = get_visible_or_404(current_user, Organization, org_id)
    at = request.args.get("at", type=_date_arg)
    f = queries.BoardFilter(organization_id=org.id, at=at)
    total = queries.count(db.session, current_user, f)
    pages = max((total + ORGANIZATION_PAGE - 1) // ORGANIZATION_PAGE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = queries.page_rows(
        db.session,
        current_user,
        f,
        limit=ORGANIZATION_PAGE,
        offset=(page - 1) * ORGANIZATION_PAGE,
    )
    figures = queries.figures(db.session, current_user, f)
    return render_template(
        "assignments/organization.html",
        org=org,
        rows=rows,
        figures=figures[0] if figures else None,
        overdue_ids=overdue_ids(rows, at),
        labels=services.STATE_LABELS,
        total=total,
        page=page,
        pages=pages,
        at=at,
    )


def _date_arg(value: str) -> date:
    return date.fromisoformat(value)
