from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from tracker.core.forms import Form
from tracker.notify.models import OUTBOX_STATE_LABELS


class SettingsForm(Form):
    notify_mode = RadioField(
        _l("Как присылать напоминания"),
        choices=[
            ("each", _l("Каждое напоминание отдельным письмом")),
            (
                "digest",
                _l("Одна сводка в день: что в сроке, что просрочено, что ждёт моей проверки"),
            ),
        ],
        validators=[DataRequired()],
    )
    event_mail = RadioField(
        _l("Как присылать события: отчёт на проверку, просьба о переносе, возврат, приём отчёта"),
        choices=[
            ("now", _l("Сразу, отдельным письмом")),
            ("digest", _l("В ежедневной сводке")),
        ],
        validators=[DataRequired()],
    )


def day_list(_form, field) -> None:
    try:
        days = sorted(
            {int(part) for part in field.data.replace(" ", "").split(",") if part}, reverse=True
        )
    except ValueError as error:
        raise ValidationError(_("Перечислите дни через запятую, например: 7, 3, 1")) from error
    if any(d < 1 or d > 60 for d in days):
        raise ValidationError(_("Дни до срока — от 1 до 60."))
    field.parsed = days


class PolicyForm(Form):
    organization_id = SelectField(_l("Орган управления образованием"), coerce=int)
    days_before = StringField(
        _l("За сколько дней до срока"), default="7, 3, 1", validators=[DataRequired(), day_list]
    )
    on_the_day = SelectField(
        _l("В день срока"),
        choices=[("1", _l("напоминать")), ("0", _l("не напоминать"))],
        default="1",
    )
    overdue_every_days = IntegerField(
        _l("После срока — каждые N дней"),
        default=3,
        validators=[DataRequired(), NumberRange(1, 30)],
    )
    escalate_after_days = IntegerField(
        _l("После N дней просрочки — одно письмо контролёру, напоминания исполнителю прекращаются"),
        default=30,
        validators=[DataRequired(), NumberRange(1, 365)],
    )
    send_hour = IntegerField(
        _l("Час отправки (по местному времени организации)"),
        default=9,
        validators=[DataRequired(), NumberRange(0, 23)],
    )


class CalendarDayForm(Form):
    day = DateField(_l("Дата"), validators=[DataRequired()])
    kind = SelectField(
        _l("Что это за день"),
        choices=[
            ("holiday", _l("Нерабочий (праздник, перенос)")),
            ("workday", _l("Рабочий (перенесённый)")),
        ],
    )
    note = StringField(_l("Примечание"), validators=[Optional(), Length(max=255)])


class OutboxFilterForm(Form):
    class Meta:
        csrf = False

    state = SelectField(
        _l("Состояние"),
        choices=[
            ("", _l("— все —")),
            *((state.value, label) for state, label in OUTBOX_STATE_LABELS.items()),
        ],
        validators=[Optional()],
    )
    recipient = StringField(_l("Получатель"), validators=[Optional(), Length(max=255)])
