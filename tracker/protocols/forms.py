"""Forms of the protocol import: the input (text or file) and the review of what was read.

The review carries the reading's structure (numbers, parents, sections, executors as written) in
one signed hidden field; what the user may change (header, texts, deadlines, executors, left-out
items) are ordinary fields. On confirm the structure's signature is checked and everything the
user sent is validated again by the service: the client is trusted for nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, Length, Optional

from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import DeadlineError
from tracker.core.forms import Form
from tracker.meetings.forms import KIND_LABELS, readable_deadline
from tracker.protocols.text import MAX_BYTES, ProtocolInputError, extract_text

REVIEW_SALT = "protocol-review"
REVIEW_MAX_AGE = 24 * 3600  # a review left open overnight must be read again


class ImportForm(Form):
    organization_id = SelectField(_l("Орган управления образованием"), coerce=int)
    text = TextAreaField(
        _l("Текст протокола"),
        validators=[Optional()],
        description=_l("Скопируйте весь текст протокола из документа и вставьте сюда."),
    )
    file = FileField(
        _l("…или файл протокола"),
        description=_l("Документ Word (.docx), OpenDocument (.odt) или текст (.txt), до 10 МБ."),
    )

    def protocol_text(self) -> str:
        """The protocol's text from the file or the field; ProtocolInputError (Russian) if none."""
        upload = self.file.data
        pasted = self.text.data or ""
        if upload and pasted.strip():
            raise ProtocolInputError(
                _(
                    "Загрузите файл или вставьте текст — что-то одно: очистите поле "
                    "или уберите файл."
                )
            )
        if upload:
            return extract_text(upload.filename or "", upload.read(MAX_BYTES + 1))
        if not pasted.strip():
            raise ProtocolInputError(
                _("Вставьте текст протокола в поле или загрузите файл (.docx, .odt, .txt).")
            )
        if len(pasted.encode("utf-8")) > MAX_BYTES:
            raise ProtocolInputError(
                _(
                    "Текст больше %(mb)s МБ: вставьте только текст протокола.",
                    mb=MAX_BYTES // (1024 * 1024),
                )
            )
        if "\x00" in pasted:
            raise ProtocolInputError(_("В тексте есть двоичные данные: вставьте обычный текст."))
        return pasted


class DecisionRowForm(SubForm):
    text = TextAreaField(_l("Текст пункта"), validators=[Optional(), Length(max=20000)])
    deadline_text = StringField(_l("Срок — как написано"), validators=[Optional(), Length(max=500)])
    organization_ids = SelectMultipleField(_l("Исполнители"), coerce=int, validators=[Optional()])
    needs_report = BooleanField(_l("Нужен отчёт"))
    skip = BooleanField(_l("Не включать пункт"))

    reference_day: date | None = None

    def validate_deadline_text(self, field) -> None:
        if not self.skip.data:
            readable_deadline(self, field)


