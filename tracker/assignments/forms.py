from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.core.forms import Form


class ReportForm(Form):
    text = TextAreaField("Что сделано", validators=[DataRequired(), Length(max=20000)])
    files = MultipleFileField("Файлы (PDF, DOCX, XLSX, ODT, JPG, PNG …)")


class CommentForm(Form):
    body = TextAreaField("Комментарий", validators=[DataRequired(), Length(max=5000)])


class ReviewForm(Form):
    comment = TextAreaField("Комментарий", validators=[Optional(), Length(max=5000)])


class ExtensionForm(Form):
    proposed_date = DateField("Новый срок", validators=[DataRequired()])
    reason = TextAreaField("Причина", validators=[DataRequired(), Length(max=5000)])


class ExtensionDecisionForm(Form):
    comment = TextAreaField("Комментарий", validators=[Optional(), Length(max=5000)])


class BoardFilterForm(Form):
    """GET filters of the control board (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    meeting_id = SelectField("Совещание", coerce=int, validators=[Optional()])
    direction_id = SelectField("Направление", coerce=int, validators=[Optional()])
    organization_id = SelectField("Организация", coerce=int, validators=[Optional()])
    status = SelectField("Состояние", validators=[Optional()])
    due_within = IntegerField(
        "Срок в ближайшие, дней", validators=[Optional(), NumberRange(0, 3650)]
    )
    q = StringField("Поиск по тексту решений и отчётов", validators=[Optional(), Length(max=200)])
    at = DateField("На дату", validators=[Optional()])
    period_start = DateField("Сроки с", validators=[Optional()])
    period_end = DateField("по", validators=[Optional()])
