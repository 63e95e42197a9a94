"""The road maps' forms, and the plan's table as its editor posts it (rows, and the row operations
the editor offers before saving)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.core.forms import Form, LongSelect
from tracker.roadmaps.models import ActionStatus
from tracker.roadmaps.services import ActionRow


class RoadMapForm(Form):
    organization_id = SelectField(_l("Организация"), coerce=int)
    title = StringField(_l("Название"), validators=[DataRequired(), Length(max=1000)])
    period_start = DateField(_l("Период с"), validators=[Optional()])
    period_end = DateField(_l("по"), validators=[Optional()])
    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    goal_id = SelectField(_l("Цель"), coerce=int, validators=[Optional()])
    approver_block = TextAreaField(
        _l("Гриф «УТВЕРЖДАЮ» (если не указан, составляется по организации)"),
        validators=[Optional(), Length(max=2000)],
    )
    assignment_id = HiddenField()


class ImportForm(Form):
    file = FileField(_l("Файл с таблицей (.xlsx или .docx)"))


class MoveForm(Form):
    """Submit or reopen for changes: nothing but the CSRF token."""


class ReviewForm(Form):
    comment = TextAreaField(_l("Общий комментарий"), validators=[Optional(), Length(max=5000)])


class MarkForm(Form):
    status = SelectField(
        _l("Состояние"),
        choices=[
            (ActionStatus.DONE, _l("выполнено")),
            (ActionStatus.IN_PROGRESS, _l("выполняется")),
            (ActionStatus.PLANNED, _l("запланировано")),
        ],
    )
    completed_on = DateField(_l("Дата выполнения"), validators=[Optional()])
    evidence = TextAreaField(
        _l("Подтверждение: что сделано, ссылки"), validators=[Optional(), Length(max=5000)]
    )
    files = MultipleFileField(_l("Файлы (PDF, DOCX, XLSX, ODT, JPG, PNG …)"))


class ListFilterForm(Form):
    class Meta:
        csrf = False

    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    organization_id = SelectField(
        _l("Организация"), coerce=int, validators=[Optional()], widget=LongSelect()
    )
    status = SelectField(_l("Состояние"), validators=[Optional()])


# --- the plan's table as its editor posts it ----------------------------------------------------

ROW_INPUTS = (
    "id",
    "level",
    "number",
    "text",
    "deadline_text",
    "responsible",
    "expected_result",
    "target_value",
    "resources",
    "dropped",
)


def posted_rows() -> list[ActionRow]:
    """The table as posted: rows-<n>-<input>, in the order of n."""
    numbers = sorted(
        {int(k.split("-")[1]) for k in request.form if k.startswith("rows-") and k.count("-") >= 2}
    )
    rows = []
    for n in numbers:
        value = {name: request.form.get(f"rows-{n}-{name}", "") for name in ROW_INPUTS}
        try:
            row_id = int(value["id"]) if value["id"] else None
            level = int(value["level"] or 0)
        except ValueError:
            abort(400)
        rows.append(
            ActionRow(
                id=row_id,
                level=max(0, min(level, 5)),
                number=value["number"],
                text=value["text"],
                deadline_text=value["deadline_text"],
                responsible=value["responsible"],
                expected_result=value["expected_result"],
                target_value=value["target_value"],
                resources=value["resources"],
                dropped=bool(value["dropped"]),
            )
        )
    return rows


def apply_op(rows: list[ActionRow], op: str) -> list[ActionRow]:
    """Add a row, move one up or down, indent or outdent it, delete it (not yet saved)."""
    name, _sep, index = op.partition(":")
    if name == "add":
        level = rows[-1].level if rows else 0
        return [*rows, ActionRow(text="", level=level)]
    try:
        i = int(index)
        rows[i]
    except (ValueError, IndexError):
        abort(400)
    change = _ROW_OPS.get(name)
    if change is not None:
        change(rows, i)
    return rows


def _up(rows: list[ActionRow], i: int) -> None:
    if i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]


def _down(rows: list[ActionRow], i: int) -> None:
    if i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]


def _indent(rows: list[ActionRow], i: int) -> None:
    rows[i].level = min(rows[i].level + 1, (rows[i - 1].level + 1) if i > 0 else 0)


def _outdent(rows: list[ActionRow], i: int) -> None:
    rows[i].level = max(rows[i].level - 1, 0)


def _delete(rows: list[ActionRow], i: int) -> None:
    del rows[i]


def _insert(rows: list[ActionRow], i: int) -> None:
    rows.insert(i + 1, ActionRow(text="", level=rows[i].level))


_ROW_OPS: dict[str, Callable[[list[ActionRow], int], None]] = {
    "up": _up,
    "down": _down,
    "indent": _indent,
    "outdent": _outdent,
    "delete": _delete,
    "insert": _insert,
}