class ReviewForm(Form):
    organization_id = HiddenField()
    structure = HiddenField()
    kind = SelectField(_l("Документ"), choices=list(KIND_LABELS.items()))
    number = StringField(_l("Номер"), validators=[Optional(), Length(max=40)])
    held_on = DateField(_l("Дата"), validators=[DataRequired()])
    place = StringField(_l("Место"), validators=[Optional(), Length(max=1000)])
    title = TextAreaField(
        _l("Совещание (как в заголовке протокола)"),
        validators=[DataRequired(), Length(max=2000)],
    )
    chair = StringField(_l("Председатель"), validators=[Optional(), Length(max=1000)])
    secretary = StringField(_l("Секретарь"), validators=[Optional(), Length(max=1000)])
    attendees = TextAreaField(_l("Присутствовали"), validators=[Optional(), Length(max=20000)])
    decisions = FieldList(FormField(DecisionRowForm))

    # --- between requests ---------------------------------------------------------------------

    def fill(self, reading: dict[str, Any], department_id: int, title: str) -> dict[str, Any]:
        """Fill the form from a fresh reading; returns the structure it carries (signed)."""
        from tracker.protocols.services import heading_positions

        headings = heading_positions(reading["decisions"])
        structure = _structure(reading, department_id, title, headings)
        self.organization_id.data = str(department_id)
        self.structure.data = _serializer().dumps(structure)
        self._fill_header(reading, title)
        for index, decision in enumerate(reading["decisions"]):
            task = structure["rows"][index]["needs_report"]
            self.decisions.append_entry(_decision_entry(decision, task))
        return structure

    def _fill_header(self, reading: dict[str, Any], title: str) -> None:
        self.kind.data = reading.get("kind") or "protocol"
        self.number.data = reading.get("number") or ""
        self.held_on.data = date.fromisoformat(reading["date"]) if reading.get("date") else None
        self.place.data = reading.get("place") or ""
        self.title.data = title
        self.chair.data = reading.get("chair") or ""
        self.secretary.data = reading.get("secretary") or ""
        self.attendees.data = _attendees_text(reading)

    def carried(self) -> dict[str, Any] | None:
        """The structure sent back with the form, if its signature holds (None otherwise)."""
        try:
            structure = _serializer().loads(self.structure.data or "", max_age=REVIEW_MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(structure, dict) or not isinstance(structure.get("rows"), list):
            return None
        return structure

    def prepare(self, structure: dict[str, Any], choices: list[tuple[int, str]]) -> None:
        """Executor choices and the reference day of deadlines, before validation."""
        for row in self.decisions:
            row.form.organization_ids.choices = choices
            row.form.reference_day = self.held_on.data

    def posted_organization_ids(self) -> list[int]:
        return [i for row in self.decisions for i in (row.form.organization_ids.data or [])]

    def planned_assignments(self, structure: dict[str, Any]) -> Counter[int]:
        """How many assignments confirming creates, per organization id: one per executor of
        every kept item that needs a report (headings and notes get none)."""
        planned: Counter[int] = Counter()
        for row, carried in zip(self.decisions, structure["rows"], strict=True):
            form = row.form
            if form.skip.data or not form.needs_report.data or carried.get("heading"):
                continue
            planned.update(dict.fromkeys(form.organization_ids.data or [], 1))
        return planned

    def reading(self, structure: dict[str, Any]) -> dict[str, Any]:
        """The reading as the user confirmed it, in the reader's shape (see services.confirm)."""
        decisions = [
            _confirmed(row.form, carried)
            for row, carried in zip(self.decisions, structure["rows"], strict=True)
        ]
        return {
            "kind": self.kind.data,
            "number": self.number.data or None,
            "date": self.held_on.data.isoformat() if self.held_on.data else None,
            "place": self.place.data or None,
            "chair": self.chair.data or None,
            "secretary": self.secretary.data or None,
            "title": self.title.data or "",
            "attendees": self.attendees.data or None,
            "agenda": structure.get("agenda") or [],
            "decisions": decisions,
        }


def _attendees_text(reading: dict[str, Any]) -> str:
    return "\n".join(a.get("text") or "" for a in reading.get("attendees") or [] if a.get("text"))


def _structure(
    reading: dict[str, Any], department_id: int, title: str, headings: set[int]
) -> dict[str, Any]:
    """What the review form carries between requests (signed): the reader's warnings, agenda,
    what is missing, and each row's place in the protocol."""
    missing = [
        name
        for name in ("kind", "number", "date", "place", "chair", "secretary")
        if not reading.get(name)
    ]
    return {
        "organization_id": department_id,
        "warnings": list(reading.get("warnings") or []),
        "controller": reading.get("controller"),
        "agenda": list(reading.get("agenda") or []),
        "missing": missing + ([] if title else ["title"]),
        "rows": [
            _row_structure(d, index in headings) for index, d in enumerate(reading["decisions"])
        ],
    }


def _row_structure(decision: dict[str, Any], heading: bool) -> dict[str, Any]:
    return {
        "number": decision.get("number"),
        "parent": decision.get("parent"),
        "section": decision.get("section"),
        "executor_group": decision.get("executor_group"),
        "executors": decision.get("executors") or [],
        "heading": heading,
        "needs_report": decision.get("needs_report") is not False and not heading,
    }


def _decision_entry(decision: dict[str, Any], task: bool) -> dict[str, Any]:
    """A decision row of the form: executors offered only for a task."""
    deadline = decision.get("deadline") or {}
    organization_ids = [
        e["organization_id"]
        for e in decision.get("executors") or []
        if e.get("organization_id") is not None
    ]
    return {
        "text": decision.get("text") or "",
        "deadline_text": deadline.get("text") or "",
        "organization_ids": organization_ids if task else [],
        "needs_report": task,
        "skip": False,
    }


def _confirmed(form: Any, carried: dict[str, Any]) -> dict[str, Any]:
    """A decision as the user confirmed it, in the reader's shape."""
    task = bool(form.needs_report.data) and not carried.get("heading")
    ids = list(dict.fromkeys(form.organization_ids.data)) if task else []
    return {
        "number": carried.get("number"),
        "parent": carried.get("parent"),
        "section": carried.get("section"),
        "executor_group": carried.get("executor_group"),
        "text": form.text.data or "",
        "deadline": {"text": form.deadline_text.data or ""},
        "executors": [{"organization_id": i} for i in ids],
        "needs_report": task,
        "skip": bool(form.skip.data),
    }


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=REVIEW_SALT)


def deadline_summary(text: str | None, reference_day: date | None) -> dict[str, Any]:
    """What the deadline words will be saved as: {"label", "error", "early"} for the review."""
    try:
        deadline = parse_deadline(text, today=reference_day)
    except DeadlineError as error:
        return {"label": None, "error": str(error), "early": False}
    due = deadline.due_date
    labels = {
        "date": _("до %(date)s включительно", date=due.strftime("%d.%m.%Y")) if due else "",
        "month": _("до %(date)s (последний день месяца)", date=due.strftime("%d.%m.%Y"))
        if due
        else "",
        "ongoing": _("постоянно, без даты"),
        "recurring": _("повторяется (по периодам)"),
        "relative": _(
            "за %(days)s дн. до события «%(event)s»: дата — когда станет известна дата события",
            days=deadline.offset_days or 0,
            event=deadline.event or "",
        ),
        "none": _("без срока"),
    }
    early = due is not None and reference_day is not None and due < reference_day
    return {"label": labels[deadline.kind], "error": None, "early": early}
