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

from tracker.core.deadlines import DeadlineError, parse_deadline
from tracker.core.forms import Form

KIND_LABELS = {
    "protocol": "Протокол",
    "extract": "Выписка из протокола",
    "reference": "Информационная справка",
    "order": "Распоряжение (без совещания)",
}
STAGE_LABELS = {
    "goals": "Обоснованные цели",
    "indicators": "Выбор показателей и методов сбора информации",
    "monitoring": "Мониторинг",
    "analysis": "Анализ и адресные рекомендации",
    "decisions": "Меры и управленческие решения",
    "effectiveness": "Анализ эффективности принятых мер",
}


def readable_deadline(form, field) -> None:
    """The deadline words must be readable; the message says what is expected."""
    try:
        parse_deadline(field.data, today=getattr(form, "reference_day", None))
    except DeadlineError as error:
        raise ValidationError(str(error)) from error


class AgendaItemForm(SubForm):
    title = TextAreaField("Вопрос повестки", validators=[Optional(), Length(max=5000)])
    speaker = StringField("Докладчик", validators=[Optional(), Length(max=1000)])
    heard = TextAreaField("Слушали", validators=[Optional(), Length(max=20000)])


class MeetingForm(Form):
    organization_id = SelectField("Орган управления образованием", coerce=int)
    kind = SelectField("Документ", choices=list(KIND_LABELS.items()))
    number = StringField("Номер", validators=[Optional(), Length(max=40)])
    held_on = DateField("Дата", validators=[DataRequired()])
    time_text = StringField("Время", validators=[Optional(), Length(max=60)])
    place = StringField("Место", validators=[Optional(), Length(max=1000)])
    title = TextAreaField(
        "Совещание (как в заголовке протокола)", validators=[DataRequired(), Length(max=2000)]
    )
    topic = TextAreaField("Тема", validators=[Optional(), Length(max=2000)])
    chair = StringField("Председатель", validators=[Optional(), Length(max=1000)])
    secretary = StringField("Секретарь", validators=[Optional(), Length(max=1000)])
    attendees = TextAreaField("Присутствовали", validators=[Optional(), Length(max=20000)])
    agenda = FieldList(FormField(AgendaItemForm), min_entries=1)


class DecisionForm(Form):
    parent_id = SelectField("Подпункт к пункту", coerce=int, validators=[Optional()])
    number = StringField("Номер пункта (1, 1.2, 1.3.1)", validators=[Optional(), Length(max=40)])
    section = StringField(
        "Раздел (кому адресован список)", validators=[Optional(), Length(max=2000)]
    )
    text = TextAreaField("Текст решения", validators=[DataRequired(), Length(max=20000)])
    executor_group = StringField(
        "Исполнители словами протокола", validators=[Optional(), Length(max=2000)]
    )
    all_schools = BooleanField("Всем подведомственным ОО")
    organization_ids = SelectMultipleField("Организации-исполнители", coerce=int)
    user_ids = SelectMultipleField("Исполнители-люди", coerce=int)
    lead_id = SelectField("Ответственный исполнитель", coerce=int, validators=[Optional()])
    controller_id = SelectField("Контролёр", coerce=int, validators=[Optional()])
    direction_id = SelectField("Направление", coerce=int, validators=[Optional()])
    cycle_stage = SelectField(
        "Этап управленческого цикла",
        choices=[("", "— не указан —"), *STAGE_LABELS.items()],
        validators=[Optional()],
    )
    deadline_text = StringField(
        "Срок — как написано в протоколе",
        validators=[Optional(), Length(max=500), readable_deadline],
        description="Например: «в срок до 27.02.2023», «Срок: январь 2024 года», «постоянно», "
        "«ежеквартально», «не менее трех дней до проведения процедуры».",
    )
    event_date = DateField("Дата события (для срока «за N дней до …»)", validators=[Optional()])
    reason = StringField("Причина изменения", validators=[Optional(), Length(max=2000)])
