from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from tracker.core.forms import Form


class LoginForm(Form):
    email = EmailField(_l("Электронная почта"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Запомнить меня"))


class SetPasswordForm(Form):
    password = PasswordField(
        _l("Новый пароль"), validators=[DataRequired(), Length(min=10, max=200)]
    )
    confirm = PasswordField(
        _l("Повторите пароль"),
        validators=[DataRequired(), EqualTo("password", message=_l("Пароли не совпадают."))],
    )


class ForgotPasswordForm(Form):
    email = StringField(
        _l("Электронная почта"),
        validators=[DataRequired(), Email(_l("Неверный адрес.")), Length(max=255)],
    )
