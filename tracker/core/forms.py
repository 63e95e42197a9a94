"""The base form: WTForms' own messages («Обязательное поле.») in the user's language."""

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import get_translations


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return get_translations([str(get_locale()), "ru"])
