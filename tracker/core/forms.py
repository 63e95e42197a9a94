"""The base form: WTForms' own messages («Обязательное поле.») in the user's language."""

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import get_translations
from wtforms.widgets.core import Select, escape


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return get_translations([str(get_locale()), "ru"])


class LongSelect(Select):
    """WTForms' select with each plain option written by one f-string, not through html_params:
    a filter that lists a thousand organizations spent milliseconds on its options alone."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        # Select joins the options into its own Markup
        return f'<option {selected}value="{escape(value)}">{label}</option>'
