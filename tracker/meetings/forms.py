from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import DeadlineError
from tracker.core.forms import Form

KIND_LABELS = {
    "protocol": _l("Протокол"),
    "extract": _l("Выписка из протокола"),
    "reference": _l("Информационная справка"),
    "order": _l("Распоряжение (без совещания)"),
    "prikaz": _l("Приказ"),
    "resolution": _l("Постановление"),
    "decision": _l("Решение (совета, думы, коллегии)"),
}
STAGE_LABELS = {
    "goals": _l("Обоснованные цели"),
    "indicators": _l("Выбор показателей и методов сбора информации"),
    "monitoring": _l("Мониторинг"),
    "analysis": _l("Анализ и адресные рекомендации"),
    "decisions": _l("Меры и управленческие решения"),
    "effectiveness": _l("Анализ эффективности принятых мер"),
}


def readable_deadline(form, field) -> None:
    """The deadline words must be readable; the message says what is expected."""
    try:
        parse_deadline(field.data, today=getattr(form, "reference_day", None))
    except DeadlineError as error:
        raise ValidationError(str(error)) from error


class AgendaItemForm(SubForm):
    title = TextAreaField(_l("Вопрос повестки"), validators=[Optional(), Length(max=5000)])
    speaker = StringField(_l("Докладчик"), validators=[Optional(), Length(max=1000)])
    heard = TextAreaField(_l("Слушали"), validators=[Optional(), Length(max=20000)])


class MeetingForm(Form):
    organization_id = SelectField(_l("Орган управления образованием"), coerce=int)
    kind = SelectField(_l("Документ"), choices=list(KIND_LABELS.items()))
    number = StringField(_l("Номер"), validators=[Optional(), Length(max=40)])
    held_on = DateField(_l("Дата"), validators=[DataRequired()])
    time_text = StringField(_l("Время"), validators=[Optional(), Length(max=60)])
    place = StringField(_l("Место"), validators=[Optional(), Length(max=1000)])
    title = TextAreaField(
        _l("Совещание (как в заголовке протокола)"), validators=[DataRequired(), Length(max=2000)]
    )
    topic = TextAreaField(_l("Тема"), validators=[Optional(), Length(max=2000)])
    chair = StringField(_l("Председатель"), validators=[Optional(), Length(max=1000)])
    secretary = StringField(_l("Секретарь"), validators=[Optional(), Length(max=1000)])
    attendees = TextAreaField(_l("Присутствовали"), validators=[Optional(), Length(max=20000)])
    agenda = FieldList(FormField(AgendaItemForm), min_entries=1)


class DecisionForm(Form):
    parent_id = SelectField(_l("Подпункт к пункту"), coerce=int, validators=[Optional()])
    number = StringField(
        _l("Номер пункта (1, 1.2, 1.3.1)"), validators=[Optional(), Length(max=40)]
    )
    section = StringField(
        _l("Раздел (кому адресован список)"), validators=[Optional(), Length(max=2000)]
    )
    text = TextAreaField(_l("Текст решения"), validators=[DataRequired(), Length(max=20000)])
    executor_group = StringField(
        _l("Исполнители словами протокола"), validators=[Optional(), Length(max=2000)]
    )
    all_schools = BooleanField(_l("Всем подведомственным ОО"))
    organization_ids = SelectMultipleField(_l("Организации-исполнители"), coerce=int)
    user_ids = SelectMultipleField(_l("Исполнители-люди"), coerce=int)
    lead_id = SelectField(_l("Ответственный исполнитель"), coerce=int, validators=[Optional()])
    controller_id = SelectField(_l("Контролёр"), coerce=int, validators=[Optional()])
    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    cycle_stage = SelectField(
        _l("Этап управленческого цикла"),
        choices=[("", _l("— не указан —")), *STAGE_LABELS.items()],
        validators=[Optional()],
    )
    deadline_text = StringField(
        _l("Срок — как написано в протоколе"),
        validators=[Optional(), Length(max=500), readable_deadline],
        description=_l(
            "Например: %(examples)s.",
            examples="«в срок до 27.02.2023», «Срок: январь 2024 года», «постоянно», "
            "«ежеквартально», «не менее трех дней до проведения процедуры»",
        ),
    )
    event_date = DateField(_l("Дата события (для срока «за N дней до …»)"), validators=[Optional()])
    reason = StringField(_l("Причина изменения"), validators=[Optional(), Length(max=2000)])
