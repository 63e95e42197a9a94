from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.core.forms import Form, LongSelect


class ReportForm(Form):
    text = TextAreaField(_l("Что сделано"), validators=[DataRequired(), Length(max=20000)])
    files = MultipleFileField(_l("Файлы (PDF, DOCX, XLSX, ODT, JPG, PNG …)"))


class CommentForm(Form):
    body = TextAreaField(_l("Комментарий"), validators=[DataRequired(), Length(max=5000)])


class ReviewForm(Form):
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])


class ExtensionForm(Form):
    proposed_date = DateField(_l("Новый срок"), validators=[DataRequired()])
    reason = TextAreaField(_l("Причина"), validators=[DataRequired(), Length(max=5000)])


class ExtensionDecisionForm(Form):
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])


class BoardFilterForm(Form):
    """GET filters of the control board (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    meeting_id = SelectField(_l("Совещание"), coerce=int, validators=[Optional()])
    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    organization_id = SelectField(
        _l("Организация"), coerce=int, validators=[Optional()], widget=LongSelect()
    )
    status = SelectField(_l("Состояние"), validators=[Optional()])
    due_within = IntegerField(
        _l("Срок в ближайшие, дней"), validators=[Optional(), NumberRange(0, 3650)]
    )
    q = StringField(
        _l("Поиск по тексту решений и отчётов"), validators=[Optional(), Length(max=200)]
    )
    at = DateField(_l("На дату"), validators=[Optional()])
    period_start = DateField(_l("Сроки с"), validators=[Optional()])
    period_end = DateField(_l("по"), validators=[Optional()])
    due_period = SelectField(
        _l("Срок"),
        choices=[
            ("", _l("— любой —")),
            ("overdue", _l("просрочено")),
            ("week", _l("в ближайшие 7 дней")),
            ("month", _l("в ближайшие 30 дней")),
            ("later", _l("позже чем через 30 дней")),
            ("none", _l("без срока")),
        ],
        validators=[Optional()],
    )
    tab = SelectField(
        _l("Вкладка"),
        choices=[("", _l("все")), ("open", _l("в работе")), ("done", _l("исполненные"))],
        validators=[Optional()],
    )
    group = SelectField(
        _l("Порядок"),
        choices=[("", _l("по сроку")), ("decision", _l("по совещаниям и решениям"))],
        validators=[Optional()],
    )


class SavedFilterForm(Form):
    name = StringField(_l("Название фильтра"), validators=[DataRequired(), Length(max=80)])


class BulkForm(Form):
    """One action on the rows ticked on the board or in the inbox (their ids come as `ids`)."""

    action = SelectField(_l("Действие с отмеченными"), validators=[DataRequired()])
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])
    new_date = DateField(_l("Новый срок"), validators=[Optional()])
