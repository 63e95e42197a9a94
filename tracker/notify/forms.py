from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from tracker.core.forms import Form


class SettingsForm(Form):
    notify_mode = RadioField(
        "Как присылать напоминания",
        choices=[
            ("each", "Каждое напоминание отдельным письмом"),
            ("digest", "Одна сводка в день: что в сроке, что просрочено, что ждёт моей проверки"),
        ],
        validators=[DataRequired()],
    )


def day_list(_form, field) -> None:
    try:
        days = sorted(
            {int(part) for part in field.data.replace(" ", "").split(",") if part}, reverse=True
        )
    except ValueError as error:
        raise ValidationError("Перечислите дни через запятую, например: 7, 3, 1") from error
    if any(d < 1 or d > 60 for d in days):
        raise ValidationError("Дни до срока — от 1 до 60.")
    field.parsed = days


class PolicyForm(Form):
    organization_id = SelectField("Орган управления образованием", coerce=int)
    days_before = StringField(
        "За сколько дней до срока", default="7, 3, 1", validators=[DataRequired(), day_list]
    )
    on_the_day = SelectField(
        "В день срока", choices=[("1", "напоминать"), ("0", "не напоминать")], default="1"
    )
    overdue_every_days = IntegerField(
        "После срока — каждые N дней", default=3, validators=[DataRequired(), NumberRange(1, 30)]
    )
    escalate_after_days = IntegerField(
        "Сообщать контролёру после N дней просрочки",
        default=7,
        validators=[DataRequired(), NumberRange(1, 90)],
    )
    send_hour = IntegerField(
        "Час отправки (по местному времени организации)",
        default=9,
        validators=[DataRequired(), NumberRange(0, 23)],
    )


class CalendarDayForm(Form):
    day = DateField("Дата", validators=[DataRequired()])
    kind = SelectField(
        "Что это за день",
        choices=[
            ("holiday", "Нерабочий (праздник, перенос)"),
            ("workday", "Рабочий (перенесённый)"),
        ],
    )
    note = StringField("Примечание", validators=[Optional(), Length(max=255)])


class OutboxFilterForm(Form):
    class Meta:
        csrf = False

    state = SelectField(
        "Состояние",
        choices=[
            ("", "— все —"),
            ("pending", "в очереди"),
            ("sending", "отправляется"),
            ("sent", "отправлено"),
            ("failed", "ошибка"),
            ("cancelled", "отменено"),
        ],
        validators=[Optional()],
    )
    recipient = StringField("Получатель", validators=[Optional(), Length(max=255)])
