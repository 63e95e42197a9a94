"""The sheet form and the scoring grid (organizations × criteria)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.core.forms import Form
from tracker.evaluations.services import DEFAULT_SCALE, scale_to_lines

KIND_CHOICES = [
    ("expert", _l("Экспертный лист: баллы 0/1/2 по критериям")),
    ("diagnostic", _l("Диагностическая карта: «отрицательные» критерии 0/1 и порог")),
]


class SheetForm(Form):
    organization_id = SelectField(_l("Орган управления образованием"), coerce=int)
    kind = SelectField(_l("Вид"), choices=KIND_CHOICES, default="expert")
    title = TextAreaField(_l("Название"), validators=[DataRequired(), Length(max=2000)])
    description = TextAreaField(
        _l("Описание (цель, вопросы, дата собеседования)"),
        validators=[Optional(), Length(max=20000)],
    )
    scale = TextAreaField(
        _l("Шкала — по строке на балл, например «2 — в полной мере»"),
        default=scale_to_lines(DEFAULT_SCALE),
        validators=[Optional(), Length(max=2000)],
    )
    criteria = TextAreaField(
        _l("Критерии — по одному в строке: «1. Текст критерия»; другой максимум: «… | 3»"),
        validators=[DataRequired(), Length(max=100000)],
    )
    default_max = IntegerField(
        _l("Максимальный балл критерия (по умолчанию: 2, в диагностической карте 1)"),
        validators=[Optional(), NumberRange(1, 100)],
    )
    threshold = IntegerField(
        _l("Порог «низких результатов» (только для диагностической карты)"),
        validators=[Optional(), NumberRange(1, 10000)],
    )


class ScoreGridForm(Form):
    """The grid's own cells are read by `read_grid`; this form holds the CSRF token and the date
    used for rows that have none of their own."""

    evaluated_on = DateField(_l("Дата оценки"), validators=[Optional()])


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""


CELL = re.compile(r"^score-(\d+)-(\d+)$")
ROW_FIELD = re.compile(r"^(date|findings|recommendations)-(\d+)$")
MAX_TEXT = 20000


@dataclass
class GridRow:
    """One organization's row of the grid, as posted."""

    organization_id: int
    scores: dict[int, int | None] = field(default_factory=dict)
    evaluated_on: date | None = None
    findings: str = ""
    recommendations: str = ""

    @property
    def blank(self) -> bool:
        return (
            all(v is None for v in self.scores.values())
            and not self.findings.strip()
            and not self.recommendations.strip()
        )


def _parse_date(raw: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def read_grid(
    data: Mapping[str, str], default_date: date | None
) -> tuple[list[GridRow], list[str]]:
    """The posted cells (`score-<org>-<criterion>`, `date-<org>`, `findings-<org>`,
    `recommendations-<org>`) by organization; what cannot be read is listed in Russian."""
    rows: dict[int, GridRow] = {}
    errors: list[str] = []
    for name in data:
        value = (data.get(name) or "").strip()
        if cell := CELL.match(name):
            org_id, criterion_id = int(cell.group(1)), int(cell.group(2))
            row = rows.setdefault(org_id, GridRow(org_id))
            if not value:
                row.scores[criterion_id] = None
            elif re.fullmatch(r"-?\d{1,6}", value):
                row.scores[criterion_id] = int(value)
            else:
                errors.append(_("Балл «%(value)s» — не число.", value=value[:20]))
        elif other := ROW_FIELD.match(name):
            kind, org_id = other.group(1), int(other.group(2))
            row = rows.setdefault(org_id, GridRow(org_id))
            if kind == "date":
                if value:
                    try:
                        row.evaluated_on = _parse_date(value)
                    except ValueError:
                        errors.append(
                            _("Дата «%(value)s» не распознана (ДД.ММ.ГГГГ).", value=value[:20])
                        )
            elif len(value) > MAX_TEXT:
                errors.append(_("Текст длиннее %(n)s знаков не сохраняется.", n=MAX_TEXT))
            elif kind == "findings":
                row.findings = value
            else:
                row.recommendations = value
    for row in rows.values():
        if row.evaluated_on is None:
            row.evaluated_on = default_date
    return list(rows.values()), errors
