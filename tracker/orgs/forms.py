from zoneinfo import available_timezones

from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from tracker.core.forms import Form

ORG_KIND_LABELS = {
    "region": "Регион",
    "department": "Орган управления образованием",
    "school": "Общеобразовательная организация",
    "kindergarten": "Дошкольная организация",
    "additional": "Организация дополнительного образования",
    "center": "Центр / МБУ",
}
ROLE_LABELS = {
    "admin": "Администратор",
    "staff": "Специалист управления образования",
    "director": "Директор ОО",
    "school_staff": "Сотрудник ОО",
}


def validate_timezone(_form, field) -> None:
    if field.data not in available_timezones():
        raise ValidationError("Неизвестный часовой пояс. Пример: Europe/Moscow, Asia/Vladivostok.")


class OrganizationForm(Form):
    parent_id = SelectField("Вышестоящая организация", coerce=int)
    kind = SelectField("Тип", choices=list(ORG_KIND_LABELS.items()))
    short_name = StringField("Краткое наименование", validators=[DataRequired(), Length(max=255)])
    full_name = TextAreaField("Полное наименование", validators=[Optional(), Length(max=2000)])
    municipality = StringField(
        "Муниципальное образование", validators=[Optional(), Length(max=255)]
    )
    email = EmailField(
        "Электронная почта", validators=[Optional(), Email("Неверный адрес."), Length(max=255)]
    )
    timezone = StringField(
        "Часовой пояс", default="Europe/Moscow", validators=[DataRequired(), validate_timezone]
    )


class InviteForm(Form):
    email = EmailField(
        "Электронная почта", validators=[DataRequired(), Email("Неверный адрес."), Length(max=255)]
    )
    full_name = StringField("ФИО", validators=[DataRequired(), Length(max=255)])
    position = StringField("Должность", validators=[Optional(), Length(max=500)])
    organization_id = SelectField("Организация", coerce=int)
    role = SelectField("Роль", choices=list(ROLE_LABELS.items()))


class RoleForm(Form):
    organization_id = SelectField("Организация", coerce=int)
    role = SelectField("Роль", choices=list(ROLE_LABELS.items()))
