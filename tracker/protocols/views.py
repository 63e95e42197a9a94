"""Protocol import (department staff): paste or upload → review what was read → confirm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core.audit import record_denied
from tracker.core.deadlines import DeadlineError
from tracker.core.errors import Refused
from tracker.core.permissions import departments_for, get_visible_or_404
from tracker.core.tenancy import Organization
from tracker.core.text import natural_key
from tracker.extensions import db
from tracker.meetings.services import executor_candidates
from tracker.protocols import services
from tracker.protocols.forms import ImportForm, ReviewForm, deadline_summary
from tracker.protocols.text import MAX_BYTES, ProtocolInputError

bp = Blueprint("protocols", __name__, url_prefix="/protocols")

# A review posts one value per executor per item: far more than Werkzeug's default 1000 parts
# for a long protocol. The limits must be set before the CSRF check parses the form, which runs
# in the app's before_request; URL value preprocessors run before every before_request.
FORM_PARTS = 50_000
FORM_MEMORY = MAX_BYTES + 2 * 1024 * 1024


@bp.url_value_preprocessor
def raise_form_limits(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    request.max_form_parts = FORM_PARTS
    request.max_form_memory_size = FORM_MEMORY


@bp.before_request
@login_required
def authenticated():
    pass


def _departments() -> list[Organization]:
    """Departments where the user records meetings; 403 (audited) if there are none."""
    departments = departments_for(db.session, current_user, "meeting.manage")
    if not departments:
        record_denied(current_user, "protocols", None, "meeting.manage")
        abort(403)
    return departments


def _department(organization_id: Any) -> Organization:
    """The department chosen, through the permission filter: foreign or unknown is 404."""
    try:
        organization_id = int(organization_id)
    except (TypeError, ValueError):
        abort(400)
    department = get_visible_or_404(current_user, Organization, organization_id, "meeting.manage")
    if department.kind != "department":
        record_denied(current_user, "organizations", department.id, "meeting.manage")
        abort(404)
    return department


@bp.route("/import", methods=["GET", "POST"])
def start():
    departments = _departments()
    form = ImportForm()
    form.organization_id.choices = [(d.id, d.short_name) for d in departments]
    errors: list[str] = []
    warnings: list[str] = []
    if request.method == "POST":
        # checked before the form: a foreign department is 404 (audited), not a form error
        department = _department(request.form.get("organization_id"))
    if form.validate_on_submit():
        try:
            text = form.protocol_text()
        except ProtocolInputError as error:
            errors.append(str(error))
        else:
            reading = services.read(db.session, department, text)
            if reading["decisions"]:
                review = ReviewForm(formdata=None)
                title = reading.get("title") or services.suggest_title(text)
                structure = review.fill(reading, department.id, title)
                return _review(review, structure, department)
            errors.append(
                _(
                    "В тексте не найдены пункты решения (после «РЕШИЛИ», «ПОСТАНОВИЛИ», "
                    "«Рекомендации»): создавать нечего. Проверьте, что это протокол, или "
                    "внесите совещание вручную."
                )
            )
            warnings = reading["warnings"]
    return render_template("protocols/import.html", form=form, errors=errors, warnings=warnings)


@bp.route("/import/confirm", methods=["POST"])
def confirm():
    _departments()
    department = _department(request.form.get("organization_id"))
    form = ReviewForm()
    structure = form.carried()
    if (
        structure is None
        or structure.get("organization_id") != department.id
        or len(form.decisions) != len(structure["rows"])
    ):
        abort(400)
    candidates = executor_candidates(db.session, department)
    allowed = {o.id for o in candidates}
    for organization_id in _posted_ids():
        if organization_id not in allowed:
            # someone else's organization: 404 and audited, like any foreign id
            get_visible_or_404(current_user, Organization, organization_id, "meeting.manage")
    form.prepare(structure, _choices(candidates))
    errors: list[str] = []
    if form.validate():
        try:
            meeting = services.confirm(
                db.session, department, current_user, form.reading(structure)
            )
        except (Refused, DeadlineError) as error:
            db.session.rollback()
            errors.append(str(error))
        else:
            decisions, assignments = services.created_counts(db.session, meeting)
            db.session.commit()
            flash(
                _(
                    "Протокол сохранён: %(decisions)s пунктов, %(assignments)s поручений",
                    decisions=decisions,
                    assignments=assignments,
                ),
                "success",
            )
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    else:
        errors.append(_("Исправьте отмеченные поля: ничего не сохранено."))
    return _review(form, structure, department, errors)


def _choices(candidates: list[Organization]) -> list[tuple[int, str]]:
    """The department first, then its organizations in natural order («№ 3» before «№ 10»)."""
    ordered = sorted(candidates, key=lambda o: (o.kind != "department", natural_key(o.short_name)))
    return [(o.id, o.short_name) for o in ordered]


def _posted_ids() -> list[int]:
    ids = []
    for key in request.form:
        if key.startswith("decisions-") and key.endswith("-organization_ids"):
            for value in request.form.getlist(key):
                if not value.strip().isdigit():
                    abort(400)
                ids.append(int(value))
    return ids


def _review(
    form: ReviewForm,
    structure: dict[str, Any],
    department: Organization,
    errors: list[str] | None = None,
):
    candidates = executor_candidates(db.session, department)
    form.prepare(structure, _choices(candidates))
    parents = services.decision_references(structure["rows"])
    depth: list[int] = []
    for parent in parents:
        depth.append(depth[parent] + 1 if parent is not None else 0)
    rows = [
        {
            "form": row.form,
            "carried": carried,
            "depth": min(depth[index], 4),
            "label": services.item_label(carried, index),
            "deadline": deadline_summary(row.form.deadline_text.data, form.held_on.data),
        }
        for index, (row, carried) in enumerate(zip(form.decisions, structure["rows"], strict=True))
    ]
    names = {o.id: o.short_name for o in candidates}
    planned = form.planned_assignments(structure)
    return render_template(
        "protocols/review.html",
        form=form,
        structure=structure,
        department=department,
        rows=rows,
        errors=errors or [],
        names=names,
        planned=[
            (names.get(i, str(i)), n) for i, n in sorted(planned.items(), key=_by_name(names))
        ],
        planned_total=sum(planned.values()),
    )


def _by_name(names: dict[int, str]):
    return lambda pair: natural_key(names.get(pair[0], ""))
