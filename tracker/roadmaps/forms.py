from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.core.forms import Form, LongSelect
from tracker.roadmaps.models import ActionStatus


class RoadMapForm(Form):
    organization_id = SelectField(_l("Организация"), coerce=int)
    title = StringField(_l("Название"), validators=[DataRequired(), Length(max=1000)])
    period_start = DateField(_l("Период с"), validators=[Optional()])
    period_end = DateField(_l("по"), validators=[Optional()])
    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    goal_id = SelectField(_l("Цель"), coerce=int, validators=[Optional()])
    approver_block = TextAreaField(
        _l("Гриф «УТВЕРЖДАЮ» (если не указан, составляется по организации)"),
        validators=[Optional(), Length(max=2000)],
    )
    assignment_id = HiddenField()


class ImportForm(Form):
    file = FileField(_l("Файл с таблицей (.xlsx или .docx)"))


class MoveForm(Form):
    """Submit or reopen for changes: nothing but the CSRF token."""


class ReviewForm(Form):
    comment = TextAreaField(_l("Общий комментарий"), validators=[Optional(), Length(max=5000)])


class MarkForm(Form):
    status = SelectField(
        _l("Состояние"),
        choices=[
            (ActionStatus.DONE, _l("выполнено")),
            (ActionStatus.IN_PROGRESS, _l("выполняется")),
            (ActionStatus.PLANNED, _l("запланировано")),
        ],
    )
    completed_on = DateField(_l("Дата выполнения"), validators=[Optional()])
    evidence = TextAreaField(
        _l("Подтверждение: что сделано, ссылки"), validators=[Optional(), Length(max=5000)]
    )
    files = MultipleFileField(_l("Файлы (PDF, DOCX, XLSX, ODT, JPG, PNG …)"))


class ListFilterForm(Form):
    class Meta:
        csrf = False

    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    organization_id = SelectField(
        _l("Организация"), coerce=int, validators=[Optional()], widget=LongSelect()
    )
    status = SelectField(_l("Состояние"), validators=[Optional()])
