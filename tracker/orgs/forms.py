from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from tracker.core.forms import Form

ORG_KIND_LABELS = {
    "region": _l("Регион"),
    "department": _l("Орган управления образованием"),
    "school": _l("Общеобразовательная организация"),
    "kindergarten": _l("Дошкольная организация"),
    "additional": _l("Организация дополнительного образования"),
    "center": _l("Центр / МБУ"),
}
ROLE_LABELS = {
    "admin": _l("Администратор"),
    "staff": _l("Специалист управления образования"),
    "director": _l("Директор ОО"),
    "school_staff": _l("Сотрудник ОО"),
}


def validate_timezone(_form, field) -> None:
    if field.data not in available_timezones():
        raise ValidationError(
            _("Неизвестный часовой пояс. Пример: Europe/Moscow, Asia/Vladivostok.")
        )


class OrganizationForm(Form):
    parent_id = SelectField(_l("Вышестоящая организация"), coerce=int)
    kind = SelectField(_l("Тип"), choices=list(ORG_KIND_LABELS.items()))
    short_name = StringField(
        _l("Краткое наименование"), validators=[DataRequired(), Length(max=255)]
    )
    full_name = TextAreaField(_l("Полное наименование"), validators=[Optional(), Length(max=2000)])
    municipality = StringField(
        _l("Муниципальное образование"), validators=[Optional(), Length(max=255)]
    )
    email = EmailField(
        _l("Электронная почта"),
        validators=[Optional(), Email(_l("Неверный адрес.")), Length(max=255)],
    )
    timezone = StringField(
        _l("Часовой пояс"), default="Europe/Moscow", validators=[DataRequired(), validate_timezone]
    )


class InviteForm(Form):
    email = EmailField(
        _l("Электронная почта"),
        validators=[DataRequired(), Email(_l("Неверный адрес.")), Length(max=255)],
    )
    full_name = StringField(_l("ФИО"), validators=[DataRequired(), Length(max=255)])
    position = StringField(_l("Должность"), validators=[Optional(), Length(max=500)])
    organization_id = SelectField(_l("Организация"), coerce=int)
    role = SelectField(_l("Роль"), choices=list(ROLE_LABELS.items()))


class RoleForm(Form):
    organization_id = SelectField(_l("Организация"), coerce=int)
    role = SelectField(_l("Роль"), choices=list(ROLE_LABELS.items()))
