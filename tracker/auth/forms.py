from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from tracker.core.forms import Form


class LoginForm(Form):
    email = EmailField("Электронная почта", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Пароль", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Запомнить меня")


class SetPasswordForm(Form):
    password = PasswordField("Новый пароль", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        "Повторите пароль",
        validators=[DataRequired(), EqualTo("password", message="Пароли не совпадают.")],
    )


class ForgotPasswordForm(Form):
    email = StringField(
        "Электронная почта", validators=[DataRequired(), Email("Неверный адрес."), Length(max=255)]
    )
