"""The cycle's forms, and reading what their pages post beyond WTForms' fields (a workbook of
values, rows of recommendations)."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.core import files
from tracker.core.forms import Form
from tracker.core.tenancy import Organization
from tracker.cycle import documents
from tracker.cycle.models import Indicator
from tracker.cycle.values import CycleError


class GoalForm(Form):
    organization_id = SelectField(_l("Орган управления"), coerce=int)
    direction_id = SelectField(_l("Направление"), coerce=int)
    statement = TextAreaField(_l("Цель"), validators=[DataRequired(), Length(max=5000)])
    period_start = DateField(_l("Период с"), validators=[Optional()])
    period_end = DateField(_l("по"), validators=[Optional()])
    indicator_ids = SelectMultipleField(_l("Показатели, которыми измеряется"), coerce=int)
    new_indicators = TextAreaField(
        _l("Новые показатели — по одному в строке: код, пробел, название"),
        validators=[Optional(), Length(max=20000)],
    )


class IndicatorForm(Form):
    organization_id = SelectField(_l("Орган управления"), coerce=int)
    direction_id = SelectField(_l("Направление"), coerce=int)
    code = StringField(_l("Код"), validators=[DataRequired(), Length(max=40)])
    name = TextAreaField(_l("Название"), validators=[DataRequired(), Length(max=2000)])
    unit = SelectField(_l("Единица"))
    max_value = DecimalField(_l("Максимальный балл"), validators=[Optional(), NumberRange(0)])
    better = SelectField(
        _l("Лучше, когда значение"),
        choices=[("higher", _l("выше")), ("lower", _l("ниже"))],
    )
    method = TextAreaField(_l("Метод сбора"), validators=[Optional(), Length(max=2000)])
    source = StringField(_l("Источник"), validators=[Optional(), Length(max=1000)])
    periodicity = StringField(
        _l("Периодичность (ежегодно, ежеквартально …)"), validators=[Optional(), Length(max=40)]
    )
    target_value = DecimalField(_l("Целевое значение"), validators=[Optional()])
    threshold_value = DecimalField(
        _l("Порог риска (хуже него — школа в зоне риска)"), validators=[Optional()]
    )
    organization_ids = SelectMultipleField(_l("К каким организациям относится"), coerce=int)


class CampaignForm(Form):
    organization_id = SelectField(_l("Орган управления"), coerce=int)
    direction_id = SelectField(_l("Направление"), coerce=int)
    title = StringField(_l("Название"), validators=[DataRequired(), Length(max=500)])
    period = StringField(_l("Период (2023, 2023-Q1, 2022/2023)"), validators=[DataRequired()])
    deadline_text = StringField(
        _l("Срок представления (словами: «в срок до 15.03.2023»)"), validators=[DataRequired()]
    )
    indicator_ids = SelectMultipleField(_l("Показатели"), coerce=int)
    school_ids = SelectMultipleField(_l("Организации"), coerce=int)
    manual_acceptance = BooleanField(
        _l(
            "Принимать значения вручную (иначе поручение школы закрывается само, "
            "когда все значения представлены)"
        )
    )


class UploadForm(Form):
    file = FileField(_l("Файл .xlsx (шаблон со страницы)"))


class AnalysisForm(Form):
    organization_id = SelectField(_l("Орган управления"), coerce=int)
    direction_id = SelectField(_l("Направление"), coerce=int)
    indicator_id = SelectField(_l("Показатель"), coerce=int, validators=[Optional()])
    period = StringField(_l("Период"), validators=[Optional(), Length(max=20)])
    title = StringField(_l("Название"), validators=[DataRequired(), Length(max=500)])
    text = TextAreaField(_l("Выводы"), validators=[Optional(), Length(max=20000)])


class DecideForm(Form):
    deadline_text = StringField(
        _l("Срок (словами протокола)"), validators=[DataRequired(), Length(max=500)]
    )
    meeting_id = SelectField(_l("Пункт какого совещания"), coerce=int, validators=[Optional()])


class ReviewForm(Form):
    organization_id = SelectField(_l("Орган управления"), coerce=int)
    direction_id = SelectField(_l("Направление"), coerce=int)
    indicator_id = SelectField(_l("Показатель"), coerce=int, validators=[Optional()])
    period_before = StringField(_l("Период «до»"), validators=[Optional(), Length(max=20)])
    period_after = StringField(_l("Период «после»"), validators=[Optional(), Length(max=20)])
    decision_ids = SelectMultipleField(_l("Решения"), coerce=int)
    verdict = SelectField(
        _l("Вывод"),
        choices=[
            ("effective", _l("эффективно")),
            ("partial", _l("частично")),
            ("ineffective", _l("неэффективно")),
        ],
    )
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=10000)])


def picked(offered: list[Any], ids: list[int] | None) -> list[Any]:
    """The offered objects whose ids the form posted, in the offered order."""
    wanted = set(ids or [])
    return [item for item in offered if item.id in wanted]


def indicator_choices(indicators: list[Indicator], empty: str | None = None) -> list[Any]:
    choices = [(i.id, f"{i.code} {i.name[:80]}") for i in indicators]
    return [(0, empty), *choices] if empty else choices


def decision_choices(decisions: list[Any]) -> list[tuple[int, str]]:
    return [(d.id, f"{d.number or ''} {d.text[:100]}") for d in decisions]


def posted_values(upload: UploadForm, indicators: list[Indicator]) -> dict[Indicator, Any]:
    """The values of the form: from an uploaded workbook if there is one, else as typed."""
    if not (upload.file.data and upload.file.data.filename):
        return {i: request.form.get(f"value-{i.id}", "") for i in indicators}
    data = upload.file.data.stream.read(files.max_file_size() + 1)
    if len(data) > files.max_file_size():
        raise CycleError(_("Файл больше %(mb)s МБ.", mb=files.max_file_size() // 2**20))
    return documents.read_values(data, indicators)


def posted_recommendations(addressees: list[Organization]) -> list[tuple[Organization, str]]:
    """The form's rows «addressee, text» (up to ten); an addressee not offered is a 404."""
    by_id = {o.id: o for o in addressees}
    recommendations = []
    for n in range(1, 11):
        text = (request.form.get(f"rec-{n}-text") or "").strip()
        org_id = request.form.get(f"rec-{n}-org", type=int)
        if text:
            if org_id not in by_id:
                abort(404)
            recommendations.append((by_id[org_id], text))
    return recommendations
